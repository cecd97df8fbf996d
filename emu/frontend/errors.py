"""Errors raised by the frontend (to be merged into ``emu.errors`` by its owner)."""


class KernelArgumentError(TypeError):
    """A launch argument cannot be given a kernel parameter type."""


class KernelEntryError(LookupError):
    """The requested kernel entry is not in the PTX, or the choice is ambiguous."""


class CompileError(RuntimeError):
    """Source could not be compiled to PTX; the message carries the compiler log."""


class PtxasError(RuntimeError):
    """``ptxas`` could not be found or rejected the PTX; the message says which."""


class LinkError(CompileError):
    """PTX modules cannot be linked: a symbol defined twice, mismatched declarations or targets."""
