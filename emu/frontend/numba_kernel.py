"""numba.cuda kernels -> PTX, typed from the launch arguments, through the compile cache."""
from __future__ import annotations

import ast
import collections
import contextlib
import importlib
import importlib.metadata
import inspect
import os
import re
import sys
import textwrap
import types as pytypes
import weakref
from types import SimpleNamespace

import numba.cuda.compiler as cuda_compiler
import numba.cuda.dispatcher as cuda_dispatcher
from numba import cuda
from numba.core import errors as numba_errors
from numba.core import types
from numba.cuda.core import errors as cuda_errors
from numba.cuda.core.compiler_lock import global_compiler_lock
from numba.cuda.typing.typeof import Purpose, typeof

from emu.errors import CompileError, KernelArgumentError

from . import cache
from .cuda_cpp import compile_relocatable_ptx, nvrtc_version
from .exceptions import exception_records, raise_sites
from .fingerprint import describe_options, fingerprint
from .kernel import CompiledKernel, choose_entry
from .ptx_link import extern_functions, link_ptx

#: Kernel parameter types the emulator can pass; numba types anything else it can
#: (lists, dicts, ...) but a kernel launch cannot take it.
_PASSABLE = (types.Array, types.Number, types.Boolean)

#: What numba raises when it cannot type the kernel (numba-cuda has its own class besides numba's).
_TYPING_ERRORS = (numba_errors.TypingError, cuda_errors.TypingError)

_KIND_PHRASE = {"array": "an array", "scalar": "a scalar"}

#: Attributes only an array argument has.
_ARRAY_ATTRIBUTES = frozenset({"shape", "size", "ndim", "strides", "dtype", "itemsize", "nbytes", "T"})

#: ``compile_ptx`` keywords honoured from the dispatcher's ``targetoptions``.
_PTX_OPTIONS = ("debug", "fastmath", "opt", "forceinline", "launch_bounds")


def _installed_version(distribution: str) -> str | None:
    try:
        return importlib.metadata.version(distribution)
    except importlib.metadata.PackageNotFoundError:
        return None


#: What else the PTX depends on. NVVM and NVRTC (which compiles the shims) are
#: identified by the wheels that bring them (loading NVVM to ask takes 0.4 s); a
#: CUDA toolkit's are not tracked.
_TOOLCHAIN = {"python": "{}.{}".format(*sys.version_info),
              **{name: _installed_version(name)
                 for name in ("numba-cuda", "numba", "nvidia-cuda-nvcc-cu12", "nvidia-cuda-nvrtc-cu12")}}

#: numba-cuda's bindings of ``cuda_fp16.h``, ``cuda_bf16.h`` and ``cuda_fp8.h``: they
#: lower each operation to a call of an ``extern "C"`` C++ shim function, whose source
#: they append to the module's ``shim_obj`` for the device linker to compile and join.
_SHIM_MODULES = tuple(f"numba.cuda._internal.{name}" for name in ("cuda_fp16", "cuda_bf16", "cuda_fp8"))

#: Device-function overloads compiled by emu: dispatcher -> {(cc, digest): overloads}.
_device_overloads: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()


def compile_numba_kernel(kernel, args, cc: tuple[int, int]) -> CompiledKernel:
    """Compile ``kernel`` to PTX for compute capability ``cc``, typed from launch ``args``.

    ``kernel`` is a ``@cuda.jit`` dispatcher (its ``fastmath``, ``opt``,
    ``debug``, ``forceinline`` and ``launch_bounds`` are honoured) or a plain
    Python function. Each of ``args`` is a numpy array (any layout, read-only
    ones become ``readonly`` array types), a Python or numpy scalar, or a
    numba type standing for a value of that type. ``lineinfo`` is always on,
    so the PTX maps back to source lines. The C++ shims that numba-cuda
    leaves to the device linker (``cuda.fp16``, ``cuda.bf16`` operations)
    are compiled and linked into the PTX, which is then self-contained. The
    PTX comes from the compile cache when the kernel, what it references,
    the types and ``cc`` match.
    """
    pyfunc, options = _function_and_options(kernel)
    arg_types = infer_arg_types(pyfunc, args)
    cc = (int(cc[0]), int(cc[1]))
    fp = fingerprint(pyfunc)
    key = cache.make_key("numba", fp.digest, [t.name for t in arg_types], list(cc),
                         describe_options(options), _TOOLCHAIN)
    record = cache.get(key)
    if record is None:
        with offline_device(cc, fp.device_functions):
            try:
                ptx, exceptions = _compile_ptx(pyfunc, arg_types, cc, options)
            except _TYPING_ERRORS:
                _check_argument_kinds(pyfunc, arg_types)
                raise
        ptx = _link_shims(ptx, cc)
        record = {"ptx": ptx, "entry": choose_entry(ptx, None), "exceptions": exception_records(exceptions)}
        cache.put(key, record)
    code = pyfunc.__code__
    return CompiledKernel(name=pyfunc.__name__, ptx=record["ptx"], entry=record["entry"],
                          arg_types=arg_types, source_file=code.co_filename,
                          first_line=code.co_firstlineno, cc=cc, exceptions=raise_sites(record["exceptions"]))


