"""Mixed precision: how far a tensor-core GEMM lands from the exact product as K grows, per GPU generation.

Tensor cores do not compute A @ B in fp32 arithmetic. Each block of L
products is aligned to its largest exponent and truncated to F bits, and every
block's sum is truncated to fp32 (emu.numerics.mma has the model; L and F
differ per architecture). With inputs in [0, 1) every truncation errs the same
way, so the error grows with K. This example runs emu's bit-exact model of the
tensor cores (no kernel, no GPU: the vectorised model directly) on V100
(sm_70, fp16 only), A100 (sm_80) and H100 (sm_90) for fp16, bf16 and tf32
inputs, and compares with float64 on the same (already rounded) inputs, so
that what is measured is the accumulation alone.

    python examples/02_mixed_precision.py      # prints a table, writes out/02_mixed_precision.png
"""
from pathlib import Path

import ml_dtypes
import numpy as np
from matplotlib.figure import Figure      # no pyplot: the figure renders with Agg, no display needed

from emu.numerics import mma

M = N = 32
KS = [16, 64, 256, 1024, 4096]
RUNS = [("sm_70", "fp16"), ("sm_80", "fp16"), ("sm_80", "bf16"), ("sm_80", "tf32"),
        ("sm_90", "fp16"), ("sm_90", "bf16"), ("sm_90", "tf32")]
GPU = {"sm_70": "V100", "sm_80": "A100", "sm_90": "H100"}


def rounded(x: np.ndarray, fmt: str) -> np.ndarray:
    """x (in [0, 1)) rounded to nearest in ``fmt``, as float64; tf32 as cvt.rna.tf32.f32 rounds:
    to nearest, ties away from zero, at the 13th bit of the fp32 pattern."""
    if fmt == "tf32":
        bits = x.astype(np.float32).view(np.uint32)
        return ((bits + np.uint32(0x1000)) & np.uint32(0xFFFFE000)).view(np.float32).astype(np.float64)
    return x.astype({"fp16": np.float16, "bf16": ml_dtypes.bfloat16}[fmt]).astype(np.float64)


def relative_error(arch: str, fmt: str, K: int, rng) -> float:
    """max |D - exact| / max |exact| of one M x K x N product, D as arch's tensor cores give it."""
    A = rounded(rng.random((M, K)), fmt)
    B = rounded(rng.random((K, N)), fmt)
    D = mma(A, B, np.zeros((M, N), np.float32), arch=arch, input=fmt, accumulate="fp32")
    exact = A @ B                                  # fp64: products exact, K <= 4096 terms
    return float(np.abs(D - exact).max() / np.abs(exact).max())


def main():
    rng = np.random.default_rng(0)
    errors = {run: [relative_error(*run, K, rng) for K in KS] for run in RUNS}

    labels = [f"{GPU[arch]} {fmt}" for arch, fmt in RUNS]
    print("relative error of D = A @ B (fp32 accumulate), inputs uniform in [0, 1), vs float64")
    print(f"{'K':>6}  " + "  ".join(f"{label:>10}" for label in labels))
    for i, K in enumerate(KS):
        print(f"{K:>6}  " + "  ".join(f"{errors[run][i]:10.2e}" for run in RUNS))

    fig = Figure(figsize=(7, 4.5))
    ax = fig.subplots()
    styles = {"fp16": "o-", "bf16": "s--", "tf32": "^:"}
    colours = {"sm_70": "tab:green", "sm_80": "tab:blue", "sm_90": "tab:red"}
    for (arch, fmt), label in zip(RUNS, labels):
        ax.loglog(KS, errors[(arch, fmt)], styles[fmt], color=colours[arch], label=label)
    ax.axhline(2.0 ** -24, color="grey", linewidth=0.8, label="fp32 unit roundoff $2^{-24}$")
    ax.set_xlabel("K (inner dimension)")
    ax.set_ylabel("max |D - exact| / max |exact|")
    ax.set_title("Tensor-core GEMM error vs K (emu's bit-exact MMA model)")
    ax.legend(fontsize=8, ncol=2)
    ax.grid(True, which="both", alpha=0.3)
    out = Path("out") / "02_mixed_precision.png"
    out.parent.mkdir(exist_ok=True)
    fig.tight_layout()
    fig.savefig(out, dpi=120)
    print(f"plot: {out}")


if __name__ == "__main__":
    main()
