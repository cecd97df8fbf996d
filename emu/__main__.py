"""``python -m emu``: emu's command line (``emu.cli``)."""
from emu.cli import main

main(prog_name="python -m emu")
