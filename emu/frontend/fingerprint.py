"""A stable digest of a Python kernel and of everything its compiled code depends on.

numba freezes, at compile time, the values of the globals and closure
variables a kernel reads, and compiles the device functions it calls. So
the PTX is a function of: the kernel's code (and where it sits: ``.loc``
lines and ``.file`` names are in the PTX), its closure values, the globals
it names (``co_names``, which also holds attribute names, so ``mod.CONST``
of a user module is covered), and, recursively, the same for every device
function, intrinsic or plain function it references. Code from numba,
numpy and the standard library is identified by name only: its version is
part of the caller's key.

Values are described by text that is the same in every process (numpy
arrays by dtype, shape and a hash of their bytes). An object with no such
description falls back to ``repr``; if that holds a memory address the
digest differs between processes, so the disk cache misses: never stale.
"""
from __future__ import annotations

import enum
import functools
import hashlib
import inspect
import linecache
import tokenize
import types
from dataclasses import dataclass

import numpy as np
from numba.core.extending import _Intrinsic as _CoreIntrinsic
from numba.cuda.dispatcher import CUDADispatcher
from numba.cuda.extending import _Intrinsic as _CudaIntrinsic

#: Top-level packages identified by name only (their versions are in the cache key).
_LIBRARY_ROOTS = frozenset({
    "builtins", "math", "cmath", "operator", "numpy", "numba", "numba_cuda", "llvmlite", "cuda",
})

#: The dispatcher options that change the generated code.
CODEGEN_OPTIONS = ("debug", "fastmath", "opt", "forceinline", "inline", "launch_bounds")


@dataclass(frozen=True)
class Fingerprint:
    """``digest`` (hex) changes whenever the PTX compiled from the function may change."""
    digest: str
    #: (dispatcher, its digest text) for each device function reached, so that a
    #: compile can keep their overloads apart per version of their code
    device_functions: tuple


def fingerprint(func: types.FunctionType) -> Fingerprint:
    walker = _Walker()
    digest = walker.function(func)
    return Fingerprint(digest, tuple(walker.dispatchers.values()))


def describe_options(options: dict) -> str:
    """Stable text for the code-generation options among ``options``."""
    return _Walker().value({k: options.get(k) for k in CODEGEN_OPTIONS}, frozenset())


def _is_library(module_name: str | None) -> bool:
    return (module_name or "builtins").partition(".")[0] in _LIBRARY_ROOTS


def _code_names(code: types.CodeType) -> set[str]:
    """Global and attribute names used by ``code`` and the code objects nested in it."""
    names = set(code.co_names)
    for const in code.co_consts:
        if isinstance(const, types.CodeType):
            names |= _code_names(const)
    return names


@functools.lru_cache(maxsize=4096)
def _code_text(code: types.CodeType) -> bytes:
    """The source text of ``code`` (when there is one) and its bytecode.

    The source carries the line positions that end up in ``.loc``; the
    bytecode is what numba compiles, which differs from the file if it was
    edited after import. Source is read from ``linecache`` as
    ``inspect.getsource`` does, without its search of ``sys.modules`` (tens
    of milliseconds on a first call), and memoised per code object: a
    function edited and re-executed has a new code object, so it is read again.
    """
    lines = linecache.getlines(code.co_filename)
    try:
        source = "".join(inspect.getblock(lines[code.co_firstlineno - 1:]))
    except (SyntaxError, tokenize.TokenError):
        source = ""
    return source.encode() + b"\0" + _code_bytes(code)


def _code_bytes(code: types.CodeType) -> bytes:
    """Bytecode, names and constants of ``code`` and the code objects nested in it."""
    parts = [code.co_code, repr(code.co_names).encode(), repr(code.co_varnames).encode()]
    for const in code.co_consts:
        if isinstance(const, types.CodeType):
            parts.append(_code_bytes(const))
        elif isinstance(const, frozenset):       # its repr's order varies with hash seeds
            parts.append(repr(sorted(map(repr, const))).encode())
        else:
            parts.append(repr(const).encode())
    return b"\0".join(parts)


