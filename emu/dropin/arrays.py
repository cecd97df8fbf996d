"""Host arrays passed straight to a kernel: copied into emu's device memory as numba's launch expects.

numba-cuda's launch turns a numpy argument into device memory with
``devicearray._to_strided_memory_view``, which allocates through cuda.core
(a driver is needed even to make the buffer object), and copies results back
to the address ``devicearray._make_strided_memory_view`` finds, which cuda.core
asks the driver about too. On emu the copy is a ``DeviceNDArray`` made by
``devicearray.auto_device``, numba's own path for ``cuda.to_device``, on the
emulated driver, and the host address comes from numba's ``host_pointer``.
"""
from __future__ import annotations

from dataclasses import dataclass

from cuda.core.utils import StridedMemoryView
from numba.cuda.cudadrv import devicearray
from numba.cuda.cudadrv import driver as numba_driver


class DeviceCopy:
    """A host array's device copy, with the fields numba's launch reads from a memory view
    (``ptr``, ``shape``, ``dtype``, ``size``, ``_layout``); it keeps the copy allocated while numba
    holds it (until the copy back after the launch)."""

    def __init__(self, device_array):
        self.device_array = device_array
        view = device_array._strided_memory_view_shim
        self.ptr, self.shape, self.dtype, self.size, self._layout = (
            view.ptr, view.shape, view.dtype, view.size, view._layout)


def to_strided_memory_view(obj, stream=0, copy: bool = True, user_explicit: bool = False):
    """``devicearray._to_strided_memory_view`` on emu: (a view of ``obj`` on the device, whether it was copied)."""
    if isinstance(obj, StridedMemoryView):
        return obj, False
    device_array, converted = devicearray.auto_device(obj, stream=stream, copy=copy, user_explicit=user_explicit)
    return DeviceCopy(device_array), converted


@dataclass(frozen=True)
class HostView:
    """What numba's launch reads from a host array's memory view when it copies results back: the address."""
    ptr: int


def make_host_view(obj, *, stream_ptr=0) -> HostView:
    """``devicearray._make_strided_memory_view`` on emu, for the host arrays numba copies results into."""
    return HostView(numba_driver.host_pointer(obj))
