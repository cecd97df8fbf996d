"""Device memory of one launch: a byte buffer holding the heap and the launch's scratch areas.

Layout of the buffer (offsets in bytes; global address = GLOBAL_BASE + offset):

    [ module globals | arrays (each followed by a guard gap) | params | shared | local (per thread) ]
      <------------------ heap: valid for global access ---->  <--- reached only through their space -->

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


class LaunchMemory:
    def __init__(self):
        self.allocations: list[Allocation] = []
        self._chunks: list[tuple[int, bytes | None, int]] = []   # (offset, data, size)
        self.top = 0

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
        for offset, data, size in self._chunks:
            if data is not None:
                self.buffer[offset:offset + size] = np.frombuffer(data, dtype=np.uint8)
            self.valid[offset:offset + size] = 1
        self.layout = dict(param_base=param_base, param_size=param_bytes, shared_base=shared_base,
                           shared_size=shared_bytes, local_base=local_base,
                           local_size=local_bytes_per_thread, heap_size=heap)
        return self.buffer

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
