"""Device memory: a launch's byte buffer (``LaunchMemory``) and memory that outlives launches (``DeviceMemory``).

Layout of a launch's buffer (offsets in bytes; global address = GLOBAL_BASE + offset):

    [ device memory | module globals | arrays (each followed by a guard gap) | params | shared | local ]
      <------------------ heap: valid for global access ------------------>  <- only through their space ->

The first part is present only when the launch runs on a ``DeviceMemory``
(``emu.dropin``, where ``cuda.to_device`` allocates): its allocations keep
their addresses from launch to launch, as cudaMalloc's do, because a kernel
may hold them baked into its code (a captured global device array).

A shadow byte map (``valid``) marks the bytes that belong to an allocation,
so a global access that strays into a guard gap, another launch area or past
the end is reported as out of bounds, naming the nearest array.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from emu.engine import layout as L

ALIGN = 256       # allocation alignment (cudaMalloc guarantees 256)
GUARD = 256       # unmapped bytes after each allocation


@dataclass
class Allocation:
    name: str
    offset: int
    size: int

    @property
    def address(self) -> int:
        return L.GLOBAL_BASE + self.offset


class DeviceMemory:
    """Memory that outlives launches: allocations at fixed addresses, freed explicitly (cudaMalloc/cudaFree).

    A freed range is reused first-fit by a later allocation; ``top`` is the
    end of the last live allocation and its guard gap, so a launch copies
    only the part in use. ``valid`` marks the bytes of live allocations, so
    a kernel's access to freed memory is out of bounds. ``module_globals``
    holds the globals of each loaded PTX module (see ``emu.launch``).
    """

    def __init__(self):
        self.buffer = np.zeros(1 << 20, dtype=np.uint8)
        self.valid = np.zeros(1 << 20, dtype=np.uint8)
        self.live: dict[int, Allocation] = {}        # offset -> allocation
        self.top = 0
        self.module_globals: dict = {}              # PTX digest -> {name: Allocation}
        self.loaded: dict = {}                      # (PTX digest, entry) -> decoded module

    @property
    def allocations(self) -> list[Allocation]:
        return sorted(self.live.values(), key=lambda a: a.offset)

    def allocate(self, name: str, size: int, data: bytes | None = None) -> Allocation:
        offset = 0
        for a in self.allocations:
            if a.offset - offset >= size + GUARD:
                break
            offset = (a.offset + a.size + GUARD + ALIGN - 1) // ALIGN * ALIGN
        end = offset + size + GUARD
        if end > len(self.buffer):
            grown = max(end, 2 * len(self.buffer))
            self.buffer = np.concatenate([self.buffer, np.zeros(grown - len(self.buffer), np.uint8)])
            self.valid = np.concatenate([self.valid, np.zeros(grown - len(self.valid), np.uint8)])
        alloc = Allocation(name, offset, size)
        self.live[offset] = alloc
        self.valid[offset:offset + size] = 1
        if data is not None:
            self.buffer[offset:offset + size] = np.frombuffer(data, dtype=np.uint8)
        self.top = max(self.top, end)
        return alloc

    def free(self, address: int) -> None:
        alloc = self.live.pop(address - L.GLOBAL_BASE, None)
        if alloc is None:
            raise ValueError(f"free of {address:#x}, which is not the start of a live allocation")
        self.valid[alloc.offset:alloc.offset + alloc.size] = 0
        self.top = max((a.offset + a.size + GUARD for a in self.live.values()), default=0)

    def find(self, address: int) -> Allocation | None:
        """The live allocation holding ``address``, if any."""
        offset = address - L.GLOBAL_BASE
        return next((a for a in self.live.values() if a.offset <= offset < a.offset + max(a.size, 1)), None)

    def bytes_at(self, address: int, size: int) -> np.ndarray:
        """A writable view of ``size`` bytes at ``address``; they must lie in one live allocation."""
        alloc = self.find(address)
        offset = address - L.GLOBAL_BASE
        if size and (alloc is None or offset + size > alloc.offset + alloc.size):
            raise ValueError(f"{size} bytes at {address:#x} are not inside one device allocation")
        return self.buffer[offset:offset + size]


class LaunchMemory:
    def __init__(self, device: DeviceMemory | None = None):
        """The memory of one launch; on ``device``, its allocations come first, at their addresses."""
        self.device = device
        self.allocations: list[Allocation] = device.allocations if device else []
        self._chunks: list[tuple[int, bytes | None, int]] = []   # (offset, data, size)
        self.top = device.top if device else 0

    def allocate(self, name: str, size: int, data: bytes | None = None) -> Allocation:
        offset = (self.top + ALIGN - 1) // ALIGN * ALIGN
        alloc = Allocation(name, offset, size)
        self.allocations.append(alloc)
        self._chunks.append((offset, data, size))
        self.top = offset + size + GUARD
        return alloc

    def build(self, param_bytes: int, shared_bytes: int, local_bytes_per_thread: int, threads: int):
        """Create the buffer with all allocations filled in, and the scratch areas after them."""
        heap = (self.top + ALIGN - 1) // ALIGN * ALIGN
        param_base = heap
        shared_base = (param_base + param_bytes + ALIGN - 1) // ALIGN * ALIGN
        local_base = (shared_base + shared_bytes + ALIGN - 1) // ALIGN * ALIGN
        total = (local_base + local_bytes_per_thread * threads + 15) // 16 * 16 + 16
        self.buffer = np.zeros(total, dtype=np.uint8)
        self.valid = np.zeros(total, dtype=np.uint8)
        if self.device is not None:
            used = self.device.top
            self.buffer[:used], self.valid[:used] = self.device.buffer[:used], self.device.valid[:used]
        for offset, data, size in self._chunks:
            if data is not None:
                self.buffer[offset:offset + size] = np.frombuffer(data, dtype=np.uint8)
            self.valid[offset:offset + size] = 1
        self.layout = dict(param_base=param_base, param_size=param_bytes, shared_base=shared_base,
                           shared_size=shared_bytes, local_base=local_base,
                           local_size=local_bytes_per_thread, heap_size=heap)
        return self.buffer

    def write_back(self) -> None:
        """Copy the device memory's part of the buffer back to it, after a launch that completed."""
        used = self.device.top
        self.device.buffer[:used] = self.buffer[:used]

    def read(self, alloc: Allocation) -> np.ndarray:
        return self.buffer[alloc.offset:alloc.offset + alloc.size]

    def describe(self, address: int) -> str:
        """Where an address lies relative to the allocations, for error messages."""
        offset = address - L.GLOBAL_BASE
        best = None
        for a in self.allocations:
            if a.offset <= offset < a.offset + a.size:
                return f"inside {a.name} at byte {offset - a.offset} of {a.size}"
            distance = offset - (a.offset + a.size) if offset >= a.offset + a.size else a.offset - offset
            if best is None or distance < best[0]:
                best = (distance, a)
        if best is None:
            return "no array is allocated"
        distance, a = best
        if offset >= a.offset + a.size:
            return f"{distance} bytes past the end of {a.name} ({a.size} bytes)"
        return f"{distance} bytes before the start of {a.name}"
