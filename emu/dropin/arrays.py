"""Host arrays passed straight to a kernel: copied into emu's device memory as numba's launch expects.

numba-cuda's launch turns a numpy argument into device memory with
``devicearray._to_strided_memory_view``, which allocates through cuda.core
(a driver is needed even to make the buffer object). On emu the copy is a
``DeviceNDArray`` made by ``devicearray.auto_device``, numba's own path for
``cuda.to_device``, on the emulated driver.
"""
from __future__ import annotations

from cuda.core.utils import StridedMemoryView
from numba.cuda.cudadrv import devicearray


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
