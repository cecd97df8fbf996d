"""Shared pytest machinery.

``both_paths``: a module marked ``pytestmark = pytest.mark.both_paths`` (the ISA semantic tests,
tests/test_isa_*.py) runs each of its tests twice, ``[fast]`` as launched normally and
``[reference]`` with ``EMU_REFERENCE=1``. ``emu.GPU.launch`` reads that variable at each launch
and then turns the engine's fast paths off, so every instruction runs through its per-lane
reference definition (alu_int, alu_float, compare, convert, ...). Without the second run a
wrong reference definition of a hot instruction (add, shl, setp, selp, fma.f32, ...) would
never execute in the suite.
"""
import pytest

ENGINE_PATHS = ("fast", "reference")


def pytest_generate_tests(metafunc):
    if "engine_path" in metafunc.fixturenames and metafunc.definition.get_closest_marker("both_paths"):
        metafunc.parametrize("engine_path", ENGINE_PATHS, indirect=True)


@pytest.fixture(autouse=True)
def engine_path(request):
    """The engine path a ``both_paths`` test runs on ("fast" or "reference"); None elsewhere.

    Autouse, so the tests need not name it; it sets or clears EMU_REFERENCE for the test's duration
    (every hypothesis example included)."""
    path = getattr(request, "param", None)
    if path is None:
        yield None
        return
    mp = request.getfixturevalue("monkeypatch")
    if path == "reference":
        mp.setenv("EMU_REFERENCE", "1")
    else:
        mp.delenv("EMU_REFERENCE", raising=False)
    yield path
