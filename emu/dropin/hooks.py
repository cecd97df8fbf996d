"""Where emu plugs into numba-cuda: the driver layer only, so numba's compiler stays the real one.

- ``driver.driver`` (the one object numba calls the driver through) becomes an
  ``EmulatedDriver``, initialised, with no device cached;
- ``Device.__init__`` and ``Device.get_primary_context`` make the one device of
  the preset, without asking cuda.core;
- ``CUDACodeLibrary.get_cufunc`` loads PTX instead of a cubin (``kernels``), and
  loading any other compiled module image (``load_module_image``: numba's
  device runtime NRT, cubins) is refused with an error naming it;
- ``dispatcher.launch`` / ``dispatcher.LaunchConfig`` / ``driver._to_core_stream``
  (cuda.core's launch path) run the kernel on the emulator;
- ``devicearray._to_strided_memory_view`` and ``_make_strided_memory_view`` copy
  host arrays passed to a kernel there and back without cuda.core (``arrays``).

numba's simulator (``NUMBA_ENABLE_CUDASIM=1``) swaps the whole ``numba.cuda``
module and runs Python threads; with it on, emu cannot be.
"""
from __future__ import annotations

import weakref

import numba.cuda.codegen as codegen
import numba.cuda.dispatcher as dispatcher
from numba.cuda.cudadrv import devicearray, devices
from numba.cuda.cudadrv import driver as numba_driver

from . import arrays, kernels
from .driver import CONTEXT_HANDLE, EmulatedDriver
from .session import current


def _device_init(self, devnum: int) -> None:
    preset = current().gpu.preset
    self.id = int(devnum)
    self.compute_capability = tuple(preset.cc)
    self.name = f"{preset.name} (emu {preset.sm})"
    self.uuid = f"GPU-e3e00000-0000-0000-0000-{preset.sm[3:]:0>12}"
    self.primary_context = None


def _primary_context(self):
    if self.primary_context is None:
        self.primary_context = numba_driver.Context(weakref.proxy(self), CONTEXT_HANDLE)
    return self.primary_context


_PATCHES = [
    (numba_driver.Device, "__init__", _device_init),
    (numba_driver.Device, "get_primary_context", _primary_context),
    (codegen.CUDACodeLibrary, "get_cufunc", kernels.load_function),
    (dispatcher, "launch", kernels.launch),
    (dispatcher, "LaunchConfig", kernels.LaunchConfig),
    (numba_driver, "_to_core_stream", kernels.core_stream),
    (devicearray, "_to_strided_memory_view", arrays.to_strided_memory_view),
    (devicearray, "_make_strided_memory_view", arrays.make_host_view),
    (numba_driver, "load_module_image", kernels.refuse_module_image),
]

_saved: list = []


def install() -> None:
    """Plug emu in (the session must be open)."""
    if _saved:
        return
    drv = numba_driver.driver
    _saved.append((drv, drv.__class__, dict(vars(drv))))
    for name in [name for name in vars(drv) if name.startswith("cu")]:
        delattr(drv, name)               # functions the real driver bound (or uninstall left) would shadow ours
    for owner, name, replacement in _PATCHES:
        _saved.append((owner, name, owner.__dict__.get(name)))
        setattr(owner, name, replacement)
    drv.__class__ = EmulatedDriver
    drv.is_initialized, drv.initialization_error, drv.pid = True, None, None
    if not hasattr(numba_driver, "_logger"):
        numba_driver._logger = numba_driver.make_logger()     # what the driver's own initialisation sets
    _forget_devices()


def uninstall() -> None:
    """Give numba-cuda its own driver layer back."""
    if not _saved:
        return
    _forget_devices()
    (drv, cls, state), *patches = _saved
    for owner, name, original in reversed(patches):
        setattr(owner, name, original)
    drv.__class__ = cls
    vars(drv).clear()
    vars(drv).update(state)
    if drv.initialization_error is not None:
        # No real driver: what numba still holds from the session (cached launch configurations keep
        # streams alive) is released at exit through these, which then have nothing to release.
        for name in _RELEASES:
            setattr(drv, name, _nothing_to_release)
    _saved.clear()


_RELEASES = ("cuMemFree", "cuMemFreeHost", "cuMemHostUnregister", "cuStreamDestroy", "cuEventDestroy")


def _nothing_to_release(*args):
    pass


def _forget_devices() -> None:
    """Drop the devices and contexts numba cached, so that they are made again by the driver now in place."""
    numba_driver.driver.devices.clear()
    devices._DeviceList.lst.fget.cache_clear()
    for tls in (numba_driver._ActiveContext._tls_cache, devices._runtime._tls):
        vars(tls).clear()
