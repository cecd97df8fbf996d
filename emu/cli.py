"""emu's command line: ``emu run|arch|ptx|compare|bench`` (also ``python -m emu``).

``python -m emu [options] script.py args...`` and ``python -m emu [options] -m module args...``
are ``emu run``: the program runs unmodified with numba.cuda on the emulated GPU
(``emu.dropin``), and the launches it made are summarised at exit, on stderr so
that the program's own output is what it would print on a GPU.
"""
from __future__ import annotations

import dataclasses
import os
import runpy
import sys
import time
import traceback

import click

from emu.arch.presets import ALIASES, PRESETS, get_preset


class _RunByDefault(click.Group):
    """A group whose first argument, when it names no command, starts ``run``: ``emu script.py``."""

    def parse_args(self, ctx, args):
        if args and args[0] not in self.commands and args[0] not in ("--help", "-h"):
            args = ["run", *args]
        return super().parse_args(ctx, args)


@click.group(cls=_RunByDefault, context_settings={"help_option_names": ["-h", "--help"]})
def main():
    """emu: run numba.cuda and CUDA C++ kernels on an emulated GPU, on the CPU.

    \b
    python -m emu script.py args...          run a numba.cuda program unmodified
    python -m emu --arch h100 -m pytest t/   run a module (as python -m does)
    """


def _preset_name(ctx, param, value):
    try:
        return get_preset(value).sm
    except (KeyError, ValueError) as exc:
        raise click.BadParameter(str(exc)) from None


_ARCH = click.option("--arch", default="sm_80", show_default=True, callback=_preset_name,
                     help=f"GPU preset: {', '.join([*PRESETS, *ALIASES])}")


@main.command(context_settings={"ignore_unknown_options": True, "allow_interspersed_args": False})
@_ARCH
@click.option("-m", "module", metavar="MODULE", help="Run a module as a script (like python -m).")
@click.option("--report", is_flag=True, help="After the table, print every launch's whole report.")
@click.option("--json", "json_dir", metavar="DIR", help="Write each launch's report as DIR/NNNN_kernel.json.")
@click.option("--plot", "plot_dir", metavar="DIR", help="Plot each launch's report as DIR/NNNN_kernel.png.")
@click.option("-q", "--quiet", is_flag=True, help="No table at exit.")
@click.option("--mode", type=click.Choice(["timing", "functional"]), default="timing", show_default=True,
              help="timing: the cycle model (cycles, µs, stalls); functional: results only, faster.")
@click.argument("argv", nargs=-1, type=click.UNPROCESSED)
def run(arch, module, report, json_dir, plot_dir, quiet, mode, argv):
    """Run SCRIPT [ARGS] (or -m MODULE [ARGS]) with numba.cuda on the emulated GPU."""
    from emu.dropin import activate, deactivate, summary

    if module is None and not argv:
        raise click.UsageError("give a script to run, or -m MODULE")
    deactivate()                         # a parent emu run may have activated another preset here
    session = activate(arch, mode)
    _emulate_child_processes(arch, mode)
    sys.argv = [module or argv[0], *(argv if module else argv[1:])]
    code = 0
    try:
        if module:
            runpy.run_module(module, run_name="__main__", alter_sys=True)
        else:
            sys.path.insert(0, _script_dir(argv[0]))
            runpy.run_path(argv[0], run_name="__main__")
    except SystemExit as exc:
        code = exc.code
    except BaseException as exc:             # as python reports it: the program's frames only
        traceback.print_exception(type(exc), exc, _program_frames(exc.__traceback__))
        code = 1
    finally:
        if not quiet:
            summary.print_summary(session.runs, sys.stderr, full=report)
        if json_dir:
            summary.write_json(session.runs, json_dir)
        if plot_dir:
            summary.write_plots(session.runs, plot_dir)
    sys.exit(code)


def _emulate_child_processes(arch: str, mode: str) -> None:
    """Python processes the program starts activate emu too (``emu/dropin/child_process``)."""
    folder = os.path.join(os.path.dirname(os.path.abspath(__file__)), "dropin", "child_process")
    os.environ["EMU_DROPIN_ARCH"] = arch
    os.environ["EMU_DROPIN_MODE"] = mode
    os.environ["PYTHONPATH"] = os.pathsep.join(p for p in (folder, os.environ.get("PYTHONPATH")) if p)


def _program_frames(tb):
    """The traceback from the first frame that is not emu's command line or runpy starting the program."""
    while tb is not None and (tb.tb_frame.f_code.co_filename in (__file__, runpy.__file__)
                              or tb.tb_frame.f_code.co_filename.startswith("<frozen runpy")):
        tb = tb.tb_next
    return tb


def _script_dir(path: str) -> str:
    """The script's folder, first on sys.path as ``python script.py`` puts it."""
    return os.path.dirname(os.path.abspath(path))