def _compile_ptx(pyfunc, arg_types, cc: tuple[int, int], options: dict) -> tuple[str, dict]:
    """numba's ``compile_ptx``, and the exceptions the kernel can report: ``{code: (class, args, loc)}``.

    That table lives in the call helper of the compile result, which
    ``compile_ptx`` drops: its call of ``compile_cuda`` is recorded to keep it.
    The caller holds the compiler lock.
    """
    compile_cuda, results = cuda_compiler.compile_cuda, []

    def recorded(*args, **kwargs):
        results.append(compile_cuda(*args, **kwargs))
        return results[-1]

    cuda_compiler.compile_cuda = recorded
    try:
        ptx, _ = cuda.compile_ptx(pyfunc, arg_types, cc=cc, lineinfo=True,
                                  **{k: options[k] for k in _PTX_OPTIONS if k in options})
    finally:
        cuda_compiler.compile_cuda = compile_cuda
    return ptx, results[-1].call_helper.exceptions


def _link_shims(ptx: str, cc: tuple[int, int]) -> str:
    """``ptx`` with the numba-cuda shim functions it calls defined in it, compiled by NVRTC.

    A shim's source holds every function this process has lowered a call to
    (the kernel's among them), behind numba-cuda's copies of the CUDA headers
    it was generated from, which it puts first on NVRTC's include path too.
    """
    calls = extern_functions(ptx)
    for module in _SHIM_MODULES:
        source = importlib.import_module(module).shim_obj.data
        if any(re.search(rf"\b{re.escape(name)}\s*\(", source) for name in calls):
            headers = os.path.join(os.path.dirname(cuda.__file__), "include", str(nvrtc_version()[0]))
            library = compile_relocatable_ptx(source, cc, [headers] if os.path.isdir(headers) else [],
                                              filename=f"{module.rpartition('.')[2]}_shim.cu")
            ptx = link_ptx(ptx, library)
    return ptx


def infer_arg_types(pyfunc, args) -> tuple:
    """The numba type of each launch argument, as numba's own launch would infer it."""
    try:
        inspect.signature(pyfunc).bind(*args)
    except TypeError as exc:
        raise KernelArgumentError(f"kernel {pyfunc.__name__!r}: {exc}") from None
    names = list(inspect.signature(pyfunc).parameters)
    return tuple(_arg_type(pyfunc.__name__, i, names[min(i, len(names) - 1)], value)
                 for i, value in enumerate(args))


def _arg_type(kernel_name: str, position: int, param: str, value):
    if isinstance(value, types.Type):
        ty, reason = value, None
    else:
        try:
            ty, reason = typeof(value, Purpose.argument), None
        except (ValueError, TypeError, cuda_errors.NumbaError) as exc:   # numba-cuda's NumbaValueError is neither
            ty, reason = None, str(exc)
    if ty is not None and not isinstance(ty, _PASSABLE):
        reason = f"numba types it as {ty}, which is not an array or a scalar"
    elif isinstance(ty, types.Array) and isinstance(ty.dtype, types.PyObject):
        reason = "an array of Python objects has no device representation"
    if reason is None:
        return ty
    raise KernelArgumentError(
        f"kernel {kernel_name!r}, argument {position} ({param!r}): cannot pass a value of type "
        f"{type(value).__module__}.{type(value).__qualname__} ({reason}); kernel arguments are "
        "numpy arrays and bool, int, float, complex or numpy scalars")


def _check_argument_kinds(pyfunc, arg_types) -> None:
    """Raise ``KernelArgumentError`` if an array is passed where the kernel uses a scalar, or the reverse."""
    uses = _parameter_uses(pyfunc)
    for position, (param, ty) in enumerate(zip(inspect.signature(pyfunc).parameters, arg_types)):
        got = "array" if isinstance(ty, types.Array) else "scalar"
        used = uses.get(param, {})
        if len(used) == 1 and got not in used:
            ((kind, line),) = used.items()
            expected, passed = _KIND_PHRASE[kind], _KIND_PHRASE[got]
            raise KernelArgumentError(
                f"kernel {pyfunc.__name__!r}, argument {position} ({param!r}): expected {expected}, got {passed} "
                f"({ty}); line {line} of {pyfunc.__code__.co_filename} uses {param} as {expected}") from None


