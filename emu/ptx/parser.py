"""PTX text -> :class:`emu.ptx.ir.Module`.

A recursive-descent parser over a token list made by one precompiled regular
expression. It checks syntax only: opcodes and modifiers are kept as written
and the ISA table (``emu.isa``) decides what they mean.

Things worth knowing about the output:

* Braces inside a function body only open scopes; their instructions are
  flattened into ``Function.body`` and their ``.reg`` declarations merged into
  ``Function.registers``. The ``.param`` declarations of the innermost scope
  (a call sequence) are attached to the ``call`` as ``call_params``.
* ``.loc`` may come before the ``.file`` it names (NVVM puts ``.file`` at the
  end), so source locations are resolved once the whole text is read.
* ``%r<14>`` declares ``%r0`` .. ``%r13``. A ``%name`` that is neither a
  declared register nor a special register is an error.
"""
from __future__ import annotations

import re
import struct
from math import prod

from emu.errors import PTXSyntaxError
from emu.ptx.ir import (
    Address, CallTarget, Function, Imm, Instruction, Module, Negated, PredPair,
    Reg, Sink, SourceLoc, Special, Symbol, Variable, Vector, type_size,
)


# ------------------------------------------------------------------ lexer
# Every match is one token, after skipping whitespace and comments. The ``eof``
# alternative matches the (possibly comment-only) tail, so finditer never has
# to skip text silently; anything unexpected becomes a ``bad`` token.
_TOKEN_RE = re.compile(r"""
    (?:\s+|//[^\n]*|/\*.*?\*/)*
    (?:
        (?P<str>"(?:[^"\\\n]|\\.)*")
      | (?P<num>0[fF][0-9A-Fa-f]{8}|0[dD][0-9A-Fa-f]{16}
              |0[xX][0-9A-Fa-f]+U?|0[bB][01]+U?
              |\d+\.\d*(?:[eE][+-]?\d+)?|\d+[eE][+-]?\d+|\d+U?)
      | (?P<dir>\.[A-Za-z_][\w$]*)
      | (?P<word>[A-Za-z_$%][\w$]*(?:(?:\.|::)[\w$]+)*)
      | (?P<punct>[;,{}()\[\]<>:+\-!|@=])
      | (?P<eof>\Z)
      | (?P<bad>\S)
    )""", re.S | re.X)


def _tokenize(text: str) -> list[tuple[str, str, int]]:
    """(kind, text, offset) for every token; the last one has kind ``eof``."""
    return [(m.lastgroup, m[m.lastgroup], m.start(m.lastgroup)) for m in _TOKEN_RE.finditer(text)]


def _describe(token: tuple[str, str, int]) -> str:
    return "end of input" if token[0] == "eof" else repr(token[1])


# ---------------------------------------------------------------- numbers
def _int_value(text: str) -> int:
    """A PTX integer literal: decimal, 0x hex, 0b binary, C-style octal; optional U."""
    digits = text.rstrip("U")
    prefix = digits[:2].lower()
    if prefix == "0x":
        return int(digits[2:], 16)
    if prefix == "0b":
        return int(digits[2:], 2)
    if len(digits) > 1 and digits[0] == "0":
        return int(digits, 8)
    return int(digits)


def _number(text: str) -> Imm:
    prefix = text[:2].lower()
    if prefix == "0f":
        return Imm(int(text[2:], 16), is_float=True, width=32)
    if prefix == "0d":
        return Imm(int(text[2:], 16), is_float=True, width=64)
    if prefix not in ("0x", "0b") and any(c in text for c in ".eE"):
        bits = struct.unpack("<Q", struct.pack("<d", float(text)))[0]
        return Imm(bits, is_float=True, width=64)
    return Imm(_int_value(text))


def _negated(imm: Imm) -> Imm:
    """``-imm``; for floats this flips the sign bit, so hex floats stay exact."""
    if imm.is_float:
        return Imm(imm.value ^ (1 << (imm.width - 1)), is_float=True, width=imm.width)
    return Imm(-imm.value)