@main.command()
@click.argument("name", required=False)
def arch(name):
    """The GPU presets; with NAME, every number of that preset."""
    from rich.console import Console
    from rich.table import Table

    console = Console()
    if name is None:
        t = Table(title="emu GPU presets (emu arch NAME for all numbers)", title_justify="left")
        for column in ("preset", "aliases", "GPU", "cc", "SMs", "clock MHz", "threads/SM", "smem/block (opt-in)"):
            t.add_column(column)
        for sm, p in PRESETS.items():
            aliases = ", ".join(a for a, target in ALIASES.items() if target == sm)
            t.add_row(sm, aliases, p.name, "%d.%d" % p.cc, str(p.sm_count), f"{p.clock_mhz:g}",
                      str(p.max_threads_per_sm),
                      f"{p.max_shared_per_block_bytes // 1024} KiB ({p.max_shared_per_block_optin_bytes // 1024} KiB)")
        console.print(t)
        return
    try:
        preset = get_preset(name)
    except (KeyError, ValueError) as exc:
        raise click.BadParameter(str(exc), param_hint="NAME") from None
    t = Table(title=f"{preset.sm}: {preset.name}", title_justify="left")
    t.add_column("field")
    t.add_column("value", justify="right")
    for f in dataclasses.fields(preset):
        value = getattr(preset, f.name)
        if dataclasses.is_dataclass(value):
            for g in dataclasses.fields(value):
                t.add_row(f"{f.name}.{g.name}", str(getattr(value, g.name)))
        else:
            t.add_row(f.name, str(value))
    console.print(t)


@main.command()
@click.argument("target", metavar="FILE.py:KERNEL")
@_ARCH
@click.option("--signature", "-s", help='Argument types, e.g. "float32[:], float32[:]" (if the kernel has none).')
def ptx(target, arch, signature):
    """Print a numba.cuda kernel's PTX for a preset, each .loc with its source line."""
    from emu.dropin import activate
    from emu.frontend.listing import annotated_ptx, kernel_from_file

    path, _, name = target.rpartition(":")
    if not path or not name:
        raise click.BadParameter("expected FILE.py:KERNEL", param_hint="FILE.py:KERNEL")
    activate(arch)                       # a file that launches kernels when imported still runs, on emu
    kernel = kernel_from_file(path, name)
    click.echo(annotated_ptx(kernel, get_preset(arch).cc, signature))


@main.command()
@click.argument("measured", type=click.Path(exists=True, dir_okay=False))
@click.option("--gpu", required=True, help="The emu preset to compare with (a100, h200, sm_90, ...).")
@click.option("--emulated", type=click.Path(exists=True, dir_okay=False),
              help="An emulated timing file to use instead of running emu now.")
def compare(measured, gpu, emulated):
    """Emulated vs measured time per kernel and microbenchmark, with the mean absolute error, from a
    timing file recorded on a GPU (python -m emu.hw.timing)."""
    from pathlib import Path

    from emu.hw.compare import compare as compare_files

    click.echo(compare_files(Path(measured), gpu, Path(emulated) if emulated else None))


@main.command()
@_ARCH
@click.option("--n", default=128, show_default=True, help="SGEMM size (N×N float32).")
def bench(arch, n):
    """Time the lecture's 16×16 tiled SGEMM on the engine: warp instructions/s and FMA/s."""
    import numpy as np
    from rich.console import Console
    from rich.table import Table

    from emu.launch import GPU
    from kernels.gemm import TPB, gemm_tiled

    gpu = GPU(arch)
    rng = np.random.default_rng(n)
    A, B = (rng.uniform(-1, 1, (n, n)).astype(np.float32) for _ in range(2))
    C = np.zeros((n, n), np.float32)
    tiles = (n + TPB - 1) // TPB
    gpu.launch(gemm_tiled, (tiles, tiles), (TPB, TPB), (A, B, C))      # compiles the PTX, loads the engine
    start = time.perf_counter()
    run_ = gpu.launch(gemm_tiled, (tiles, tiles), (TPB, TPB), (A, B, C))
    seconds = time.perf_counter() - start
    error = float(np.abs(C - A.astype(np.float64) @ B).max())
    r = run_.report
    t = Table(title=f"tiled SGEMM N={n} on {r.gpu}", title_justify="left")
    t.add_column("figure")
    t.add_column("value", justify="right")
    for label, value in [("warp instructions", f"{r.warp_instructions:,}"),
                         ("engine seconds", f"{r.emulation_seconds:.3f}"),
                         ("launch seconds", f"{seconds:.3f}"),
                         ("warp instructions/s (engine)", f"{r.warp_instructions_per_second:,.0f}"),
                         ("FMA/s (launch)", f"{n ** 3 / seconds:,.0f}"),
                         ("max error vs fp64", f"{error:.2e}")]:
        t.add_row(label, value)
    Console().print(t)


if __name__ == "__main__":
    main()
