"""docs/numerics.md's table of tensor-core parameters says what emu.numerics.mma.ARCHS says."""
from pathlib import Path

from emu.numerics.mma import ARCHS

DOC = Path(__file__).resolve().parents[1] / "docs" / "numerics.md"


def documented_rows() -> dict[str, list[str]]:
    rows = {}
    for line in DOC.read_text().splitlines():
        if not line.startswith("|"):
            continue
        cells = [c.strip().replace("−", "-") for c in line.strip().strip("|").split("|")]
        if cells[0].startswith("sm_"):
            rows[cells[0]] = cells
    return rows


def test_parameter_table_matches_the_model():
    rows = documented_rows()
    assert rows.keys() == ARCHS.keys()
    for arch, tc in ARCHS.items():
        fp8 = (f"{tc.fp8.instruction}, {tc.fp8.alignment_fraction_bits}, {tc.fp8.block_terms}, "
               f"{tc.fp8.fp32_result_fraction_bits}" if tc.fp8 else "–")
        expected = [arch, tc.gpu, str(tc.alignment_fraction_bits),
                    *(str(tc.block_terms.get(f, "–")) for f in ("fp16", "bf16", "tf32")),
                    str(tc.zero_exponent_fp32_out), str(tc.zero_exponent_fp16_out), fp8]
        assert rows[arch] == expected, arch
