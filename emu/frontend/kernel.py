"""What every frontend produces: a kernel's PTX plus what the launcher needs to know.

The few facts read here from PTX text (entry names, parameter list, target)
are found with regular expressions on the directives that carry them, so
that the frontend does not depend on the full parser in ``emu.ptx``.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field

from emu.arch.presets import SM_NAME, target_cc
from emu.errors import KernelEntryError


_IDENT = r"[A-Za-z_$%][\w$]*"
_ENTRY_RE = re.compile(
    rf"^[ \t]*(?:\.(?:visible|weak|extern)\s+)*\.entry\s+({_IDENT})\s*(?:\(([^)]*)\))?",
    re.MULTILINE)
_TARGET_RE = re.compile(r"^[ \t]*\.target\s+([^\n;/]+)", re.MULTILINE)
_LOC_RE = re.compile(r"\.loc\s+\d+\s+(\d+)")
_PARAM_RE = re.compile(
    rf"\.param\s+(?:\.align\s+(\d+)\s+)?\.(\w+)\s+(?:\.ptr\s+(?:\.\w+\s+)*?(?:\.align\s+\d+\s+)?)?"
    rf"({_IDENT})\s*(?:\[(\d+)\])?")


@dataclass(frozen=True)
class PtxParam:
    """One ``.param`` of a kernel entry, with the conventions of ``emu.ptx.ir.Variable``.

    ``.param .u64 p`` is ``PtxParam("p", "u64")``; a by-value struct
    ``.param .align 8 .b8 s[16]`` is ``PtxParam("s", "b8", count=16, align=8)``.
    ``align`` 0 means the natural alignment of ``type``.
    """
    name: str
    type: str
    count: int = 1
    align: int = 0


@dataclass(frozen=True)
class CompiledKernel:
    """A kernel ready to be parsed and launched.

    ``arg_types`` are the numba types of the Python-level arguments (numba
    kernels only; ``None`` for CUDA C++ and raw PTX, where ``params`` is all
    there is). ``params`` is filled from the PTX at construction, which also
    checks that ``entry`` is a ``.entry`` of ``ptx``. ``cc`` is the compute
    capability the kernel is prepared for. ``exceptions`` are the
    ``exceptions.RaiseSite``s of a numba kernel: what each error code it can
    report means.
    """
    name: str
    ptx: str
    entry: str
    arg_types: tuple | None
    source_file: str
    first_line: int
    cc: tuple[int, int]
    exceptions: tuple = ()
    params: tuple[PtxParam, ...] = field(init=False, repr=False)

    def __post_init__(self):
        object.__setattr__(self, "params", entry_params(self.ptx, self.entry))

    def __repr__(self):
        return (f"CompiledKernel(name={self.name!r}, entry={self.entry!r}, cc={self.cc}, "
                f"params={len(self.params)}, source={self.source_file}:{self.first_line})")


def ptx_entries(ptx: str) -> list[str]:
    """Names of all ``.entry`` functions in ``ptx``, in order."""
    return [m.group(1) for m in _ENTRY_RE.finditer(ptx)]


def choose_entry(ptx: str, entry: str | None) -> str:
    """``entry`` if the PTX has it; with ``entry=None``, the only entry there is."""
    entries = ptx_entries(ptx)
    if entry is not None:
        if entry not in entries:
            raise KernelEntryError(
                f"no .entry named {entry!r} in the PTX; it has: {', '.join(entries) or 'none'}")
        return entry
    if len(entries) != 1:
        raise KernelEntryError(
            f"the PTX has {len(entries)} .entry functions ({', '.join(entries) or 'none'}); "
            "name the one to run")
    return entries[0]


def entry_params(ptx: str, entry: str) -> tuple[PtxParam, ...]:
    """The ``.param`` list of kernel ``entry``."""
    m = _find_entry(ptx, entry)
    return tuple(PtxParam(p.group(3), p.group(2), int(p.group(4) or 1), int(p.group(1) or 0))
                 for p in _PARAM_RE.finditer(m.group(2) or ""))


def address_params(ptx: str, entry: str) -> frozenset[int]:
    """Indices of the 64-bit parameters of ``entry`` that its code uses as addresses.

    PTX does not say which parameters are pointers; a parameter is one here when
    the register it is loaded into (``ld.param.u64 %rd1, [p]``) is converted to a
    global address (``cvta.to.global.u64 %rd2, %rd1``) or dereferenced (``[%rd1]``),
    which is how NVRTC's code uses a C++ pointer parameter.
    """
    m = _find_entry(ptx, entry)
    end = ptx.find("\n}", m.end())
    body = ptx[m.end():end if end >= 0 else len(ptx)]
    found = set()
    for index, param in enumerate(entry_params(ptx, entry)):
        if param.type not in ("u64", "b64", "s64"):
            continue
        for load in re.finditer(rf"ld\.param\.[usb]64\s+(%\w+),\s*\[{re.escape(param.name)}\]", body):
            register = re.escape(load.group(1))
            if re.search(rf"cvta\.to\.\w+\.u64\s+%\w+,\s*{register}\b|\[{register}\b", body):
                found.add(index)
    return frozenset(found)


def entry_line(ptx: str, entry: str) -> int:
    """1-based line of the ``.entry`` directive of ``entry`` in ``ptx``."""
    return ptx.count("\n", 0, _find_entry(ptx, entry).start()) + 1


def entry_source_line(ptx: str, entry: str) -> int | None:
    """The source line of the first ``.loc`` in the body of ``entry`` (its definition), if any."""
    m = _find_entry(ptx, entry)
    end = ptx.find("\n}", m.end())
    loc = _LOC_RE.search(ptx, m.end(), end if end >= 0 else len(ptx))
    return int(loc.group(1)) if loc else None


def _find_entry(ptx: str, entry: str) -> re.Match:
    for m in _ENTRY_RE.finditer(ptx):
        if m.group(1) == entry:
            return m
    raise KernelEntryError(f"no .entry named {entry!r} in the PTX")


def ptx_target(ptx: str) -> str:
    """The SM named by the ``.target`` directive, e.g. ``"sm_80"`` or ``"sm_90a"``."""
    m = _TARGET_RE.search(ptx)
    if m is None:
        raise ValueError("the PTX has no .target directive")
    sm = m.group(1).split(",")[0].strip()
    if SM_NAME.match(sm) is None:
        raise ValueError(f"unrecognised PTX target {sm!r}")
    return sm


def runs_on(sm: str, cc: tuple[int, int]) -> bool:
    """Whether PTX for ``sm`` loads on a device of compute capability ``cc``.

    Plain targets run on the same or newer devices; ``sm_90a``-style
    (architecture-specific) only on that SM; ``sm_100f``-style (family) on
    the same major version, same or newer minor.
    """
    built = target_cc(sm)
    if sm.endswith("a"):
        return built == tuple(cc)
    if sm.endswith("f"):
        return built[0] == cc[0] and built[1] <= cc[1]
    return built <= tuple(cc)
