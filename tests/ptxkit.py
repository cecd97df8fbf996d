"""Build small PTX kernels from snippets, for the integer / memory / warp ISA tests.

Three levels:

``module(body, params)``
    a complete PTX module (``.version 8.0 / .target sm_80 / .address_size 64``)
    with one ``.entry k``; ``body`` gets a set of scratch registers
    (``%p<16>`` pred, ``%h<16>`` b16, ``%r<32>`` b32, ``%rd<32>`` b64,
    ``%f<16>`` f32, ``%fd<16>`` f64) and ends with ``ret``. ``globals_`` goes
    before the entry (module variables), ``funcs`` too (``.func`` definitions).

``pointer_kernel(body, n_ptrs)``
    the same with ``n_ptrs`` leading ``.u64`` pointer parameters already loaded
    into ``%pa0, %pa1, ...``, the thread's global x index in ``%gid`` (u32) and
    the byte offsets ``%o1 %o2 %o4 %o8`` (u64, ``%gid * size``), so
    ``add.s64 %rd1, %pa0, %o4; ld.global.u32 %r1, [%rd1];`` reads element gid
    of a 32-bit array.

``run(body, ins, outs)``
    one thread per element: each input array is loaded into a register named
    after it, ``body`` runs, each output register is stored to its own array.
    Values travel as raw bit patterns (Python ints in, Python ints out), so an
    ``s32`` -1 comes back as 0xFFFFFFFF. ``pred`` values are 0/1.

    run("add.u32 %d, %a, %b;", {"a": ("u32", A), "b": ("u32", B)}, {"d": "u32"})["d"]

    ``run_arrays`` returns numpy arrays instead; ``target=`` picks the PTX target and preset, and
    ``scratch=False`` leaves the scratch register names free for the inputs and outputs.

Each distinct PTX text is parsed and decoded once by emu (cached by hash), so a
hypothesis test that reruns one snippet on new data only pays for the launch.
"""
from __future__ import annotations

import numpy as np

import emu

GPU = emu.GPU("sm_80")
HEADER = ".version 8.0\n.target sm_80\n.address_size 64\n"

SCRATCH = """\
    .reg .pred %p<16>;
    .reg .b16 %h<16>;
    .reg .b32 %r<32>;
    .reg .b64 %rd<32>;
    .reg .f32 %f<16>;
    .reg .f64 %fd<16>;"""

# register declaration, ld/st type and numpy container of each value type
REG = {
    "u8": (".u16", "u8", np.uint8), "s8": (".s16", "s8", np.uint8),
    "u16": (".u16", "u16", np.uint16), "s16": (".s16", "s16", np.uint16), "b16": (".b16", "b16", np.uint16),
    "u32": (".u32", "u32", np.uint32), "s32": (".s32", "s32", np.uint32), "b32": (".b32", "b32", np.uint32),
    "u64": (".u64", "u64", np.uint64), "s64": (".s64", "s64", np.uint64), "b64": (".b64", "b64", np.uint64),
    "f32": (".f32", "f32", np.uint32), "f64": (".f64", "f64", np.uint64),
    "pred": (".pred", "u32", np.uint32),
}
BITS = {"8": 8, "16": 16, "32": 32, "64": 64}


def bits_of(ty: str) -> int:
    """Width in bits of a PTX type name (pred: 1)."""
    return 1 if ty == "pred" else BITS[ty[1:]]


def module(body: str, params=(), *, name: str = "k", decls: str = "", globals_: str = "", funcs: str = "",
           target: str = "sm_80", scratch: bool = True) -> str:
    """A complete PTX module with one entry; ``params`` are strings like ``".u64 p0"``; without ``scratch``
    the scratch registers are not declared (the body may use their names)."""
    plist = ",\n".join(f"    .param {p}" for p in params)
    header = HEADER.replace("sm_80", target)
    return "\n".join([
        header, globals_, funcs,
        f".visible .entry {name}(\n{plist}\n)" if params else f".visible .entry {name}()",
        "{", SCRATCH if scratch else "", _indent(decls), _indent(body), "    ret;", "}", ""])


def pointer_kernel(body: str, n_ptrs: int, *, scalars=(), name: str = "k", decls: str = "",
                   globals_: str = "", funcs: str = "", target: str = "sm_80", scratch: bool = True) -> str:
    """``module`` with ``n_ptrs`` u64 pointer parameters loaded into ``%pa<i>``, then ``scalars``
    (type names) as parameters ``s0, s1, ...``; ``%gid``, ``%o1 %o2 %o4 %o8`` ready (see module doc)."""
    params = [f".u64 p{i}" for i in range(n_ptrs)] + [f".{t} s{j}" for j, t in enumerate(scalars)]
    prologue = [f"ld.param.u64 %pa{i}, [p{i}];" for i in range(n_ptrs)] + [
        "mov.u32 %gid, %ctaid.x;",
        "mov.u32 %k_t, %ntid.x;",
        "mov.u32 %k_u, %tid.x;",
        "mad.lo.u32 %gid, %gid, %k_t, %k_u;",
        "mul.wide.u32 %o1, %gid, 1;",
        "mul.wide.u32 %o2, %gid, 2;",
        "mul.wide.u32 %o4, %gid, 4;",
        "mul.wide.u32 %o8, %gid, 8;",
    ]
    regs = [f".reg .b64 %pa<{max(n_ptrs, 1)}>;", ".reg .b32 %gid;", ".reg .b32 %k_t;", ".reg .b32 %k_u;",
            ".reg .b64 %o1;", ".reg .b64 %o2;", ".reg .b64 %o4;", ".reg .b64 %o8;"]
    return module("\n".join(prologue) + "\n" + body, params, name=name,
                  decls="\n".join(regs) + "\n" + decls, globals_=globals_, funcs=funcs, target=target,
                  scratch=scratch)


