"""The CUDA driver API numba-cuda calls, answered by the emulated GPU.

numba-cuda reaches the driver through one object, ``numba.cuda.cudadrv.driver.driver``,
calling ``driver.cuMemAlloc(size)`` and the like (cuda-python conventions: results
returned, errors raised as ``CudaAPIError``). ``EmulatedDriver`` is the class that
object takes while emu is active: each ``cu*`` method below does what the driver
would, on the session's ``DeviceMemory`` and preset; any other driver function
raises ``UnsupportedAPIError`` naming it, rather than failing somewhere later.

Everything is synchronous: a launch or copy has completed when its call returns,
so streams only order work that is already ordered, and events mark positions in
the list of launches. An event's elapsed time is the emulated time of the
launches between its two records (``report.time_s``); memory copies take no
emulated time.
"""
from __future__ import annotations

import ctypes
import os

import numpy as np
from cuda.bindings import driver as binding
from numba.cuda.cudadrv import driver as numba_driver
from numba.cuda.cudadrv.driver import CudaAPIError

from emu.arch.occupancy import occupancy
from emu.errors import UnsupportedAPIError
from emu.frontend import ptxas_resources
from emu.frontend.cuda_cpp import nvrtc_version

from . import session as sessions
from .session import MappedRange

CONTEXT_HANDLE = 1        # the one (primary) context of the one device

#: Device attributes that are not hardware numbers of the preset: what the emulator is.
_EMULATOR_ATTRIBUTES = {
    "KERNEL_EXEC_TIMEOUT": 0, "TCC_DRIVER": 0, "INTEGRATED": 0,
    "PCI_BUS_ID": 0, "PCI_DEVICE_ID": 0, "PCI_DOMAIN_ID": 0,
    "UNIFIED_ADDRESSING": 1, "CAN_MAP_HOST_MEMORY": 1, "COOPERATIVE_LAUNCH": 1,
    "MANAGED_MEMORY": 0, "CONCURRENT_MANAGED_ACCESS": 0, "COMPUTE_MODE": 0,
    "ASYNC_ENGINE_COUNT": 0, "CONCURRENT_KERNELS": 0,
    # FP64 at half the FP32 rate on V100, A100 and H100 (their whitepapers); emu models no other part
    "SINGLE_TO_DOUBLE_PRECISION_PERF_RATIO": 2,
}


def device_attributes(preset) -> dict[str, int]:
    """``cuDeviceGetAttribute`` values by name (``CU_DEVICE_ATTRIBUTE_`` left out), from the preset."""
    return {
        "COMPUTE_CAPABILITY_MAJOR": preset.cc[0], "COMPUTE_CAPABILITY_MINOR": preset.cc[1],
        "MULTIPROCESSOR_COUNT": preset.sm_count, "WARP_SIZE": preset.warp_size,
        "CLOCK_RATE": int(preset.clock_mhz * 1000),                       # kHz
        "MAX_THREADS_PER_BLOCK": preset.max_threads_per_block,
        "MAX_THREADS_PER_MULTIPROCESSOR": preset.max_threads_per_sm,
        **{f"MAX_BLOCK_DIM_{axis}": n for axis, n in zip("XYZ", preset.max_block_dims)},
        **{f"MAX_GRID_DIM_{axis}": n for axis, n in zip("XYZ", preset.max_grid_dims)},
        "MAX_SHARED_MEMORY_PER_BLOCK": preset.max_shared_per_block_bytes,
        "MAX_SHARED_MEMORY_PER_BLOCK_OPTIN": preset.max_shared_per_block_optin_bytes,
        **_EMULATOR_ATTRIBUTES,
    }


def _error(code_name: str, message: str) -> CudaAPIError:
    return CudaAPIError(getattr(binding.CUresult, code_name), message)


