"""docs/timing.md's hardware tables are the presets' numbers, and every number has a source."""
import pytest

from emu.arch import presets
from emu.arch.hardware_doc import DOC, generated_part, hardware_tables, numbers, preset_sources


def test_the_document_shows_the_presets_as_they_are():
    assert generated_part(DOC.read_text()) == hardware_tables(), \
        "docs/timing.md is out of date: run python -m emu.arch.hardware_doc"


@pytest.mark.parametrize("name, sources", preset_sources().items())
def test_every_number_has_a_source(name, sources):
    missing = [field for field, _ in numbers(getattr(presets, name)) if not sources.get(field)]
    assert not missing, f"{name}: give these numbers a source comment in emu/arch/presets.py: {missing}"