def _parameter_uses(pyfunc) -> dict[str, dict[str, int]]:
    """How the kernel's source uses each parameter it never assigns: ``{param: {kind: a line doing so}}``.

    A parameter is used as an ``"array"`` when it is indexed or asked for an
    array attribute (``shape``, ``size``...), as a ``"scalar"`` when it is an
    operand of arithmetic or a comparison, or an index. Without source, nothing.
    """
    try:
        lines, first = inspect.getsourcelines(pyfunc)
        fn = ast.parse(textwrap.dedent("".join(lines))).body[0]
    except (OSError, TypeError, SyntaxError, IndexError):
        return {}
    if not isinstance(fn, ast.FunctionDef):
        return {}
    uses: dict[str, dict[str, int]] = {a.arg: {} for a in fn.args.args}

    def mark(node, kind: str) -> None:
        for name in node.elts if isinstance(node, ast.Tuple) else (node,):
            if isinstance(name, ast.Name) and name.id in uses:
                uses[name.id].setdefault(kind, first + name.lineno - 1)

    for node in ast.walk(fn):
        if isinstance(node, ast.Subscript):
            mark(node.value, "array")
            mark(node.slice, "scalar")
        elif isinstance(node, ast.Attribute) and node.attr in _ARRAY_ATTRIBUTES:
            mark(node.value, "array")
        elif isinstance(node, ast.BinOp):
            mark(node.left, "scalar")
            mark(node.right, "scalar")
        elif isinstance(node, ast.Compare):
            for operand in (node.left, *node.comparators):
                mark(operand, "scalar")
        elif isinstance(node, ast.Name) and isinstance(node.ctx, ast.Store):
            uses.pop(node.id, None)
    return uses


def _function_and_options(kernel) -> tuple[pytypes.FunctionType, dict]:
    if isinstance(kernel, cuda_dispatcher.CUDADispatcher):
        options = kernel.targetoptions
        name = kernel.py_func.__name__
        if options.get("device"):
            raise TypeError(f"{name!r} is a device function (@cuda.jit(device=True)); "
                            "only kernels can be launched")
        if options.get("link"):
            raise CompileError(f"kernel {name!r} links external code {list(options['link'])}; "
                               "emu runs only PTX compiled from the kernel's own source")
        return kernel.py_func, options
    if isinstance(kernel, pytypes.FunctionType):
        return kernel, {}
    if isinstance(kernel, cuda_dispatcher._LaunchConfiguration):
        name = kernel.dispatcher.py_func.__name__
        raise TypeError(f"{name}[{kernel.griddim}, {kernel.blockdim}] is a configured launch: call it, "
                        f"{name}[...](args), with emu active (emu.activate() or python -m emu script.py), or "
                        f"give GPU.launch the kernel: launch({name}, grid, block, args)")
    raise TypeError(f"expected a @cuda.jit kernel or a Python function, got {type(kernel).__qualname__}")


@contextlib.contextmanager
def offline_device(cc: tuple[int, int], device_functions=()):
    """Let numba-cuda compile the device functions a kernel calls, for ``cc``, with no GPU.

    ``CUDADispatcher.compile_device`` asks the current GPU for its compute
    capability, which raises without a driver: for the duration of the
    compile it is answered with ``cc``. It also keeps compiled overloads
    keyed by argument types only, with the globals they read frozen at their
    first compile: reused, they would carry code lowered for another ``cc``
    (fastmath ``tanh``, bf16 and atomics differ) or stale constants into PTX
    cached under a key that says otherwise. So meanwhile each device function
    gets overloads of its own per ``cc`` and per digest of its code and
    globals (``device_functions`` holds ``(dispatcher, digest)`` pairs): the
    PTX is what a fresh process would compile; callers that do not cache
    (``kernels/check.py``, ``tests/data/ptx/generate.py``) pass none. The
    compiler lock keeps other threads' compiles out of this window.
    """
    with global_compiler_lock:
        saved_device = cuda_dispatcher.get_current_device
        saved_overloads = [(d, d.overloads) for d, _ in device_functions]
        cuda_dispatcher.get_current_device = lambda: SimpleNamespace(compute_capability=cc)
        for d, digest in device_functions:
            d.overloads = _device_overloads.setdefault(d, {}).setdefault(
                (cc, digest), collections.OrderedDict())
        try:
            yield
        finally:
            cuda_dispatcher.get_current_device = saved_device
            for d, overloads in saved_overloads:
                d.overloads = overloads
