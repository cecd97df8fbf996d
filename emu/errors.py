"""Exceptions emu raises, each with a message a student can act on."""


class EmuError(Exception):
    """Base class of every error emu raises on purpose."""


class UnsupportedPTXError(EmuError):
    """The PTX uses an instruction, modifier or feature the emulator does not execute."""


class PTXSyntaxError(EmuError, ValueError):
    """Malformed PTX. ``line`` is 1-based; ``source`` is that line of the input."""

    def __init__(self, message: str, line: int, source: str):
        super().__init__(f"line {line}: {message}\n    {source}")
        self.message = message
        self.line = line
        self.source = source


class UnsupportedAPIError(EmuError, NotImplementedError):
    """A CUDA API (driver function, numba.cuda feature) that emu's drop-in mode does not provide; the
    message names it."""


class LaunchError(EmuError):
    """A launch CUDA itself would refuse (block or grid too large, too much shared memory, bad arguments)."""


class KernelArgumentError(LaunchError, TypeError):
    """A launch argument cannot be given a kernel parameter type, or the arguments do not fit the kernel."""


class KernelEntryError(EmuError, LookupError):
    """The requested kernel entry is not in the PTX, or the choice is ambiguous."""


class CompileError(EmuError, RuntimeError):
    """Source could not be compiled to PTX; the message carries the compiler log."""


class PtxasError(EmuError, RuntimeError):
    """``ptxas`` could not be found or rejected the PTX; the message says which."""


class LinkError(CompileError):
    """PTX modules cannot be linked: a symbol defined twice, mismatched declarations or targets."""


class KernelFault(EmuError):
    """The kernel did something a real GPU reports as an error: out-of-bounds or misaligned
    access, a trap, a barrier that can never complete, or it ran past the instruction budget.

    Attributes name the hardware coordinates: ``kernel``, ``block``, ``thread``, ``pc``,
    ``instruction`` (PTX text), ``source`` ("file:line" of the Python/C++ source, if known).
    """

    def __init__(self, message, *, kernel=None, block=None, thread=None, pc=None, instruction=None,
                 source=None, address=None):
        super().__init__(message)
        self.kernel = kernel
        self.block = block
        self.thread = thread
        self.pc = pc
        self.instruction = instruction
        self.source = source
        self.address = address


class KernelAssertionError(KernelFault, AssertionError):
    """An ``assert`` failed in a numba kernel compiled with ``debug=True`` (numba's launch raises
    ``AssertionError``); the attributes say which thread and which source line."""