class _Walker:
    def __init__(self):
        self.digests: dict[int, str] = {}      # id(function) -> digest; "" while in progress
        self.modules_open: set[int] = set()    # user modules being described (cycle guard)
        self.dispatchers: dict[int, tuple[CUDADispatcher, str]] = {}

    def function(self, func: types.FunctionType) -> str:
        known = self.digests.get(id(func))
        if known is not None:
            return known or f"recursive:{func.__module__}.{func.__qualname__}"
        self.digests[id(func)] = ""
        code = func.__code__
        h = hashlib.sha256()

        def feed(*items):
            for item in items:
                h.update(item if isinstance(item, bytes) else str(item).encode())
                h.update(b"\0")

        feed(func.__module__, func.__qualname__, code.co_filename, code.co_firstlineno)
        feed(_code_text(code))
        names = frozenset(_code_names(code))
        feed(self.value(func.__defaults__, names))
        for name, cell in zip(code.co_freevars, func.__closure__ or ()):
            try:
                contents = cell.cell_contents
            except ValueError:           # a cell not yet assigned
                feed(name, "<empty cell>")
            else:
                feed(name, self.value(contents, names))
        for name in sorted(names):
            if name in func.__globals__:
                feed(name, self.value(func.__globals__[name], names))
        self.digests[id(func)] = digest = h.hexdigest()
        return digest

    def callable(self, kind: str, func: types.FunctionType) -> str:
        if _is_library(func.__module__):
            return f"{kind}:{func.__module__}.{func.__qualname__}"
        return f"{kind}:{self.function(func)}"

    def value(self, v, names: frozenset) -> str:
        """Process-independent text for ``v``; ``names`` selects a user module's attributes."""
        if v is None or isinstance(v, (bool, int, float, complex, str, bytes)):
            return f"{type(v).__name__}:{v!r}"
        if isinstance(v, np.ndarray):
            data = hashlib.sha256(np.ascontiguousarray(v).tobytes()).hexdigest()
            return f"ndarray:{v.dtype.str}:{v.shape}:{data}"
        if isinstance(v, np.generic):
            return f"npscalar:{v.dtype.str}:{v.tobytes().hex()}"
        if isinstance(v, (tuple, list)):
            inner = ",".join(self.value(x, names) for x in v)
            return f"{type(v).__qualname__}({inner})"
        if isinstance(v, (set, frozenset)):
            return f"{type(v).__qualname__}{{{','.join(sorted(self.value(x, names) for x in v))}}}"
        if isinstance(v, dict):
            items = sorted(f"{self.value(k, names)}:{self.value(x, names)}" for k, x in v.items())
            return f"dict{{{','.join(items)}}}"
        if isinstance(v, enum.Enum):
            return f"enum:{type(v).__module__}.{type(v).__qualname__}:{v!r}"
        if isinstance(v, CUDADispatcher):
            text = f"{self.callable('dispatcher', v.py_func)}:{describe_options(v.targetoptions)}"
            if v.targetoptions.get("device"):
                self.dispatchers[id(v)] = (v, text)
            return text
        if isinstance(v, (_CudaIntrinsic, _CoreIntrinsic)):
            return self.callable("intrinsic", v._defn)
        if isinstance(v, types.FunctionType):
            return self.callable("function", v)
        if isinstance(v, types.ModuleType):
            return self.module(v, names)
        if isinstance(v, type):
            return f"class:{v.__module__}.{v.__qualname__}"
        return f"{type(v).__module__}.{type(v).__qualname__}:{v!r}"

    def module(self, mod: types.ModuleType, names: frozenset) -> str:
        if _is_library(mod.__name__) or id(mod) in self.modules_open:
            return f"module:{mod.__name__}"
        self.modules_open.add(id(mod))
        attrs = ",".join(f"{n}={self.value(getattr(mod, n), names)}"
                         for n in sorted(names) if hasattr(mod, n))
        self.modules_open.discard(id(mod))
        return f"module:{mod.__name__}[{attrs}]"
