"""pytest plugin for running numba-cuda's installed test suite (``-p emu_compat_plugin``, see emu.compat).

The suite's classes ask for a class fixture, ``initialize_from_pytest_config``,
and an option, ``--dump-failed-filechecks``, that numba-cuda defines in its
repository's conftest.py, which the wheel does not ship. This supplies both, and
``--test-timeout SECONDS``: a test still running then fails (SIGALRM), so that one
test that hangs does not cost the rest of its module. It is a top-level module,
not part of the ``emu`` package, because the same run under numba's simulator
(``NUMBA_ENABLE_CUDASIM=1``) must not import emu.
"""
import signal

import pytest


def pytest_addoption(parser):
    parser.addoption("--dump-failed-filechecks", action="store_true",
                     help="numba-cuda's option: write reproducers of failing FileCheck tests")
    parser.addoption("--test-timeout", type=int, default=0, metavar="SECONDS",
                     help="fail a test that runs longer than this (0: no limit)")


@pytest.fixture(scope="class")
def initialize_from_pytest_config(request):
    request.cls._dump_failed_filechecks = request.config.getoption("dump_failed_filechecks")


class TimeLimitExceeded(Exception):
    """The test ran past --test-timeout."""


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_call(item):
    seconds = item.config.getoption("test_timeout")
    if not seconds:
        yield
        return

    def expire(signum, frame):
        raise TimeLimitExceeded(f"test ran past --test-timeout={seconds} s")

    previous = signal.signal(signal.SIGALRM, expire)
    signal.alarm(seconds)
    try:
        yield
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, previous)
