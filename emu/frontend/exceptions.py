"""Exceptions raised in numba kernels compiled with ``debug=True``, reported after the launch as numba does.

With ``debug=True`` numba-cuda lowers ``assert`` and ``raise`` in a kernel to
an error code: the first thread to raise stores it in the global
``<entry>__errcode__`` and its ``%tid`` and ``%ctaid`` in
``<entry>__tid{x,y,z}__`` and ``<entry>__ctaid{x,y,z}__``, then returns. The
host reads the code back after the launch and raises the exception the
compiler recorded under it (class, arguments, source line) in its call
helper. ``exception_records`` keeps that table with the compiled kernel;
``kernel_exception`` turns the device's error code into the exception.
"""
from __future__ import annotations

import ast
import importlib
import linecache
from dataclasses import dataclass

from emu.errors import KernelAssertionError, KernelFault


@dataclass(frozen=True)
class RaiseSite:
    """One ``assert`` or ``raise`` of a kernel, under the error code numba gave it."""
    code: int
    exception: str            # "module:qualname" of the exception class
    args: tuple | None        # the constant arguments, None for a bare ``assert``
    file: str | None
    line: int | None


def exception_records(exceptions: dict) -> list:
    """numba's call-helper table ``{code: (class, args, (function, file, line))}`` as JSON-able records."""
    return [[code, f"{cls.__module__}:{cls.__qualname__}", None if args is None else [repr(a) for a in args],
             *(loc[1:] if loc else (None, None))]
            for code, (cls, args, loc) in sorted(exceptions.items())]


def raise_sites(records) -> tuple[RaiseSite, ...]:
    """The records of ``exception_records`` back as ``RaiseSite``s."""
    return tuple(RaiseSite(code, exception, None if args is None else tuple(map(_literal, args)), file, line)
                 for code, exception, args, file, line in records)


def kernel_exception(kernel, program, read) -> Exception | None:
    """The exception kernel ``kernel`` raised in the launch just run, or ``None``.

    ``program`` is the decoded kernel (its ``symbols`` place the globals);
    ``read(address, size)`` gives bytes of the launch's device memory. An
    ``assert`` that failed gives ``KernelAssertionError``, an ``AssertionError``;
    ``raise SomeError(...)`` gives ``SomeError``, as numba's launch does, or
    ``KernelFault`` if the class cannot be imported (one local to a function);
    the message names the thread (block and thread indices), the source line
    and the exception's message. The launch raises it instead of copying the
    arrays back, so the caller's arrays are left as they were (numba's launch
    leaves device arrays written).
    """
    def u32(name: str) -> int:
        return int.from_bytes(bytes(read(program.symbols[f"{kernel.entry}__{name}__"][1], 4)), "little")

    if f"{kernel.entry}__errcode__" not in program.symbols or (code := u32("errcode")) == 0:
        return None
    block = tuple(u32(f"ctaid{axis}") for axis in "xyz")
    thread = tuple(u32(f"tid{axis}") for axis in "xyz")
    site = next((s for s in kernel.exceptions if s.code == code), None) or RaiseSite(     # as numba says it
        code, "builtins:SystemError", (f"unknown error {code} in native function",), None, None)
    where = f"{site.file}:{site.line}" if site.file else None
    text = linecache.getline(site.file, site.line).strip() if site.file else ""
    args = site.args or ()
    cls = _exception_class(site.exception)
    detail = f": {args[0]}" if args else ""
    message = (f"kernel {kernel.name} raised {site.exception.rpartition(':')[2]} in block {block}, "
               f"thread {thread}, at {where or '(no source line)'}{f' `{text}`' if text else ''}{detail}. "
               "The caller's arrays were not modified.")
    if cls is None or issubclass(cls, AssertionError):
        fault = KernelFault if cls is None else KernelAssertionError
        return fault(message, kernel=kernel.name, block=block, thread=thread, source=where)
    return cls(message, *args[1:])


def _exception_class(path: str) -> type | None:
    """The exception class named ``module:qualname``, or ``None`` if it cannot be imported."""
    module, _, qualname = path.partition(":")
    try:
        found = importlib.import_module(module)
        for part in qualname.split("."):
            found = getattr(found, part)
    except (ImportError, AttributeError):
        return None
    return found if isinstance(found, type) and issubclass(found, BaseException) else None


def _literal(text: str):
    """An exception argument back from its ``repr``: Python literals are; anything else stays text."""
    try:
        return ast.literal_eval(text)
    except (ValueError, SyntaxError):
        return text
