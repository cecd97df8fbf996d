"""Drop-in mode: unmodified numba.cuda programs run on emu, with no GPU and no driver.

``emu.activate("a100")`` (or ``python -m emu --arch a100 script.py``) makes
numba.cuda's public API run on the emulated GPU: device arrays live in emu's
device memory at addresses that persist across launches, ``kernel[grid, block]``
launches run in the engine, and device queries answer from the preset. numba's
own compiler compiles the kernels, as on a GPU (``hooks`` says where emu plugs in).

    session      the process's emulated GPU, device memory and launches
    driver       the CUDA driver functions numba-cuda calls
    kernels      loading numba's code libraries as PTX, and launching them
    device_runtime  grid sync (cudaCGSynchronize) and __assertfail in PTX
    hooks        installing and removing all of the above
    summary      the launches as a table, JSON and plots
"""
from __future__ import annotations

import gc
import os

from numba import cuda

from emu.launch import GPU

from . import hooks, session


def activate(arch: str = "sm_80", mode: str = "timing") -> session.Session:
    """Run numba.cuda on an emulated ``arch`` ("a100", "sm_90", ...) from now on; returns the session.

    Launches run in ``mode``: "timing" (cycles, and events measure emulated time) or "functional"
    (faster, no cycles). Activating again with the same arch keeps the session (and sets the mode);
    with another, raises (deactivate first).
    """
    if mode not in ("timing", "functional"):
        raise ValueError(f"drop-in mode runs launches in 'timing' or 'functional' mode, not {mode!r}")
    if os.environ.get("NUMBA_ENABLE_CUDASIM", "0") not in ("", "0"):
        raise RuntimeError("NUMBA_ENABLE_CUDASIM=1 replaces numba.cuda with numba's simulator; "
                           "unset it to run on emu")
    gpu = GPU(arch)
    if session._current is not None:
        if session._current.gpu.preset != gpu.preset:
            raise RuntimeError(f"emu is already active as {session._current.gpu.preset.sm}; "
                               "call emu.deactivate() first")
        session._current.mode = mode
        return session._current
    opened = session.open_session(gpu, mode)
    hooks.install()
    return opened


def deactivate() -> None:
    """Give numba.cuda back its own driver layer; device arrays made meanwhile become invalid.

    Garbage device arrays are freed first (``cuda.close()``), while the emulated driver can free them."""
    if session._current is not None:
        gc.collect()
        cuda.close()
    hooks.uninstall()
    session.close_session()
