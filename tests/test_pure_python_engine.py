"""The engine also runs as plain Python (NUMBA_DISABLE_JIT=1): the readable, debuggable mode.

Run in a subprocess because the variable must be set before numba is imported.
"""
import os
import subprocess
import sys
import textwrap

SCRIPT = textwrap.dedent('''
    import numpy as np
    import emu
    from tests.ptxkit import pointer_kernel

    body = """
        ld.global.u32 %r1, [%rd1];
        setp.lt.u32 %p1, %gid, 20;
        @%p1 bra $small;
        mul.lo.u32 %r1, %r1, 3;
        bra.uni $done;
    $small:
        add.u32 %r1, %r1, 100;
    $done:
        bar.sync 0;
        st.global.u32 [%rd1], %r1;
    """
    ptx = pointer_kernel("add.s64 %rd1, %pa0, %o4;" + body, 1)
    x = np.arange(40, dtype=np.uint32)
    run = emu.GPU("sm_80").launch(emu.ptx_kernel(ptx, "k"), 1, 40, (x,))
    expected = np.where(np.arange(40) < 20, np.arange(40) + 100, np.arange(40) * 3)
    assert np.array_equal(x, expected), x
    assert run.report.divergent_branches == 1
    import numba
    assert numba.config.DISABLE_JIT
    print("ok")
''')


def test_engine_runs_without_jit():
    env = dict(os.environ, NUMBA_DISABLE_JIT="1")
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    result = subprocess.run([sys.executable, "-c", SCRIPT], cwd=root, env=env, capture_output=True, text=True,
                            timeout=600)
    assert result.returncode == 0, result.stderr[-3000:]
    assert result.stdout.strip().endswith("ok")