def elementwise(body: str, ins: dict, outs: dict, *, decls: str = "", globals_: str = "",
                funcs: str = "", target: str = "sm_80", scratch: bool = True) -> str:
    """PTX of a kernel running ``body`` once per element (see ``run``); ins/outs: name -> type.

    The last parameter is the element count; threads past it return at once."""
    names = list(ins) + list(outs)
    reg_decls = [f".reg {REG[t][0]} %{n};" for n, t in list(ins.items()) + list(outs.items())]
    lines = [f"ld.param.u32 %k_n, [s0];", "setp.ge.u32 %k_p, %gid, %k_n;", "@%k_p bra K_DONE;"]

    def address(index, ty):
        size = np.dtype(REG[ty][2]).itemsize
        return f"add.s64 %k_a, %pa{index}, %o{size};"

    for index, (n, ty) in enumerate(ins.items()):
        lines.append(address(index, ty))
        if ty == "pred":
            lines += ["ld.global.u32 %k_v, [%k_a];", f"setp.ne.u32 %{n}, %k_v, 0;"]
        else:
            lines.append(f"ld.global.{REG[ty][1]} %{n}, [%k_a];")
    lines += [line.strip() for line in body.strip().splitlines()]
    for index, (n, ty) in enumerate(outs.items(), start=len(ins)):
        lines.append(address(index, ty))
        if ty == "pred":
            lines += [f"selp.u32 %k_v, 1, 0, %{n};", "st.global.u32 [%k_a], %k_v;"]
        else:
            lines.append(f"st.global.{REG[ty][1]} [%k_a], %{n};")
    lines.append("K_DONE:")
    decls = "\n".join(reg_decls + [".reg .pred %k_p;", ".reg .u32 %k_n;", ".reg .u32 %k_v;",
                                   ".reg .u64 %k_a;", decls])
    return pointer_kernel("\n".join(lines), len(names), scalars=("u32",), decls=decls, globals_=globals_,
                          funcs=funcs, target=target, scratch=scratch)


def container(values, ty: str) -> np.ndarray:
    """Python ints (any sign; wrapped to the width) or an integer array as a raw unsigned array."""
    dtype = REG[ty][2]
    if isinstance(values, np.ndarray) and values.dtype.kind in "ui":
        return np.ascontiguousarray(values).astype(dtype)
    mask = (1 << (8 * np.dtype(dtype).itemsize)) - 1
    return np.array([int(v) & mask for v in values], dtype=dtype)


def run_arrays(body: str, ins: dict, outs: dict, *, block: int = 64, decls: str = "", globals_: str = "",
               funcs: str = "", target: str = "sm_80", scratch: bool = True) -> dict:
    """Run ``body`` once per element on the ``target`` preset; ins: name -> (type, values); outs: name -> type.

    Returns name -> unsigned numpy array of the raw results (pred: 0/1)."""
    arrays = {n: container(v, ty) for n, (ty, v) in ins.items()}
    n = len(next(iter(arrays.values())))
    assert all(len(a) == n for a in arrays.values()), "input arrays differ in length"
    results = {name: np.zeros(n, REG[ty][2]) for name, ty in outs.items()}
    text = elementwise(body, {k: t for k, (t, _) in ins.items()}, outs, decls=decls, globals_=globals_,
                       funcs=funcs, target=target, scratch=scratch)
    launch(text, list(arrays.values()) + list(results.values()) + [np.uint32(n)],
           grid=max(1, -(-n // block)), block=block, gpu=emu.GPU(target))
    return results


def run(body: str, ins: dict, outs: dict, **options) -> dict:
    """``run_arrays`` with the results as lists of Python ints."""
    return {name: [int(x) for x in a] for name, a in run_arrays(body, ins, outs, **options).items()}


def launch(text: str, args, grid=1, block=32, gpu=GPU, mode="functional", **kwargs):
    """Launch the entry ``k`` of PTX ``text`` on ``gpu`` (the shared sm_80 GPU by default).

    Functional mode by default: these tests check what instructions compute, and some snippets use
    forms the emulator accepts from older PTX versions than ptxas (which timing mode runs) does."""
    return gpu.launch(emu.ptx_kernel(text, "k"), grid, block, args, mode=mode, **kwargs)


def _indent(text: str) -> str:
    return "\n".join("    " + line.strip() if line.strip() and not line.strip().endswith(":") else line.strip()
                     for line in text.splitlines())


# ------------------------------------------------------------------ integer helpers for references
def mask(x: int, bits: int) -> int:
    return x & ((1 << bits) - 1)


def signed(x: int, bits: int) -> int:
    """Two's-complement value of the low ``bits`` bits of x."""
    x = mask(x, bits)
    return x - (1 << bits) if x >> (bits - 1) else x


def value(x: int, ty: str) -> int:
    """The number a raw pattern denotes for a PTX integer type (s*: signed, u*/b*: unsigned)."""
    bits = bits_of(ty)
    return signed(x, bits) if ty[0] == "s" else mask(x, bits)


def special_values(bits: int) -> list:
    """Adversarial raw patterns: 0, 1, -1, INT_MIN, INT_MAX, UINT_MAX, powers of two and neighbours."""
    m = (1 << bits) - 1
    out = {0, 1, 2, 3, m, m - 1, 1 << (bits - 1), (1 << (bits - 1)) - 1, (1 << (bits - 1)) + 1}
    for k in range(bits):
        out |= {1 << k, ((1 << k) - 1) & m, (-(1 << k)) & m, ((1 << k) + 1) & m}
    return sorted(out)