# ------------------------------------------------------------ vocabulary
_STATE_SPACES = frozenset({".global", ".shared", ".const", ".local"})
_LINKAGES = frozenset({".visible", ".extern", ".weak", ".common"})
_VECTOR_PREFIXES = {".v2": 2, ".v4": 4, ".v8": 8}
# Performance directives between a function's signature and its body.
_DIM_DIRECTIVES = frozenset({".maxntid", ".reqntid", ".reqnctapercluster"})      # -> (x, y, z)
_SCALAR_DIRECTIVES = frozenset({".minnctapersm", ".maxnctapersm", ".maxnreg", ".maxclusterrank"})
_FLAG_DIRECTIVES = frozenset({".noreturn", ".explicitcluster", ".blocksareclusters"})

_SPECIAL_RE = re.compile(
    r"%(?:(?P<vec>tid|ntid|ctaid|nctaid|clusterid|nclusterid|cluster_ctaid|cluster_nctaid)"
    r"(?:\.(?P<comp>[xyz]))?"
    r"|(?P<scalar>laneid|warpid|nwarpid|smid|nsmid|gridid|clock|clock_hi|clock64"
    r"|lanemask_(?:eq|le|lt|ge|gt)|globaltimer(?:_lo|_hi)?|envreg\d+|pm[0-7](?:_64)?"
    r"|dynamic_smem_size|total_smem_size|aggr_smem_size|is_explicit_cluster"
    r"|cluster_ctarank|cluster_nctarank|reserved_smem_offset_(?:begin|end|cap|[01])"
    r"|current_graph_exec))")

_ESCAPE_RE = re.compile(r"\\(.)")
_SINK = Sink()
_WARP_SIZE = Imm(32)  # the predefined constant WARP_SZ


def _is_type(directive: str) -> bool:
    try:
        type_size(directive[1:])
    except ValueError:
        return False
    return True


