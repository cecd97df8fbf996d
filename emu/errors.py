"""Exceptions emu raises, each with a message a student can act on."""


class EmuError(Exception):
    """Base class of every error emu raises on purpose."""


class UnsupportedPTXError(EmuError):
    """The PTX uses an instruction, modifier or feature the emulator does not execute."""


class LaunchError(EmuError):
    """A launch CUDA itself would refuse (block or grid too large, too much shared memory, bad arguments)."""


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
