"""Textual PTX linking: define a module's external functions with definitions from another module.

emu runs one self-contained PTX module, while numba-cuda leaves some calls
(``cuda.fp16``/``cuda.bf16`` shims) to a link step on the device. ``link_ptx``
does that step in PTX text, like a static library: it takes from ``library``
only the definitions that ``ptx`` needs, and whatever those need in turn.
"""
from __future__ import annotations

import re
from dataclasses import dataclass

from emu.errors import LinkError

from .kernel import ptx_target, runs_on, target_cc

_NAME = r"[A-Za-z_$][\w$]*"
#: A module-scope symbol used in an instruction: not a register (``%r1``), not a
#: directive or modifier (``.u32``), not the tail of a longer name.
_REF_RE = re.compile(rf"(?<![\w$%.]){_NAME}")
_LEX_RE = re.compile(r'//[^\n]*|/\*.*?\*/|"(?:[^"\\\n]|\\.)*"|[{};\n]', re.DOTALL)
_COMMENT_RE = re.compile(r"//[^\n]*|/\*.*?\*/", re.DOTALL)
#: Directives that end at the end of their line rather than at ``;``.
_LINE_DIRECTIVE_RE = re.compile(r"\.(?:version|target|address_size|file)\b")
_LINKAGE_RE = re.compile(r"^((?:\.(?:visible|weak|extern|common)\s+)*)")
_FUNC_RE = re.compile(rf"\.(?:func|entry)\s*(?:\([^)]*\)\s*)?({_NAME})")
_VAR_RE = re.compile(rf"\.(?:global|const|shared|local|tex|texref|surfref|samplerref)\b.*?"
                     rf"({_NAME})\s*(?:<\d+>)?\s*(?:\[[^\]]*\]\s*)*$", re.DOTALL)
_LOC_LINE_RE = re.compile(r"^[ \t]*\.loc\b[^\n]*\n", re.MULTILINE)
_VERSION_RE = re.compile(r"^[ \t]*\.version[ \t]+(\d+)\.(\d+)", re.MULTILINE)
_ADDRESS_RE = re.compile(r"^[ \t]*\.address_size[ \t]+(\d+)", re.MULTILINE)


@dataclass(frozen=True)
class _Item:
    """One module-scope statement that declares or defines a symbol."""
    name: str
    linkage: str        # "extern", "weak" (also .common), "visible" or "internal"
    is_function: bool
    defined: bool       # a body, or storage for a variable
    start: int
    end: int
    text: str


def link_ptx(ptx: str, library: str) -> str:
    """``ptx`` with its ``.extern .func`` declarations that ``library`` defines resolved.

    Each such function's definition from ``library`` is appended to ``ptx``,
    with the definitions and variables it uses in turn (in ``library``'s
    order, so its forward declarations stay valid); the ``.extern``
    declaration stays in place as a prototype of the appended definition.
    Functions ``library`` does not define stay external. A ``library`` symbol
    without external linkage whose name ``ptx`` already uses is renamed; a
    weak definition yields to the other module's; two strong definitions of
    one name raise ``LinkError``, as does an external function whose
    parameters differ between the modules, or a ``library`` built for a
    target or address size ``ptx`` cannot take. The result has the higher of
    the two ``.version``. Copied code loses its ``.loc`` line info, whose
    file numbers belong to ``library``'s ``.file`` table.
    """
    _check_compatible(ptx, library)
    own, lib = _items(ptx), _items(library)
    own_by_name = {item.name: item for item in own}
    exported = {i.name: i for i in lib if i.defined and i.linkage in ("visible", "weak")}
    wanted = [i for i in own if i.linkage == "extern" and i.is_function and i.name in exported]
    if not wanted:
        return ptx
    for decl in wanted:
        _check_signature(decl, exported[decl.name])

    lib_names = {i.name for i in lib}
    taken = lib_names | own_by_name.keys()
    renames: dict[str, str] = {}
    needed: set[str] = set()
    pending = [decl.name for decl in wanted]
    while pending:
        name = pending.pop()
        if name in needed or name in renames:
            continue
        definition = next((i for i in lib if i.name == name and i.defined), None)
        mine = own_by_name.get(name)
        if definition is None or mine is None or (
                mine.linkage == "extern" and mine.is_function and definition.linkage != "internal"):
            needed.add(name)                # a library extern stays one unless ptx declares it
        elif definition.linkage == "internal":
            renames[name] = _fresh(name, taken)
            taken.add(renames[name])
        elif "weak" in (definition.linkage, mine.linkage):
            continue                        # ptx's definition is the one that counts
        else:
            raise LinkError(f"symbol {name!r} is in both PTX modules and cannot be merged")
        if definition is not None:
            pending.extend(_references(definition.text) & lib_names)

    copied = [_renamed(_LOC_LINE_RE.sub("", i.text), renames) for i in lib
              if i.name in renames or (i.name in needed and (i.defined or i.name not in own_by_name))]
    out = ptx
    for decl in sorted(wanted, key=lambda d: d.start, reverse=True):
        prototype = re.sub(r"\.extern\b", "." + exported[decl.name].linkage, decl.text, count=1)
        out = out[:decl.start] + prototype + out[decl.end:]
    return _with_version(out.rstrip("\n") + "\n\n" + "\n\n".join(copied) + "\n", library)


