"""Long and unusual student names in the PDF report pack's cells."""

import pytest

from b24app.analytics.report_pdf import ReportDocument, fit_text

NAMES = [
    "W" * 241,
    "Иванова-Петрова Анна-Мария Сергеевна " * 6,
    "\u202eeeL nnA\u202c שרה כהן",
    "🎓" * 80,
    "Ann\x01a\x1b[31m",
]


class CountingDocument(ReportDocument):
    """Counts string measurements, the cost of cutting a cell's text."""

    measurements = 0

    def get_string_width(self, *args, **kwargs) -> float:
        self.measurements += 1
        return super().get_string_width(*args, **kwargs)


@pytest.fixture
def document() -> CountingDocument:
    document = CountingDocument("en", "footer")
    document.add_page()
    document.set_font("DejaVu", "", 8)
    return document


@pytest.mark.parametrize("name", NAMES)
def test_long_name_is_cut_to_longest_fitting_prefix(document, name):
    room = 42 - 2 * document.c_margin

    cut = fit_text(document, name, 42)

    kept = cut.removesuffix("…")
    assert name.startswith(kept)
    assert document.get_string_width(cut) <= room
    if kept != name:
        longer = name[: len(kept) + 1] + "…"
        assert document.get_string_width(longer) > room


def test_cutting_a_long_name_measures_it_few_times(document):
    fit_text(document, "W" * 241, 42)

    # A 241-character name needs about log2(241) measurements, not one per
    # character cut.
    assert document.measurements <= 12
