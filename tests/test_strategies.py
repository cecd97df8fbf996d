"""emu.testing: the hypothesis strategies draw valid values of each format, every category, and obey their options."""
import ml_dtypes
import numpy as np
import pytest
from hypothesis import find, given, settings
from hypothesis import strategies as st

from emu import testing
from emu.numerics.formats import FORMATS, is_inf, is_nan

CATEGORIES = {
    "zero": lambda b, f: b & ~f.sign_bit == 0,
    "negative": lambda b, f: bool(b & f.sign_bit) and not is_nan(b, f),
    "subnormal": lambda b, f: testing.is_subnormal(b, f),
    "normal": lambda b, f: not (is_nan(b, f) or is_inf(b, f) or testing.is_subnormal(b, f)) and b & ~f.sign_bit,
    "largest finite": lambda b, f: b & ~f.sign_bit == f.max_finite_bits,
    "nan": lambda b, f: is_nan(b, f),
    "infinity": lambda b, f: is_inf(b, f),
}


@pytest.mark.parametrize("name", testing.NAMES)
def test_special_values_are_valid_patterns_of_both_signs(name):
    fmt = FORMATS[name]
    specials = testing.special_bits(name)
    assert specials[0] == 0 and len(set(specials)) == len(specials)
    for bits in specials:
        assert 0 <= bits < 1 << fmt.container_bits and bits & ((1 << fmt.container_shift) - 1) == 0
        assert bits ^ fmt.sign_bit in specials
    assert any(is_nan(b, fmt) for b in specials)
    assert any(is_inf(b, fmt) for b in specials) == fmt.has_infinity


@pytest.mark.parametrize("name", testing.NAMES)
@pytest.mark.parametrize("category", list(CATEGORIES))
def test_every_category_is_drawn(name, category):
    fmt = FORMATS[name]
    if category == "infinity" and not fmt.has_infinity:
        pytest.skip(f"{name} has no infinities")
    found = find(testing.bits(name), lambda b: CATEGORIES[category](b, fmt), settings=settings(max_examples=2000))
    assert CATEGORIES[category](found, fmt)


@pytest.mark.parametrize("name", testing.NAMES)
@settings(max_examples=200, deadline=None)
@given(data=st.data())
def test_options_remove_their_categories(name, data):
    fmt = FORMATS[name]
    bits = data.draw(testing.bits(name, allow_nan=False, allow_infinity=False, allow_subnormal=False))
    assert 0 <= bits < 1 << fmt.container_bits and bits & ((1 << fmt.container_shift) - 1) == 0
    assert not (is_nan(bits, fmt) or is_inf(bits, fmt) or testing.is_subnormal(bits, fmt))


@pytest.mark.parametrize("name", testing.NAMES)
@settings(max_examples=50, deadline=None)
@given(data=st.data())
def test_values_and_arrays_hold_the_drawn_patterns(name, data):
    fmt = FORMATS[name]
    value = data.draw(testing.values(name))
    assert value.dtype == np.dtype(testing.DTYPES[name])
    array = data.draw(testing.arrays(name, (3, 2), allow_nan=False))
    assert array.shape == (3, 2) and array.dtype == np.dtype(testing.DTYPES[name])
    patterns = array.view(f"u{array.itemsize}")
    assert not any(is_nan(int(b), fmt) for b in patterns.ravel())
    if name == "tf32":
        assert (patterns & 0x1FFF == 0).all()
    # finite values survive a trip through float64 unchanged
    finite = np.isfinite(array.astype(np.float64))
    assert np.array_equal(array[finite].astype(np.float64).astype(array.dtype).view(patterns.dtype),
                          patterns[finite])


def test_e4m3_values_are_ml_dtypes_e4m3fn():
    value = find(testing.values("e4m3"), lambda v: np.isnan(v))
    assert value.dtype == ml_dtypes.float8_e4m3fn
    assert int(np.array(value).view(np.uint8)) & 0x7F == 0x7F


def test_unknown_format_is_refused():
    with pytest.raises(ValueError, match="unknown format 'fp8'"):
        testing.bits("fp8")
