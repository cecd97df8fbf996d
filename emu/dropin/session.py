"""What the drop-in mode keeps for a process: the emulated GPU, its device memory and the launches run.

numba-cuda's driver layer is stateless glue over the CUDA driver; the state a
real driver keeps (allocations, mapped host memory, the device's clock, the
kernels run) lives in the one ``Session`` that ``emu.dropin.activate`` opens.
"""
from __future__ import annotations

import ctypes
from dataclasses import dataclass, field

from emu.errors import EmuError
from emu.engine.memory import DeviceMemory
from emu.launch import GPU, Run


@dataclass
class MappedRange:
    """Host memory the device reads and writes in place (``cuda.mapped_array``): the emulated device
    sees it at ``device_address``; its bytes are copied in before each launch and out after."""
    host_address: int
    device_address: int
    size: int


@dataclass
class Session:
    gpu: GPU
    mode: str = "timing"                              # of every launch: emu.launch.MODES
    memory: DeviceMemory = field(default_factory=DeviceMemory)
    runs: list = field(default_factory=list)          # [Run] of every launch, in order
    mapped: dict = field(default_factory=dict)        # host address -> MappedRange
    host_ranges: dict = field(default_factory=dict)   # pinned host memory: address -> size
    host_buffers: dict = field(default_factory=dict)  # the part emu allocated: address -> numpy buffer
    events: dict = field(default_factory=dict)        # event handle -> len(runs) when it was recorded
    handles: int = 0x1000                             # the last stream or event handle given out (0-2
                                                      # name the default, legacy and per-thread streams)
    context_pushed: bool = False
    functions: dict = field(default_factory=dict)     # handle -> kernels.EmuFunction, for the driver's queries

    def record(self, run: Run) -> None:
        self.runs.append(run)

    def sync_mapped_in(self) -> None:
        """Copy mapped host memory to its device range: the kernel sees what the host wrote."""
        for m in self.mapped.values():
            ctypes.memmove(self.memory.bytes_at(m.device_address, m.size).ctypes.data, m.host_address, m.size)

    def sync_mapped_out(self) -> None:
        """Copy the device ranges of mapped host memory back: the host sees what the kernel wrote."""
        for m in self.mapped.values():
            ctypes.memmove(m.host_address, self.memory.bytes_at(m.device_address, m.size).ctypes.data, m.size)


_current: Session | None = None


def current() -> Session:
    """The active session; raises if emu's drop-in mode is not on."""
    if _current is None:
        raise EmuError("emu's drop-in mode is not active (emu.activate() or python -m emu script.py)")
    return _current


def open_session(gpu: GPU, mode: str = "timing") -> Session:
    global _current
    _current = Session(gpu, mode)
    return _current


def close_session() -> None:
    global _current
    _current = None
