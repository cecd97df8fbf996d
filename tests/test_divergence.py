"""Divergent control flow in numba kernels, run on emu and checked against plain-Python references.

Nested branches, loops whose trip counts differ from lane to lane, break and
continue, early return (exit) of some threads, returns from inside loops, a
barrier reached only by the threads that did not exit, divergent device-function
calls, and warp-wide operations right after divergent regions (which need the
lanes to have reconverged).
"""
from __future__ import annotations

import numpy as np
import pytest
from numba import cuda

import emu

GPU = emu.GPU("sm_80")


def launch(kernel, grid, block, *args):
    return GPU.launch(kernel, grid, block, args)


def data(n, lo=-50, hi=50, seed=0):
    return np.random.default_rng(seed).integers(lo, hi, size=n).astype(np.int32)


# ------------------------------------------------------------------ nested branches
@cuda.jit
def nested_branches(a, out):
    i = cuda.grid(1)
    if i >= a.size:
        return
    x = a[i]
    if i % 3 == 0:
        if x % 2 == 0:
            out[i] = x * 2
        else:
            out[i] = x + 100
    elif i % 3 == 1:
        if x > 10:
            out[i] = x - 10
            if x > 20:
                out[i] += 1000
        else:
            out[i] = -x
    else:
        if x < 0 and (i % 4 == 0 or x < -40):
            out[i] = 1
        elif x == 0 or (x > 0 and i % 5 == 2):
            out[i] = 2
        else:
            out[i] = 3


def nested_branches_ref(i, x):
    if i % 3 == 0:
        return x * 2 if x % 2 == 0 else x + 100
    if i % 3 == 1:
        if x > 10:
            return x - 10 + (1000 if x > 20 else 0)
        return -x
    if x < 0 and (i % 4 == 0 or x < -40):
        return 1
    if x == 0 or (x > 0 and i % 5 == 2):
        return 2
    return 3


def test_nested_branches():
    a = data(200)
    out = np.zeros_like(a)
    launch(nested_branches, 4, 64, a, out)
    assert out.tolist() == [nested_branches_ref(i, int(x)) for i, x in enumerate(a)]


# ------------------------------------------------------------------ loops
@cuda.jit
def lane_dependent_loops(a, out, steps):
    i = cuda.grid(1)
    if i >= a.size:
        return
    acc = 0
    for j in range(i % 7):                  # trip count 0..6 by lane
        acc += j * i
    for j in range(i % 11):                 # continue on some iterations
        if (j + i) % 3 == 0:
            continue
        acc += 2
    x = abs(a[i]) + 1                       # Collatz: lane-dependent while loop with break
    n = 0
    while True:
        if x == 1:
            break
        if x % 2 == 0:
            x //= 2
        else:
            x = 3 * x + 1
        n += 1
        if n >= 150:
            break
    for j in range(i % 5):                  # nested loops, inner break depends on the lane
        for k in range(10):
            if (j * k + i) % 7 == 0:
                break
            acc += k
    out[i] = acc
    steps[i] = n


def loops_ref(i, x):
    acc = sum(j * i for j in range(i % 7))
    acc += sum(2 for j in range(i % 11) if (j + i) % 3 != 0)
    x, n = abs(x) + 1, 0
    while x != 1 and n < 150:
        x = x // 2 if x % 2 == 0 else 3 * x + 1
        n += 1
    for j in range(i % 5):
        for k in range(10):
            if (j * k + i) % 7 == 0:
                break
            acc += k
    return acc, n


def test_lane_dependent_loops():
    a = data(150, 0, 1000, seed=1)
    out = np.zeros_like(a)
    steps = np.zeros_like(a)
    launch(lane_dependent_loops, 3, 64, a, out, steps)
    ref = [loops_ref(i, int(x)) for i, x in enumerate(a)]
    assert out.tolist() == [r[0] for r in ref]
    assert steps.tolist() == [r[1] for r in ref]


# ------------------------------------------------------------------ early exit
@cuda.jit
def early_exit(a, out):
    i = cuda.grid(1)
    if i >= a.size:
        return
    if i % 5 == 0:
        return                               # some threads leave at once
    out[i] = 1
    for j in range(a.size):                  # return from inside a loop when found
        if a[j] == i:
            out[i] = 100 + j
            return
    if a[i] < 0:
        return
    out[i] = -a[i]


def early_exit_ref(i, a):
    if i % 5 == 0:
        return 0
    for j, x in enumerate(a):
        if x == i:
            return 100 + j
    return 1 if a[i] < 0 else -a[i]


def test_early_exit_and_return_from_loop():
    a = data(100, -20, 120, seed=2)
    out = np.zeros_like(a)
    launch(early_exit, 2, 64, a, out)
    assert out.tolist() == [early_exit_ref(i, a.tolist()) for i in range(a.size)]


@cuda.jit
def guarded_exit(a, out, limit):
    i = cuda.grid(1)
    if i < limit and a[i] >= 0:
        out[i] = a[i] * 3
        if a[i] > 25:
            return
        out[i] += 1


def test_guarded_exit():
    a = data(128, -30, 50, seed=3)
    out = np.full_like(a, -7)
    launch(guarded_exit, 2, 64, a, out, 100)
    want = [(x * 3 + (0 if x > 25 else 1) if (i < 100 and x >= 0) else -7) for i, x in enumerate(a.tolist())]
    assert out.tolist() == want


