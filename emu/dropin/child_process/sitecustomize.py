"""Python processes started by a program that ``python -m emu`` runs use the emulated GPU too.

``emu run`` puts this folder first on PYTHONPATH, the preset in EMU_DROPIN_ARCH and the
mode in EMU_DROPIN_MODE,
so every child Python process (a test's subprocess, a multiprocessing worker)
imports this module at start-up, as coverage.py measures subprocesses, and
activates emu before the child's own code runs. A ``sitecustomize`` that this
one hides on the path is run after it. This folder is not a package.
"""
import importlib.machinery
import importlib.util
import os
import sys

_here = os.path.dirname(os.path.abspath(__file__))

if os.environ.get("EMU_DROPIN_ARCH") and os.environ.get("NUMBA_ENABLE_CUDASIM", "0") in ("", "0"):
    import emu
    emu.activate(os.environ["EMU_DROPIN_ARCH"], os.environ.get("EMU_DROPIN_MODE", "timing"))

_hidden = importlib.machinery.PathFinder.find_spec(
    "sitecustomize", [p for p in sys.path if os.path.abspath(p or ".") != _here])
if _hidden is not None and _hidden.loader is not None:
    _hidden.loader.exec_module(importlib.util.module_from_spec(_hidden))
