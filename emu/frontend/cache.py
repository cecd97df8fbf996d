"""The compile cache: JSON records in memory and on disk, addressed by a key digest.

Callers build a key from everything their output depends on (see
``make_key``) and store plain JSON-able records. The disk directory is
``$EMU_CACHE_DIR`` or ``~/.cache/emu/ptx``, read at each call so that tests
and tools can redirect it. Records are written to a temporary file and moved
into place with ``os.replace``, so a concurrent reader sees either no record
or a whole one. The cache is an optimisation: an unreadable record is a miss
and an unwritable directory only costs a warning.
"""
from __future__ import annotations

import hashlib
import json
import os
import tempfile
import warnings
from collections import Counter
from pathlib import Path

#: Bump when the meaning of a cached record changes; old records then miss.
FORMAT_VERSION = 2

#: "memory", "disk" (hits) and "miss" counts for this process, for tests and reports.
stats: Counter = Counter()

_memory: dict[str, dict] = {}
_warned_dirs: set[str] = set()


def cache_dir() -> Path:
    return Path(os.environ.get("EMU_CACHE_DIR") or Path.home() / ".cache" / "emu" / "ptx")


def make_key(kind: str, *parts) -> str:
    """A file-name-safe digest of ``parts`` (JSON-able values), prefixed by ``kind``."""
    text = json.dumps([FORMAT_VERSION, kind, parts], sort_keys=True, separators=(",", ":"))
    return f"{kind}-{hashlib.sha256(text.encode()).hexdigest()}"


def get(key: str) -> dict | None:
    """The record stored under ``key``, from memory or else from disk; ``None`` on a miss."""
    record = _memory.get(key)
    if record is not None:
        stats["memory"] += 1
        return record
    try:
        with open(cache_dir() / f"{key}.json", encoding="utf-8") as f:
            stored = json.load(f)
    except (OSError, ValueError):
        stored = None
    if not isinstance(stored, dict) or stored.get("format") != FORMAT_VERSION:
        stats["miss"] += 1
        return None
    stats["disk"] += 1
    _memory[key] = stored["record"]
    return stored["record"]


def put(key: str, record: dict) -> None:
    """Store ``record`` in memory and, atomically, on disk."""
    _memory[key] = record
    directory = cache_dir()
    try:
        directory.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=directory, prefix=f".{key}.", suffix=".tmp")
        try:
            with os.fdopen(fd, "w", encoding="utf-8") as f:
                json.dump({"format": FORMAT_VERSION, "record": record}, f)
            os.replace(tmp, directory / f"{key}.json")
        except BaseException:
            os.unlink(tmp)
            raise
    except OSError as exc:
        if str(directory) not in _warned_dirs:
            _warned_dirs.add(str(directory))
            warnings.warn(f"emu: cannot write the compile cache in {directory}: {exc}", stacklevel=3)


def clear_memory() -> None:
    """Forget the in-memory records (the disk cache is untouched)."""
    _memory.clear()