def extern_functions(ptx: str) -> list[str]:
    """Names of the functions ``ptx`` declares ``.extern`` (called but defined elsewhere)."""
    return [i.name for i in _items(ptx) if i.linkage == "extern" and i.is_function]


def _items(ptx: str) -> list[_Item]:
    items = []
    for start, end in _statements(ptx):
        text = ptx[start:end]
        head = _COMMENT_RE.sub(" ", _head(text)).rstrip().rstrip(";")
        prefix = _LINKAGE_RE.match(head).group(1)
        words = set(prefix.split())
        linkage = ("extern" if ".extern" in words else "weak" if words & {".weak", ".common"}
                   else "visible" if ".visible" in words else "internal")
        if m := _FUNC_RE.match(head, len(prefix)):
            items.append(_Item(m.group(1), linkage, True, text.endswith("}"), start, end, text))
        elif m := _VAR_RE.match(head, len(prefix)):
            items.append(_Item(m.group(1), linkage, False, linkage != "extern", start, end, text))
    return items


def _statements(ptx: str) -> list[tuple[int, int]]:
    """Spans of the module-scope statements of ``ptx``, without the comments between them.

    A statement ends at a ``;`` outside braces, at the ``}`` that closes a
    function body or a ``.section``, or, for ``.version``-like directives,
    at the end of the line.
    """
    spans, start, depth, pos = [], None, 0, 0
    for m in _LEX_RE.finditer(ptx):
        token = m.group()
        comment = token.startswith(("//", "/*"))
        if start is None:
            gap = ptx[pos:m.start()]
            if gap.strip():
                start = pos + len(gap) - len(gap.lstrip())
            elif token != "\n" and not comment:
                start = m.start()
        pos = m.end()
        if start is None or comment:
            continue
        if token == "{":
            depth += 1
        elif token == "}":
            depth -= 1
            if depth == 0 and re.search(r"\.(?:func|entry|section)\b", _head(ptx[start:m.start()])):
                spans.append((start, m.end()))
                start = None
        elif depth == 0 and (token == ";" or token == "\n" and _LINE_DIRECTIVE_RE.match(ptx, start)):
            spans.append((start, m.end() if token == ";" else m.start()))
            start = None
    return spans


def _head(statement: str) -> str:
    """A statement up to its body or initializer."""
    return re.split(r"[{=]", statement, maxsplit=1)[0]


def _references(text: str) -> set[str]:
    return set(_REF_RE.findall(_COMMENT_RE.sub(" ", text)))


def _renamed(text: str, renames: dict[str, str]) -> str:
    if not renames:
        return text
    pattern = re.compile(r"(?<![\w$%.])(" + "|".join(map(re.escape, renames)) + r")(?![\w$])")
    return pattern.sub(lambda m: renames[m.group(1)], text)


def _fresh(name: str, taken: set[str]) -> str:
    n = 1
    while f"{name}_{n}" in taken:
        n += 1
    return f"{name}_{n}"


def _signature(item: _Item) -> tuple:
    """The parameter types of a function, return values first, without the parameter names."""
    head = _COMMENT_RE.sub(" ", _head(item.text))
    m = re.search(rf"\.func\s*(\([^)]*\))?\s*{re.escape(item.name)}\s*(\([^)]*\))?", head)
    return tuple(tuple(" ".join(re.sub(rf"(?<![\w$.]){_NAME}", " ", p).split())
                       for p in (group or "()")[1:-1].split(",") if p.strip())
                 for group in m.groups())


def _check_signature(decl: _Item, definition: _Item) -> None:
    if _signature(decl) != _signature(definition):
        raise LinkError(f"function {decl.name!r} is declared with parameters {_signature(decl)} "
                        f"but defined with {_signature(definition)}")


def _check_compatible(ptx: str, library: str) -> None:
    sm, lib_sm = ptx_target(ptx), ptx_target(library)
    if not runs_on(lib_sm, target_cc(sm)):
        raise LinkError(f"PTX for {lib_sm} cannot be linked into PTX for {sm}")
    sizes = [m.group(1) if m else "32" for m in map(_ADDRESS_RE.search, (ptx, library))]
    if sizes[0] != sizes[1]:
        raise LinkError(f"cannot link {sizes[1]}-bit PTX into {sizes[0]}-bit PTX")


def _with_version(ptx: str, library: str) -> str:
    """``ptx`` declaring the higher of its own ``.version`` and ``library``'s."""
    own, lib = _VERSION_RE.search(ptx), _VERSION_RE.search(library)
    if own is None or lib is None:
        return ptx
    if tuple(map(int, lib.groups())) <= tuple(map(int, own.groups())):
        return ptx
    return ptx[:own.start(1)] + f"{lib.group(1)}.{lib.group(2)}" + ptx[own.end(2):]
