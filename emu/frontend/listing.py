"""A numba.cuda kernel's PTX listed with the source line of each ``.loc`` (``emu ptx file.py:kernel``)."""
from __future__ import annotations

import contextlib
import importlib.util
import linecache
import os
import re
import sys

from numba.cuda.core import sigutils

from emu.errors import KernelArgumentError

from .numba_kernel import compile_numba_kernel

_LOC = re.compile(r"^\s*\.loc\s+(\d+)\s+(\d+)\s+\d+")
_FILE = re.compile(r'^\s*\.file\s+(\d+)\s+"([^"]+)"', re.MULTILINE)


def kernel_from_file(path: str, name: str):
    """The object ``name`` of the Python file ``path``, imported as a module (not as ``__main__``).

    A script that does its work when imported runs with ``sys.argv == [path]``, its output sent to
    stderr so that it does not mix with the listing."""
    spec = importlib.util.spec_from_file_location(f"emu_listing_{os.path.splitext(os.path.basename(path))[0]}",
                                                  path)
    if spec is None:
        raise FileNotFoundError(path)
    module = importlib.util.module_from_spec(spec)
    saved_argv, sys.argv = sys.argv, [path]
    try:
        with contextlib.redirect_stdout(sys.stderr):
            spec.loader.exec_module(module)
    finally:
        sys.argv = saved_argv
    if not hasattr(module, name):
        raise KernelArgumentError(f"{path} defines no {name!r}")
    return getattr(module, name)


def annotated_ptx(kernel, cc: tuple[int, int], signature: str | None = None) -> str:
    """The PTX of ``kernel`` for ``cc``, typed by ``signature`` ("float32[:], int32") or by the kernel's
    own explicit signature, with a ``// file:line  source`` comment after each new ``.loc``."""
    arg_types = _argument_types(kernel, signature)
    ptx = compile_numba_kernel(kernel, arg_types, cc).ptx
    files = {int(n): f for n, f in _FILE.findall(ptx)}
    out, last = [], None
    for line in ptx.splitlines():
        out.append(line)
        m = _LOC.match(line)
        if m and int(m.group(2)) and (m.group(1), m.group(2)) != last:
            last = (m.group(1), m.group(2))
            source_file, number = files.get(int(m.group(1)), "?"), int(m.group(2))
            text = linecache.getline(source_file, number).strip()
            out.append(f"\t// {os.path.basename(source_file)}:{number}  {text}")
    return "\n".join(out)


def _argument_types(kernel, signature: str | None) -> tuple:
    if signature is not None:
        args, _ = sigutils.normalize_signature(signature if "(" in signature else f"({signature})")
        return tuple(args)
    explicit = getattr(kernel, "sigs", None) or []
    if not explicit:
        raise KernelArgumentError(f"{getattr(kernel, '__name__', kernel)!r} has no explicit signature: "
                                  'give the argument types, e.g. --signature "float32[:], float32[:]"')
    return tuple(explicit[0].args)
