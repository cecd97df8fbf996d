"""Raw PTX (text or a ``.ptx`` file) -> ``CompiledKernel``."""
from __future__ import annotations

import os

from .kernel import CompiledKernel, choose_entry, entry_line, ptx_target, runs_on, target_cc


def load_ptx(text_or_path: str | os.PathLike, entry: str | None = None,
             cc: tuple[int, int] | None = None) -> CompiledKernel:
    """Wrap PTX written by hand or by another compiler.

    ``text_or_path`` is a path (a ``PathLike`` or a one-line string: PTX
    text has several lines) or the PTX text itself. ``entry`` picks the
    kernel; with ``None`` the PTX must have exactly one ``.entry``. ``cc`` is
    the device to run on, by default the ``.target``; PTX that device could
    not load (built for a newer SM, or for another SM's ``a`` features) is
    refused. The source is the PTX itself: ``first_line`` is the ``.entry`` line.
    """
    if isinstance(text_or_path, os.PathLike) or "\n" not in text_or_path:
        source_file = os.fspath(text_or_path)
        with open(source_file, encoding="utf-8") as f:
            ptx = f.read()
    else:
        source_file, ptx = "<ptx>", text_or_path
    target = ptx_target(ptx)
    if cc is None:
        cc = target_cc(target)
    elif not runs_on(target, cc):
        raise ValueError(f"PTX for {target} cannot run on compute capability {cc[0]}.{cc[1]}")
    entry = choose_entry(ptx, entry)
    return CompiledKernel(name=entry, ptx=ptx, entry=entry, arg_types=None, source_file=source_file,
                          first_line=entry_line(ptx, entry), cc=(int(cc[0]), int(cc[1])))