# ----------------------------------------------------------------- parser
class _Parser:
    def __init__(self, text: str):
        self.text = text
        self.toks = _tokenize(text)
        self.i = 0
        self.version = ""
        self.target = ""
        self.address_size = 32          # the PTX default when .address_size is absent
        self.variables: list[Variable] = []
        self.functions: dict[str, Function] = {}
        self.files: dict[int, str] = {}
        self.debug_str = bytearray()    # contents of .section .debug_str
        self.debug_labels: dict[str, int] = {}
        # per-function state
        self.registers: dict[str, str] = {}
        self.operands: dict[str, object] = {}   # cache: operand word -> Reg/Special/Symbol/...
        self.loc: tuple | None = None           # raw .loc, resolved in resolve_locs
        self.imms: dict[str, Imm] = {}          # cache: literal text -> Imm

    # -------------------------------------------------------- token helpers
    def error(self, message: str, token: tuple | None = None) -> PTXSyntaxError:
        pos = (token or self.toks[self.i])[2]
        start = self.text.rfind("\n", 0, pos) + 1
        end = self.text.find("\n", pos)
        source = self.text[start:end if end >= 0 else len(self.text)].strip()
        return PTXSyntaxError(message, self.text.count("\n", 0, pos) + 1, source)

    def peek(self) -> str:
        return self.toks[self.i][1]

    def advance(self) -> tuple[str, str, int]:
        token = self.toks[self.i]
        if token[0] != "eof":
            self.i += 1
        return token

    def expect(self, value: str) -> tuple[str, str, int]:
        token = self.toks[self.i]
        if token[1] != value:
            raise self.error(f"expected {value!r}, found {_describe(token)}")
        self.i += 1
        return token

    def expect_kind(self, kind: str, what: str) -> str:
        token = self.toks[self.i]
        if token[0] != kind:
            raise self.error(f"expected {what}, found {_describe(token)}")
        self.i += 1
        return token[1]

    def number(self, text: str) -> Imm:
        imm = self.imms.get(text)
        if imm is None:
            imm = self.imms[text] = _number(text)
        return imm

    def integer(self, what: str = "an integer") -> int:
        token = self.toks[self.i]
        imm = self.number(token[1]) if token[0] == "num" else None
        if imm is None or imm.is_float:
            raise self.error(f"expected {what}, found {_describe(token)}")
        self.i += 1
        return imm.value

    def signed_integer(self, what: str = "an integer") -> int:
        if self.peek() == "-":
            self.i += 1
            return -self.integer(what)
        return self.integer(what)

    def string(self) -> str:
        return _ESCAPE_RE.sub(r"\1", self.expect_kind("str", "a string")[1:-1])

    # --------------------------------------------------------- module level
    def parse_module(self) -> Module:
        while True:
            token = self.advance()
            kind, value = token[0], token[1]
            if kind == "eof":
                break
            if kind != "dir":
                raise self.error(f"expected a directive, found {_describe(token)}", token)
            if value == ".version":
                self.version = self.expect_kind("num", "a version number")
            elif value == ".target":
                self.target = self.expect_kind("word", "a target name")
                while self.peek() == ",":       # ", debug", ", texmode_independent"
                    self.i += 1
                    self.expect_kind("word", "a target option")
            elif value == ".address_size":
                self.address_size = self.integer("an address size")
            elif value == ".file":
                self.file_directive()
            elif value == ".section":
                self.section()
            elif value == ".pragma":
                self.pragma()
            else:
                self.module_declaration(token)
        self.resolve_locs()
        return Module(version=self.version, target=self.target, address_size=self.address_size,
                      variables=self.variables, functions=self.functions, files=self.files)

    def module_declaration(self, token: tuple) -> None:
        value, linkage = token[1], ""
        if value in _LINKAGES:
            linkage = value[1:]
            token = self.advance()
            value = token[1]
        if value in (".entry", ".func"):
            self.function(linkage, is_entry=value == ".entry")
        elif value in _STATE_SPACES:
            self.variables.extend(self.variable_declaration(value[1:], linkage))
        else:
            raise self.error(f"unexpected {_describe(token)} at module scope", token)

    def file_directive(self) -> None:
        file_id = self.integer("a file index")
        self.files[file_id] = self.string()
        while self.peek() == ",":                # optional timestamp, file size
            self.i += 1
            self.integer("a file timestamp or size")

    def pragma(self) -> None:
        self.string()
        while self.peek() == ",":
            self.i += 1
            self.string()
        self.expect(";")

    def section(self) -> None:
        """Skip a DWARF section, keeping the strings of ``.debug_str`` (for .loc function_name)."""
        name = self.expect_kind("dir", "a section name")
        keep = name == ".debug_str"
        self.expect("{")
        depth = 1
        while depth:
            token = self.advance()
            kind, value = token[0], token[1]
            if kind == "eof":
                raise self.error(f"unterminated section {name}", token)
            if value == "{":
                depth += 1
            elif value == "}":
                depth -= 1
            elif keep and kind == "num":
                self.debug_str.append(_int_value(value) & 0xFF)
            elif keep and kind == "word" and self.peek() == ":":
                self.i += 1
                self.debug_labels[value] = len(self.debug_str)

    # ----------------------------------------------------------- declarations
    def variable_declaration(self, space: str, linkage: str = "", single: bool = False) -> list[Variable]:
        """``[.align N] [.vN] .type [.ptr [.space] [.align N]] name[dims] [= init] {, name...} ;``

        With ``single`` (a parameter in a signature) exactly one name and no ``;``.
        """
        align, vector = 0, 1
        while True:
            token = self.advance()
            value = token[1]
            if value == ".align":
                align = self.integer("an alignment")
            elif value in _VECTOR_PREFIXES:
                vector = _VECTOR_PREFIXES[value]
            elif token[0] == "dir" and _is_type(value):
                type_name = value[1:]
                break
            else:
                raise self.error(f"expected a type in .{space} declaration, found {_describe(token)}", token)
        if self.peek() == ".ptr":               # kernel parameter attributes; only hints
            self.i += 1
            if self.peek() in _STATE_SPACES:
                self.i += 1
            if self.peek() == ".align":
                self.i += 1
                self.integer("an alignment")
        if vector > 1 and align == 0:
            align = vector * type_size(type_name)
        declared = []
        while True:
            name = self.expect_kind("word", "a variable name")
            dims = []
            while self.peek() == "[":
                self.i += 1
                if self.peek() == "]":
                    dims.append(None)
                else:
                    dims.append(self.integer("an array size"))
                self.expect("]")
            init = None
            if self.peek() == "=":
                if single:
                    raise self.error("parameters cannot have initializers")
                self.i += 1
                init = self.initializer()
            if None in dims:
                count = len(init) if init is not None else 0
            else:
                count = prod(dims) * vector
            declared.append(Variable(name=name, space=space, type=type_name, count=count, align=align,
                                     init=init, extern=linkage == "extern", linkage=linkage))
            if single:
                return declared
            if self.peek() != ",":
                break
            self.i += 1
        self.expect(";")
        return declared

    def initializer(self) -> tuple:
        values: list = []
        if self.peek() == "{":
            self.initializer_list(values)
        else:
            values.append(self.initializer_value())
        return tuple(values)

    def initializer_list(self, out: list) -> None:
        """``{a, b, {c, d}}``, flattened into ``out``."""
        self.expect("{")
        if self.peek() == "}":
            self.i += 1
            return
        while True:
            if self.peek() == "{":
                self.initializer_list(out)
            else:
                out.append(self.initializer_value())
            if self.peek() != ",":
                break
            self.i += 1
        self.expect("}")

    def initializer_value(self) -> int | Imm:
        negative = self.peek() == "-"
        if negative:
            self.i += 1
        token = self.advance()
        if token[0] != "num":
            raise self.error(f"unsupported initializer value {_describe(token)} (only numbers)", token)
        imm = _number(token[1])
        if negative:
            imm = _negated(imm)
        return imm if imm.is_float else imm.value

    def register_declaration(self) -> None:
        """``.reg .type %a, %r<14>;`` -- ``%r<14>`` is %r0 .. %r13."""
        token = self.advance()
        if token[1] in _VECTOR_PREFIXES:
            raise self.error("vector registers are not supported", token)
        if token[0] != "dir" or not _is_type(token[1]):
            raise self.error(f"expected a register type, found {_describe(token)}", token)
        type_name = token[1][1:]
        registers = self.registers
        while True:
            name_token = self.toks[self.i]
            name = self.expect_kind("word", "a register name")
            if self.peek() == "<":
                self.i += 1
                names = [f"{name}{k}" for k in range(self.integer("a register count"))]
                self.expect(">")
            else:
                names = [name]
            for reg in names:
                if registers.setdefault(reg, type_name) != type_name:
                    raise self.error(f"register {reg} redeclared as .{type_name} (was .{registers[reg]})",
                                     name_token)
            if self.peek() != ",":
                break
            self.i += 1
        self.expect(";")

    # -------------------------------------------------------------- functions
    def parameter_list(self) -> list[Variable]:
        self.expect("(")
        params: list[Variable] = []
        if self.peek() == ")":
            self.i += 1
            return params
        while True:
            self.expect(".param")
            params.extend(self.variable_declaration("param", single=True))
            if self.peek() != ",":
                break
            self.i += 1
        self.expect(")")
        return params

    def function(self, linkage: str, is_entry: bool) -> None:
        returns = self.parameter_list() if not is_entry and self.peek() == "(" else []
        name_token = self.toks[self.i]
        name = self.expect_kind("word", "a function name")
        params = self.parameter_list() if self.peek() == "(" else []
        directives = self.performance_directives()
        fn = Function(name=name, is_entry=is_entry, params=params, returns=returns, registers={},
                      locals=[], body=[], labels={}, directives=directives)
        if self.peek() == ";":
            self.i += 1
            fn.is_extern = True
            self.functions.setdefault(name, fn)     # a later definition replaces it
            return
        self.expect("{")
        previous = self.functions.get(name)
        if previous is not None and not previous.is_extern:
            raise self.error(f"function {name} is defined twice", name_token)
        self.function_body(fn)
        self.functions[name] = fn

    def performance_directives(self) -> dict:
        directives: dict = {}
        while True:
            value = self.peek()
            if value in _DIM_DIRECTIVES:
                self.i += 1
                dims = [self.integer("a dimension")]
                while self.peek() == "," and len(dims) < 3:
                    self.i += 1
                    dims.append(self.integer("a dimension"))
                directives[value[1:]] = tuple(dims) + (1,) * (3 - len(dims))
            elif value in _SCALAR_DIRECTIVES:
                self.i += 1
                directives[value[1:]] = self.integer(f"a value for {value}")
            elif value in _FLAG_DIRECTIVES:
                self.i += 1
                directives[value[1:]] = True
            else:
                return directives

    def function_body(self, fn: Function) -> None:
        """Everything after the opening ``{`` up to its matching ``}``."""
        self.registers = fn.registers
        self.operands = {}
        self.loc = None
        body, labels, toks = fn.body, fn.labels, self.toks
        scopes: list[list[Variable]] = [[]]     # .param declarations of each open brace
        while True:
            kind, value, _ = token = toks[self.i]
            if kind == "word" and toks[self.i + 1][1] == ":":
                if value in labels:
                    raise self.error(f"duplicate label {value}", token)
                labels[value] = len(body)
                self.i += 2
            elif kind == "word" or value == "@":
                body.append(self.instruction(scopes[-1]))
            elif kind == "dir":
                self.i += 1
                if value == ".reg":
                    self.register_declaration()
                elif value == ".loc":
                    self.loc_directive()
                elif value == ".param":
                    scopes[-1].extend(self.variable_declaration("param"))
                elif value in _STATE_SPACES:
                    fn.locals.extend(self.variable_declaration(value[1:]))
                elif value == ".pragma":
                    self.pragma()
                else:
                    raise self.error(f"unexpected directive {value} in function body", token)
            elif value == "{":
                self.i += 1
                scopes.append([])
            elif value == "}":
                self.i += 1
                scopes.pop()
                if not scopes:
                    return
            elif kind == "eof":
                raise self.error(f"unterminated body of function {fn.name}", token)
            else:
                raise self.error(f"expected an instruction, found {_describe(token)}", token)

    def loc_directive(self) -> None:
        """``.loc file line [col] [, function_name label[+off]] [, inlined_at file line col]``"""
        file_id = self.integer("a file index")
        line = self.integer("a line number")
        column = self.integer("a column") if self.toks[self.i][0] == "num" else 0
        function = inlined_at = None
        while self.peek() == ",":
            self.i += 1
            token = self.advance()
            if token[1] == "function_name":
                label = self.expect_kind("word", "a debug string label")
                offset = 0
                if self.peek() == "+":
                    self.i += 1
                    offset = self.integer("a label offset")
                function = (label, offset)
            elif token[1] == "inlined_at":
                inlined_at = (self.integer("a file index"), self.integer("a line number"),
                              self.integer("a column"))
            else:
                raise self.error(f"unknown .loc attribute {_describe(token)}", token)
        self.loc = (file_id, line, column, function, inlined_at)

    # ------------------------------------------------------------ instructions
    def instruction(self, call_params: list[Variable]) -> Instruction:
        toks = self.toks
        first = toks[self.i]
        guard, guard_negated = None, False
        if first[1] == "@":
            self.i += 1
            if self.peek() == "!":
                self.i += 1
                guard_negated = True
            guard = self.register("a guard predicate")
        kind, word, _ = token = toks[self.i]
        if kind != "word" or not word[0].isalpha():
            raise self.error(f"expected an opcode, found {_describe(token)}", token)
        self.i += 1
        opcode, *modifiers = word.split(".")
        if opcode == "call":
            operands = (self.call_target(),)
        else:
            operands = []
            if toks[self.i][1] != ";":
                operands.append(self.operand())
                while toks[self.i][1] == ",":
                    self.i += 1
                    operands.append(self.operand())
            operands = tuple(operands)
        end = toks[self.i]
        if end[1] != ";":
            raise self.error(f"expected ',' or ';' after operand, found {_describe(end)}", end)
        self.i += 1
        return Instruction(opcode=opcode, modifiers=tuple(modifiers), operands=operands, guard=guard,
                           guard_negated=guard_negated, loc=self.loc,
                           text=" ".join(self.text[first[2]:end[2] + 1].split()),
                           call_params=tuple(call_params) if opcode == "call" else ())

    def call_target(self) -> CallTarget:
        """``[(ret), ] func [, (args)]`` -- direct calls only."""
        returns: tuple = ()
        if self.peek() == "(":
            returns = self.symbol_list()
            self.expect(",")
        token = self.toks[self.i]
        name = self.expect_kind("word", "a function name")
        if name.startswith("%"):
            raise self.error("indirect calls are not supported", token)
        args: tuple = ()
        if self.peek() == ",":
            self.i += 1
            args = self.symbol_list()
            if self.peek() == ",":
                raise self.error("call prototypes and target lists are not supported")
        return CallTarget(returns=returns, function=name, args=args)

    def symbol_list(self) -> tuple:
        self.expect("(")
        names = []
        if self.peek() != ")":
            names.append(Symbol(self.expect_kind("word", "a parameter name")))
            while self.peek() == ",":
                self.i += 1
                names.append(Symbol(self.expect_kind("word", "a parameter name")))
        self.expect(")")
        return tuple(names)

    def operand(self):
        kind, value, _ = token = self.toks[self.i]
        self.i += 1
        if kind == "word":
            first = self.word(token)
            if self.toks[self.i][1] != "|":
                return first
            self.i += 1
            return PredPair(first, self.word(self.advance()))
        if kind == "num":
            return self.number(value)
        if value == "-":
            return _negated(_number(self.expect_kind("num", "a number after '-'")))
        if value == "!":
            return Negated(self.register("a predicate after '!'"))
        if value == "[":
            return self.address()
        if value == "{":
            elements = [self.operand()]
            while self.peek() == ",":
                self.i += 1
                elements.append(self.operand())
            self.expect("}")
            return Vector(tuple(elements))
        raise self.error(f"expected an operand, found {_describe(token)}", token)

    def word(self, token: tuple):
        """A name used as an operand: register, special register, ``_``, or symbol."""
        if token[0] != "word":
            raise self.error(f"expected a name, found {_describe(token)}", token)
        value = token[1]
        operand = self.operands.get(value)
        if operand is not None:
            return operand
        if value in self.registers:
            operand = Reg(value)
        elif value == "_":
            operand = _SINK
        elif value == "WARP_SZ":
            operand = _WARP_SIZE
        elif value[0] == "%":
            special = _SPECIAL_RE.fullmatch(value)
            if special is None:
                raise self.error(f"undeclared register {value}", token)
            operand = Special(special["vec"] or special["scalar"], special["comp"])
        else:
            operand = Symbol(value)
        self.operands[value] = operand
        return operand

    def register(self, what: str) -> Reg:
        token = self.advance()
        if token[0] != "word" or token[1] not in self.registers:
            raise self.error(f"expected {what} (a declared register), found {_describe(token)}", token)
        return self.word(token)

    def address(self) -> Address:
        """``[reg]``, ``[reg+off]``, ``[reg+-off]``, ``[reg-off]``, ``[sym+off]``, ``[imm]``."""
        token = self.advance()
        if token[0] == "num":
            self.i -= 1
            base, offset = None, self.integer("an address")
        else:
            base = self.word(token)
            if not isinstance(base, (Reg, Symbol)):
                raise self.error(f"{token[1]} cannot be an address base", token)
            offset = 0
            if self.peek() == "+":
                self.i += 1
                offset = self.signed_integer("an address offset")
            elif self.peek() == "-":
                self.i += 1
                offset = -self.integer("an address offset")
        self.expect("]")
        return Address(base, offset)

    # ---------------------------------------------------------- source lines
    def resolve_locs(self) -> None:
        """Turn the raw ``.loc`` tuples stored on instructions into SourceLoc."""
        resolved: dict[tuple, SourceLoc] = {}
        for fn in self.functions.values():
            for inst in fn.body:
                raw = inst.loc
                if raw is None:
                    continue
                loc = resolved.get(raw)
                if loc is None:
                    loc = resolved[raw] = self.source_loc(raw)
                inst.loc = loc

    def source_loc(self, raw: tuple) -> SourceLoc:
        file_id, line, column, function, inlined_at = raw
        caller = None
        if inlined_at is not None:
            caller = SourceLoc(self.files.get(inlined_at[0], ""), inlined_at[1], inlined_at[2])
        return SourceLoc(self.files.get(file_id, ""), line, column,
                         function=self.debug_string(*function) if function else "",
                         inlined_at=caller)

    def debug_string(self, label: str, offset: int) -> str:
        start = self.debug_labels.get(label)
        if start is None:
            return ""
        start += offset
        end = self.debug_str.find(0, start)
        return self.debug_str[start:end if end >= 0 else len(self.debug_str)].decode("utf-8", "replace")


def parse_ptx(text: str) -> Module:
    """Parse a PTX module. Raises PTXSyntaxError (with a line number) on malformed input."""
    return _Parser(text).parse_module()
