"""pytest plugin for running numba-cuda's installed test suite (``-p emu_compat_plugin``, see emu.compat).

The suite's classes ask for a class fixture, ``initialize_from_pytest_config``,
and an option, ``--dump-failed-filechecks``, that numba-cuda defines in its
repository's conftest.py, which the wheel does not ship. This supplies both. It is a
top-level module, not part of the ``emu`` package, because the same run under numba's
simulator (``NUMBA_ENABLE_CUDASIM=1``) must not import emu.
"""
import pytest


def pytest_addoption(parser):
    parser.addoption("--dump-failed-filechecks", action="store_true",
                     help="numba-cuda's option: write reproducers of failing FileCheck tests")


@pytest.fixture(scope="class")
def initialize_from_pytest_config(request):
    request.cls._dump_failed_filechecks = request.config.getoption("dump_failed_filechecks")
