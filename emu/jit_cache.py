"""numba's on-disk cache for emu's jitted code, keyed on all of that code's sources at once.

numba keys a cached function on its own source file only. emu's engine
functions compile in code and constants from other modules (callees in other
engine modules, the rounding code of ``emu.numerics``, the opcode numbers of
the ISA table through ``emu.engine.layout``), so after an edit or a
``git pull`` that changes only one of those, a caller's cached machine code
would keep the old behaviour. Here every cached function of ``emu.engine``,
``emu.numerics`` and ``emu.isa`` is keyed on one hash of all their sources:
any change there recompiles them all. ``install`` must run before the first of
them is defined (``emu/__init__.py`` calls it first).
"""
from __future__ import annotations

import functools
import hashlib
from pathlib import Path

from numba.core import caching

_ROOT = Path(__file__).resolve().parent
SOURCES = tuple(path for package in ("engine", "numerics", "isa") for path in sorted((_ROOT / package).glob("*.py")))


@functools.cache
def sources_stamp() -> bytes:
    """One hash of every source of emu's jitted code (read once per process)."""
    digest = hashlib.sha256()
    for path in SOURCES:
        digest.update(path.name.encode())
        digest.update(path.read_bytes())
    return digest.digest()


class _EmuSources:
    """Locator mixin: applies to emu's jitted sources only, and stamps them with sources_stamp."""

    def get_source_stamp(self):
        return sources_stamp()

    @classmethod
    def from_function(cls, py_func, py_file):
        if Path(py_file).resolve() not in SOURCES:
            return None
        return super().from_function(py_func, py_file)


class EmuUserProvidedCacheLocator(_EmuSources, caching.UserProvidedCacheLocator):
    """NUMBA_CACHE_DIR set: the cache lives there."""


class EmuInTreeCacheLocator(_EmuSources, caching.InTreeCacheLocator):
    """The cache lives in __pycache__ beside each module."""


LOCATORS = (EmuUserProvidedCacheLocator, EmuInTreeCacheLocator)


def install() -> None:
    """Put emu's locators ahead of numba's own (which still serve every other function)."""
    impl = getattr(caching, "CacheImpl", None) or caching._CacheImpl     # older numba: _CacheImpl
    classes = impl._locator_classes
    if classes[:len(LOCATORS)] != list(LOCATORS):
        classes[:0] = LOCATORS