# ------------------------------------------------------------------ barriers with exited threads
@cuda.jit
def barrier_after_exit(a, out, n):
    s = cuda.shared.array(64, dtype=np.int32)
    t = cuda.threadIdx.x
    i = cuda.grid(1)
    if i >= n:
        return                               # the tail of the last block leaves before the barrier
    s[t] = a[i] * 2
    cuda.syncthreads()
    last = min(n - cuda.blockIdx.x * 64, 64) - 1
    out[i] = s[last - t] + s[0]
    cuda.syncthreads()
    s[t] = 0
    cuda.syncthreads()
    out[i] += s[last - t]


def test_barrier_after_early_exit():
    n = 150                                  # last block: 22 live threads, warp 0 partly, warp 1 all exited
    a = data(192, seed=4)
    out = np.zeros_like(a)
    launch(barrier_after_exit, 3, 64, a, out, n)
    want = out.tolist()
    for b in range(3):
        lo, hi = 64 * b, min(n, 64 * b + 64)
        for i in range(lo, hi):
            t = i - lo
            want[i] = int(a[lo + (hi - lo - 1 - t)]) * 2 + int(a[lo]) * 2
    assert out.tolist() == want


@cuda.jit
def tree_reduction(a, out):
    s = cuda.shared.array(128, dtype=np.int32)
    t = cuda.threadIdx.x
    s[t] = a[cuda.grid(1)]
    cuda.syncthreads()
    stride = 64
    while stride > 0:                        # uniform loop, divergent body, barrier each round
        if t < stride:
            s[t] += s[t + stride]
        cuda.syncthreads()
        stride //= 2
    if t == 0:
        out[cuda.blockIdx.x] = s[0]


def test_tree_reduction():
    a = data(512, seed=5)
    out = np.zeros(4, dtype=np.int32)
    launch(tree_reduction, 4, 128, a, out)
    assert out.tolist() == a.reshape(4, 128).sum(axis=1).tolist()


# ------------------------------------------------------------------ divergent device calls
@cuda.jit(device=True)
def classify(x, i):
    if x < 0:
        r = 0
        for k in range(i % 4):
            r -= k
        return r
    if x % 3 == 0:
        return x // 3
    r = 1
    while r * r < x:
        r += 1
    return r


@cuda.jit
def divergent_calls(a, out):
    i = cuda.grid(1)
    if i >= a.size:
        return
    if i % 2 == 0:
        out[i] = classify(a[i], i)
    else:
        out[i] = classify(-a[i], i + 1) + 1000


def classify_ref(x, i):
    if x < 0:
        return -sum(range(i % 4))
    if x % 3 == 0:
        return x // 3
    r = 1
    while r * r < x:
        r += 1
    return r


def test_divergent_device_function_calls():
    a = data(100, -60, 60, seed=6)
    out = np.zeros_like(a)
    launch(divergent_calls, 2, 64, a, out)
    want = [classify_ref(int(x), i) if i % 2 == 0 else classify_ref(-int(x), i + 1) + 1000
            for i, x in enumerate(a)]
    assert out.tolist() == want


# ------------------------------------------------------------------ warp operations after divergence
@cuda.jit
def reconverge_then_shuffle(a, out, active):
    i = cuda.grid(1)
    acc = 0
    for j in range(a[i] % 9):                # divergent loop
        if j % 2 == 1:
            acc += j
        else:
            acc += 1
    if a[i] % 4 == 1:                        # divergent branch with a warp query inside
        active[i] = cuda.popc(cuda.activemask())
    total = cuda.shfl_sync(0xFFFFFFFF, acc, 0)   # needs all 32 lanes back together
    nxt = cuda.shfl_down_sync(0xFFFFFFFF, acc, 1)
    out[i] = total * 1000 + nxt


def test_warp_ops_after_divergence():
    a = data(64, 0, 100, seed=7)
    out = np.zeros_like(a)
    active = np.zeros_like(a)
    launch(reconverge_then_shuffle, 1, 64, a, out, active)
    acc = [sum(j if j % 2 == 1 else 1 for j in range(int(x) % 9)) for x in a]
    for i in range(64):
        w = i // 32 * 32
        nxt = acc[i + 1] if i % 32 != 31 else acc[i]
        assert out[i] == acc[w] * 1000 + nxt, f"thread {i}"
        if a[i] % 4 == 1:
            assert active[i] == sum(1 for k in range(w, w + 32) if a[k] % 4 == 1)
        else:
            assert active[i] == 0


def deep_ref(x):
    """Nested branches six deep, with a loop that breaks early on one path: the kernel's body and its
    CPU reference (NVVM inlines the device function, so the branches end up in the kernel's PTX)."""
    r = 0
    if x & 1:
        r += 1
        if x & 2:
            r += 2
            if x & 4:
                r += 4
                if x & 8:
                    r += 8
                    if x & 16:
                        r += 16
                        if x & 32:
                            r += 32
                else:
                    r -= 100
        else:
            while x > 0:
                x -= 7
                if x % 5 == 0:
                    break
            r += x
    return r


_deep_device = cuda.jit(device=True)(deep_ref)


@cuda.jit
def deep_nesting(a, out):
    i = cuda.grid(1)
    out[i] = _deep_device(a[i])


def test_deep_nesting():
    a = np.arange(128, dtype=np.int32)
    out = np.zeros_like(a)
    launch(deep_nesting, 2, 64, a, out)
    assert out.tolist() == [deep_ref(int(x)) for x in a]


@pytest.mark.parametrize("block", [1, 7, 33, 100])
def test_partial_warps(block):
    """Blocks that are not a multiple of 32 threads (the last warp is partly empty)."""
    a = data(block * 3, seed=8)
    out = np.zeros_like(a)
    launch(nested_branches, 3, block, a, out)
    assert out.tolist() == [nested_branches_ref(i, int(x)) for i, x in enumerate(a)]
