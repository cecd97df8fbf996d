"""Extended-precision arithmetic through the carry flag (add.cc, addc, sub.cc, subc, mad.cc, madc).

libdevice's sin/cos argument reduction uses mad.lo.cc / madc.hi, so numba kernels
calling math.sin reach these. References are exact Python integers.
"""
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tests.ptxkit import run

pytestmark = pytest.mark.both_paths   # each test runs [fast] and [reference]: see tests/conftest.py

U32 = st.one_of(st.sampled_from([0, 1, 0x7FFFFFFF, 0x80000000, 0xFFFFFFFE, 0xFFFFFFFF]),
                st.integers(0, 2**32 - 1))
M32 = 2**32


def lists(n=40):
    return st.lists(st.tuples(U32, U32, U32, U32), min_size=1, max_size=n)


@settings(max_examples=30, deadline=None)
@given(lists())
def test_add_cc_addc_is_64_bit_addition(values):
    alo, ahi, blo, bhi = (list(col) for col in zip(*values))
    body = """
    add.cc.u32 %lo, %alo, %blo;
    addc.cc.u32 %hi, %ahi, %bhi;
    addc.u32 %c, 0, 0;
    """
    ins = {"alo": ("u32", alo), "ahi": ("u32", ahi), "blo": ("u32", blo), "bhi": ("u32", bhi)}
    out = run(body, ins, {"lo": "u32", "hi": "u32", "c": "u32"})
    for i in range(len(alo)):
        total = (ahi[i] << 32 | alo[i]) + (bhi[i] << 32 | blo[i])
        assert (out["c"][i] << 64 | out["hi"][i] << 32 | out["lo"][i]) == total


@settings(max_examples=30, deadline=None)
@given(lists())
def test_sub_cc_subc_is_64_bit_subtraction(values):
    alo, ahi, blo, bhi = (list(col) for col in zip(*values))
    body = """
    sub.cc.u32 %lo, %alo, %blo;
    subc.u32 %hi, %ahi, %bhi;
    """
    ins = {"alo": ("u32", alo), "ahi": ("u32", ahi), "blo": ("u32", blo), "bhi": ("u32", bhi)}
    out = run(body, ins, {"lo": "u32", "hi": "u32"})
    for i in range(len(alo)):
        diff = ((ahi[i] << 32 | alo[i]) - (bhi[i] << 32 | blo[i])) % 2**64
        assert (out["hi"][i] << 32 | out["lo"][i]) == diff


@settings(max_examples=30, deadline=None)
@given(lists())
def test_mad_cc_madc_chain_as_libdevice_uses_it(values):
    a, b, c, _ = (list(col) for col in zip(*values))
    # lo = lo32(a*b) + c with carry; hi = hi32(a*b) + 0 + carry  =>  hi:lo == a*b + c
    body = """
    mad.lo.cc.u32 %lo, %a, %b, %c;
    madc.hi.u32 %hi, %a, %b, 0;
    """
    out = run(body, {"a": ("u32", a), "b": ("u32", b), "c": ("u32", c)}, {"lo": "u32", "hi": "u32"})
    for i in range(len(a)):
        assert (out["hi"][i] << 32 | out["lo"][i]) == a[i] * b[i] + c[i]


def test_add_cc_u64_carry_out():
    a = [2**64 - 1, 2**63, 5]
    b = [1, 2**63, 7]
    out = run("add.cc.u64 %s, %a, %b;\naddc.u32 %c, 0, 0;", {"a": ("u64", a), "b": ("u64", b)},
              {"s": "u64", "c": "u32"})
    assert out["s"] == [0, 0, 12]
    assert out["c"] == [1, 1, 0]
