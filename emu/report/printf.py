"""Format what kernels printed through ``vprintf`` (numba's ``print()``, CUDA's ``printf``).

vprintf receives a format string and a buffer of arguments, each aligned to
its own size: 4 bytes for int/unsigned/char, 8 for long, double (floats are
promoted) and pointers (``%s`` strings live in device memory).
"""
from __future__ import annotations

import re
import struct

import numpy as np

from emu.engine import layout as L

_SPEC = re.compile(r"%([-+ #0]*)(\d+|\*)?(?:\.(\d+))?(hh|h|ll|l|z|j|t)?([diouxXeEfFgGcsp%])")


def _c_string(mem: np.ndarray, memory, address: int) -> str:
    offset = address - L.GLOBAL_BASE
    if not (0 <= offset < memory.layout["heap_size"]):
        return "<bad string pointer>"
    end = offset
    while end < len(mem) and mem[end] != 0:
        end += 1
    return bytes(mem[offset:end]).decode("utf-8", errors="replace")


def format_one(fmt: str, args: bytes, mem: np.ndarray, memory) -> str:
    pos = 0

    def take(size: int, code: str):
        nonlocal pos
        pos = (pos + size - 1) // size * size
        if pos + size > len(args):
            raise IndexError
        (value,) = struct.unpack_from("<" + code, args, pos)
        pos += size
        return value

    def convert(match: re.Match) -> str:
        flags, width, precision, length, conv = match.groups()
        if conv == "%":
            return "%"
        spec = "%" + flags + (width or "") + (f".{precision}" if precision else "")
        try:
            if conv in "diouxXc":
                wide = length in ("l", "ll", "z", "j", "t")
                signed = conv in "di"
                value = take(8, "q" if signed else "Q") if wide else take(4, "i" if signed else "I")
                if conv == "u":
                    conv = "d"
                return (spec + conv) % (chr(value) if conv == "c" else value)
            if conv in "eEfFgG":
                return (spec + conv) % take(8, "d")
            if conv == "s":
                return (spec + "s") % _c_string(mem, memory, take(8, "Q"))
            return f"{take(8, 'Q'):#x}"
        except IndexError:
            return match.group(0)

    return _SPEC.sub(convert, fmt)


def format_printf(mem: np.ndarray, memory, meta: np.ndarray, buf: np.ndarray, dropped: int) -> list:
    lines = []
    for k, (fmt_address, _cta, _thread, nbytes) in enumerate(meta):
        fmt = _c_string(mem, memory, int(fmt_address))
        lines.append(format_one(fmt, bytes(buf[k, :nbytes]), mem, memory))
    if dropped:
        lines.append(f"[emu: {dropped} more printf records were dropped]\n")
    return lines