class EmulatedDriver(numba_driver.Driver):
    """numba-cuda's driver singleton while emu is active (its class is swapped, see ``hooks``)."""

    def __getattr__(self, name):
        raise UnsupportedAPIError(f"emu does not provide the CUDA driver function {name}; "
                                  "numba.cuda features built on it cannot run on the emulator")

    @property
    def _session(self) -> sessions.Session:
        return sessions.current()

    # ---------------------------------------------------------------- driver, devices, contexts
    def cuInit(self, flags):
        pass

    def cuDriverGetVersion(self):
        major, minor = nvrtc_version()        # the CUDA wheels emu compiles with
        return major * 1000 + minor * 10

    def cuDeviceGetCount(self):
        return 1

    def cuDeviceGet(self, ordinal):
        if int(ordinal) != 0:
            raise _error("CUDA_ERROR_INVALID_DEVICE", f"emu has one device (0), not {ordinal}")
        return 0

    def cuDeviceGetAttribute(self, attribute, device):
        name = attribute.name.removeprefix("CU_DEVICE_ATTRIBUTE_")
        values = device_attributes(self._session.gpu.preset)
        if name not in values:
            raise UnsupportedAPIError(f"emu does not model the device attribute {name} "
                                      f"(cuDeviceGetAttribute); it models: {', '.join(sorted(values))}")
        return values[name]

    def cuCtxGetCurrent(self):
        return CONTEXT_HANDLE if self._session.context_pushed else 0

    def cuCtxGetDevice(self):
        return 0

    def cuCtxPushCurrent(self, handle):
        self._session.context_pushed = True

    def cuCtxPopCurrent(self):
        self._session.context_pushed = False
        return CONTEXT_HANDLE

    def cuCtxSynchronize(self):
        pass

    def cuDevicePrimaryCtxRelease(self, device):
        pass

    def cuDevicePrimaryCtxReset(self, device):
        pass

    # ---------------------------------------------------------------- device memory
    def cuMemAlloc(self, size):
        return self._session.memory.allocate(f"cuda allocation of {size} bytes", int(size)).address

    def cuMemFree(self, pointer):
        self._session.memory.free(int(pointer))

    def cuMemGetInfo(self):
        """(free, total): the emulated device holds what the host's memory can."""
        total = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
        used = sum(a.size for a in self._session.memory.allocations)
        return total - used, total

    def cuMemGetAddressRange(self, pointer):
        alloc = self._session.memory.find(int(pointer))
        if alloc is None:
            raise _error("CUDA_ERROR_NOT_FOUND", f"{int(pointer):#x} is not in a device allocation")
        return alloc.address, alloc.size

    def cuPointerGetAttribute(self, attribute, pointer):
        if attribute != binding.CUpointer_attribute.CU_POINTER_ATTRIBUTE_DEVICE_POINTER:
            raise UnsupportedAPIError(f"emu does not provide cuPointerGetAttribute({attribute.name})")
        return int(pointer)

    def cuMemcpyHtoD(self, dst, src, size, stream=None):
        ctypes.memmove(self._device_bytes(dst, size).ctypes.data, int(src), int(size))

    def cuMemcpyDtoH(self, dst, src, size, stream=None):
        ctypes.memmove(int(dst), self._device_bytes(src, size).ctypes.data, int(size))

    def cuMemcpyDtoD(self, dst, src, size, stream=None):
        self._device_bytes(dst, size)[:] = self._device_bytes(src, size)

    def cuMemsetD8(self, dst, value, count, stream=None):
        self._device_bytes(dst, count)[:] = int(value) & 0xFF

    cuMemcpyHtoDAsync, cuMemcpyDtoHAsync, cuMemcpyDtoDAsync = cuMemcpyHtoD, cuMemcpyDtoH, cuMemcpyDtoD
    cuMemsetD8Async = cuMemsetD8

    def _device_bytes(self, pointer, size) -> np.ndarray:
        try:
            return self._session.memory.bytes_at(int(pointer), int(size))
        except ValueError as exc:
            raise _error("CUDA_ERROR_INVALID_VALUE", str(exc)) from None

    # ---------------------------------------------------------------- host memory (pinned, mapped)
    def cuMemHostAlloc(self, size, flags):
        buffer = np.zeros(max(int(size), 1), dtype=np.uint8)
        self._session.host_buffers[buffer.ctypes.data] = buffer
        self._session.host_ranges[buffer.ctypes.data] = int(size)
        return buffer.ctypes.data

    def cuMemFreeHost(self, pointer):
        self._release_host(int(pointer))
        self._session.host_buffers.pop(int(pointer), None)

    def cuMemHostRegister(self, pointer, size, flags):
        """Pinning changes nothing here; the range is remembered in case it is mapped next."""
        self._session.host_ranges[int(pointer)] = int(size)

    def cuMemHostUnregister(self, pointer):
        self._release_host(int(pointer))

    def cuMemHostGetDevicePointer(self, host_pointer, flags):
        """Map host memory: the device gets a range of its own that mirrors it around launches."""
        session, host = self._session, int(host_pointer)
        if host not in session.host_ranges:
            raise _error("CUDA_ERROR_INVALID_VALUE", f"{host:#x} is not pinned host memory")
        if host not in session.mapped:
            size = session.host_ranges[host]
            device = session.memory.allocate(f"mapped host memory of {size} bytes", size).address
            session.mapped[host] = MappedRange(host, device, size)
        return session.mapped[host].device_address

    def _release_host(self, host: int) -> None:
        self._session.host_ranges.pop(host, None)
        mapped = self._session.mapped.pop(host, None)
        if mapped is not None:
            self._session.memory.free(mapped.device_address)

    # ---------------------------------------------------------------- streams and events
    def cuStreamCreate(self, flags):
        self._session.handles += 1
        return binding.CUstream(self._session.handles)

    def cuStreamDestroy(self, stream):
        pass

    def cuStreamSynchronize(self, stream):
        pass

    def cuStreamWaitEvent(self, stream, event, flags):
        pass

    def cuEventCreate(self, flags):
        self._session.handles += 1
        return binding.CUevent(self._session.handles)

    def cuEventDestroy(self, event):
        self._session.events.pop(int(event), None)

    def cuEventRecord(self, event, stream):
        self._session.events[int(event)] = len(self._session.runs)

    def cuEventQuery(self, event):
        pass

    def cuEventSynchronize(self, event):
        pass

    def cuEventElapsedTime(self, start, end):
        """Milliseconds of emulated device time between the two records: the ``time_s`` of the launches
        between them. Raises ``UnsupportedAPIError`` if one ran in functional mode (no cycles)."""
        events = self._session.events
        if int(start) not in events or int(end) not in events:
            raise _error("CUDA_ERROR_INVALID_HANDLE", "elapsed_time of an event that was never recorded")
        first, last = sorted((events[int(start)], events[int(end)]))
        runs = self._session.runs[first:last]
        untimed = [run.report.kernel for run in runs if getattr(run.report, "time_s", None) is None]
        if untimed:
            raise UnsupportedAPIError(f"Event.elapsed_time: kernel {untimed[0]} ran in functional mode, "
                                      "which has no emulated time (use timing mode: emu.activate(mode='timing'), "
                                      "python -m emu --mode timing)")
        seconds = sum(run.report.time_s for run in runs)
        return 1000.0 * seconds * (1 if events[int(end)] >= events[int(start)] else -1)

    # ---------------------------------------------------------------- occupancy
    def cuOccupancyMaxActiveBlocksPerMultiprocessor(self, function, block_size, dynamic_shared):
        """CUDA's occupancy calculation (``emu.arch.occupancy``) with the registers and static shared
        memory ptxas gives the kernel."""
        preset = self._session.gpu.preset
        compiled = self._session.functions[int(function)].compiled
        resources = ptxas_resources(compiled.ptx, compiled.entry, preset.cc)
        return occupancy(preset, int(block_size), resources.registers_per_thread,
                         resources.shared_bytes_static + int(dynamic_shared)).ctas_per_sm
