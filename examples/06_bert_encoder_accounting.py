"""Lecture example: one BERT encoder layer built from GEMM kernels, and its weights and multiplications counted.

The lecture's accounting for L words of dimension H (feed-forward 4H):
weights 12·H² (attention Q, K, V, output: 4·H²; feed-forward H×4H and 4H×H: 8·H²)
and multiplications 13·L·H². Here every matrix product of the layer is a launch
of the tiled GEMM kernel; the example counts weights and multiplications from
the GEMMs it actually launches (M·N·K each), prints them beside the formulas, and
checks the layer's output against numpy in float64. Softmax, GELU, the residual
additions and layer norms run in numpy: they are not matrix products.

    python -m emu --arch a100 examples/06_bert_encoder_accounting.py [L]
"""
import math
import sys

import numpy as np
from numba import cuda

from kernels.gemm import TPB, gemm_tiled

H, HEADS = 768, 12               # BERT-base
L = int(sys.argv[1]) if len(sys.argv) > 1 else 128
D = H // HEADS

launched = []                    # (what, M, N, K, weights in B or 0) of every GEMM launched


def gemm(what, A, B, weights=False):
    """A @ B on the device with the tiled GEMM kernel, counted."""
    M, K = A.shape
    N = B.shape[1]
    d_C = cuda.device_array((M, N), dtype=np.float32)
    gemm_tiled[(math.ceil(N / TPB), math.ceil(M / TPB)), (TPB, TPB)](
        cuda.to_device(np.ascontiguousarray(A)), cuda.to_device(np.ascontiguousarray(B)), d_C)
    launched.append((what, M, N, K, K * N if weights else 0))
    return d_C.copy_to_host()


def softmax(s):
    e = np.exp(s - s.max(axis=-1, keepdims=True))
    return e / e.sum(axis=-1, keepdims=True)


def gelu(x):
    return 0.5 * x * (1 + np.tanh(math.sqrt(2 / math.pi) * (x + 0.044715 * x ** 3)))


def layer_norm(x):
    return (x - x.mean(axis=-1, keepdims=True)) / np.sqrt(x.var(axis=-1, keepdims=True) + 1e-12)


def encoder_layer(x, w, matmul):
    """One encoder layer (no biases: they add no multiplications); ``matmul(what, A, B, weights)``."""
    q, k, v = (matmul(name, x, w[name], True) for name in ("Wq", "Wk", "Wv"))
    heads = []
    for h in range(HEADS):
        part = slice(h * D, (h + 1) * D)
        scores = matmul("scores Q·Kᵀ", q[:, part], k[:, part].T) / math.sqrt(D)
        heads.append(matmul("context P·V", softmax(scores), v[:, part]))
    x = layer_norm(x + matmul("Wo", np.concatenate(heads, axis=1), w["Wo"], True))
    return layer_norm(x + matmul("W2", gelu(matmul("W1", x, w["W1"], True)), w["W2"], True))


rng = np.random.default_rng(0)
shapes = {"Wq": (H, H), "Wk": (H, H), "Wv": (H, H), "Wo": (H, H), "W1": (H, 4 * H), "W2": (4 * H, H)}
weights = {name: (rng.standard_normal(s) / math.sqrt(s[0])).astype(np.float32) for name, s in shapes.items()}
x = rng.standard_normal((L, H)).astype(np.float32)

out = encoder_layer(x, weights, gemm)
reference = encoder_layer(x.astype(np.float64), {n: w.astype(np.float64) for n, w in weights.items()},
                          lambda what, A, B, weights=False: A @ B)
error = np.abs(out - reference).max()

counted_weights = sum(wts for *_, wts in launched)
weight_mults = sum(M * N * K for what, M, N, K, wts in launched if wts)
attention_mults = sum(M * N * K for what, M, N, K, wts in launched if not wts)
print(f"BERT-base encoder layer: H = {H}, {HEADS} heads of {D}, feed-forward {4 * H}, L = {L} words; "
      f"{len(launched)} GEMM launches")
print(f"  weights          counted {counted_weights:>15,}   lecture 12·H²   = {12 * H * H:>15,}")
print(f"  multiplications  counted {weight_mults + attention_mults:>15,}   lecture 13·L·H² = {13 * L * H * H:>15,}")
print(f"    by the weight matrices  {weight_mults:>14,} = 12·L·H² (Q, K, V, output: 4·L·H²; feed-forward 8·L·H²)")
print(f"    attention scores and context {attention_mults:>9,} = 2·L²·H (Q·Kᵀ and P·V, over all heads)")
difference = 13 * L * H * H - weight_mults - attention_mults
print(f"  counted = 12·L·H² + 2·L²·H = {12 + 2 * L / H:.2f}·L·H²; formula - counted = {difference:+,} here. The formula")
print(f"  has no L² term: it leaves out the attention-score products Q·Kᵀ and P·V, which grow as L²·H")
print(f"  (its 13th L·H² equals them only at L = H/2 = {H // 2}; at L = 512, BERT-base's longest input, they are "
      f"{2 * 512 / H:.2f}·L·H²).")
print(f"  max |layer - float64 numpy| = {error:.2e}")
assert counted_weights == 12 * H * H and weight_mults == 12 * L * H * H and attention_mults == 2 * L * L * H
assert error < 1e-3
