"""emu's jitted functions are cached on one hash of all their sources (emu.jit_cache)."""
import subprocess
import sys
import textwrap

import emu
from emu import jit_cache
from emu.engine import control, fast
from emu.numerics import scalar


def locator(dispatcher):
    return dispatcher._cache._impl._locator


def test_engine_numerics_and_isa_sources_share_one_stamp():
    names = {path.relative_to(jit_cache.SOURCES[0].parents[1]).as_posix() for path in jit_cache.SOURCES}
    assert {"engine/control.py", "engine/layout.py", "numerics/scalar.py", "isa/table.py"} <= names
    for dispatcher in (control.run, fast.exec_fast, scalar.f32_add):
        assert isinstance(locator(dispatcher), jit_cache.LOCATORS)
        assert locator(dispatcher).get_source_stamp() == jit_cache.sources_stamp()


def test_other_functions_keep_numbas_locators(tmp_path):
    """A user's own cache=True function is located and stamped by numba as usual."""
    module = tmp_path / "user_module.py"
    module.write_text(textwrap.dedent("""
        from numba import njit

        @njit(cache=True)
        def twice(x):
            return 2 * x
    """))
    script = textwrap.dedent(f"""
        import sys
        sys.path.insert(0, {str(tmp_path)!r})
        import emu
        from emu import jit_cache
        import user_module
        loc = user_module.twice._cache._impl._locator
        assert not isinstance(loc, jit_cache.LOCATORS), loc
        assert user_module.twice(21) == 42
        print("ok")
    """)
    out = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True)
    assert out.returncode == 0 and out.stdout.strip() == "ok", out.stderr


def test_the_stamp_follows_any_source(tmp_path, monkeypatch):
    """Changing any one of the sources (a callee's module, the ISA table) changes every function's stamp."""
    before = jit_cache.sources_stamp()
    copies = []
    for path in jit_cache.SOURCES:
        copy = tmp_path / path.parent.name / path.name
        copy.parent.mkdir(exist_ok=True)
        copy.write_bytes(path.read_bytes())
        copies.append(copy)
    monkeypatch.setattr(jit_cache, "SOURCES", tuple(copies))
    jit_cache.sources_stamp.cache_clear()
    try:
        assert jit_cache.sources_stamp() == before
        table = next(c for c in copies if c.parent.name == "isa" and c.name == "table.py")
        table.write_text(table.read_text() + "\n# an edit\n")
        jit_cache.sources_stamp.cache_clear()
        assert jit_cache.sources_stamp() != before
    finally:
        jit_cache.sources_stamp.cache_clear()
    assert emu.__version__
