"""Tables to CSV and XLSX files, with column titles in the user's language.

CSV starts with a UTF-8 byte order mark, so Excel opens Cyrillic text right.
XLSX is written in openpyxl's write-only mode, which streams rows instead of
holding the sheet in memory; dates become real date cells.
"""

import csv
import io
import itertools
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import Any

from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter

from b24app.analytics import labels

CSV_BOM = "\ufeff"
XLSX_MEDIA_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
CSV_MEDIA_TYPE = "text/csv; charset=utf-8"
# Rows sampled to size the columns; the rest stream through unread.
WIDTH_SAMPLE_ROWS = 200
MIN_WIDTH = 8
MAX_WIDTH = 60
DATE_FORMAT = "YYYY-MM-DD"
DATETIME_FORMAT = "YYYY-MM-DD HH:MM"
SHEET_TITLE_MAX = 31
# Spreadsheets read a cell starting with one of these as a formula, so a CSV text
# cell starting with one gets a leading apostrophe (known as CSV injection).
FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")


@dataclass(frozen=True)
class Column:
    """One column: the key into each row and the label key of its title.

    `values` set to True translates stage, status and source codes in the cells.
    """

    key: str
    title_key: str | None = None
    values: bool = False

    def title(self, lang: str) -> str:
        return labels.title(self.title_key or self.key, lang)


@dataclass
class Table:
    """Rows (dicts keyed by column key) under named columns.

    `name` is a label key (its title names the sheet) or, without a label, the
    sheet's name as it is.
    """

    name: str
    columns: Sequence[Column]
    rows: Iterable[dict[str, Any]] = field(default_factory=list)

    def titles(self, lang: str) -> list[str]:
        return [column.title(lang) for column in self.columns]

    def title(self, lang: str) -> str:
        """Return the sheet title: the label of `name`, or the name itself."""
        return labels.title(self.name, lang)

    def cells(self, lang: str) -> Iterator[list[Any]]:
        """Yield the rows as lists of cell values in column order."""
        names = labels.value_names(lang)
        for row in self.rows:
            yield [
                _cell_value(column, row.get(column.key), names)
                for column in self.columns
            ]


def _cell_value(column: Column, value: Any, names: dict[str, str]) -> Any:
    if column.values and isinstance(value, str):
        return names.get(value, value)
    return value


def write_csv(table: Table, lang: str, delimiter: str = ",") -> bytes:
    """Write the table as CSV: BOM, a title row, then one line per row."""
    if delimiter not in (",", ";", "\t"):
        raise ValueError(f"invalid CSV delimiter {delimiter!r}: use ',', ';' or tab")

    buffer = io.StringIO()
    buffer.write(CSV_BOM)
    writer = csv.writer(buffer, delimiter=delimiter, lineterminator="\r\n")
    writer.writerow(table.titles(lang))
    for cells in table.cells(lang):
        writer.writerow([_csv_text(value) for value in cells])
    return buffer.getvalue().encode("utf-8")


def _csv_text(value: Any) -> Any:
    if value is None:
        return ""
    if isinstance(value, datetime):
        return _naive_utc(value).isoformat(sep=" ", timespec="seconds")
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, str) and value.startswith(FORMULA_PREFIXES):
        return "'" + value
    return value


def write_xlsx(tables: Sequence[Table], lang: str) -> bytes:
    """Write the tables as sheets of one workbook, a bold title row on each."""
    workbook = Workbook(write_only=True)
    for table in tables:
        add_sheet(workbook, table, lang)

    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def add_sheet(workbook: Workbook, table: Table, lang: str) -> None:
    """Append `table` as a sheet; its widths come from the first rows."""
    sheet = workbook.create_sheet(title=table.title(lang)[:SHEET_TITLE_MAX])
    titles = table.titles(lang)
    rows = table.cells(lang)
    sample = list(itertools.islice(rows, WIDTH_SAMPLE_ROWS))

    # Write-only sheets accept column widths only before the first row.
    for index, width in enumerate(column_widths(titles, sample), start=1):
        sheet.column_dimensions[get_column_letter(index)].width = width

    bold = Font(bold=True)
    header = []
    for text in titles:
        cell = WriteOnlyCell(sheet, value=text)
        cell.font = bold
        header.append(cell)
    sheet.append(header)

    for cells in itertools.chain(sample, rows):
        sheet.append([_xlsx_cell(sheet, value) for value in cells])


def column_widths(titles: list[str], sample: list[list[Any]]) -> list[float]:
    widths = []
    for index, text in enumerate(titles):
        longest = max([len(text)] + [len(_display_text(row[index])) for row in sample])
        widths.append(float(min(max(longest + 2, MIN_WIDTH), MAX_WIDTH)))
    return widths


def _display_text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, datetime):
        return "0000-00-00 00:00"
    return str(value)


def _xlsx_cell(sheet: Any, value: Any) -> Any:
    if isinstance(value, datetime):
        cell = WriteOnlyCell(sheet, value=_naive_utc(value))
        cell.number_format = DATETIME_FORMAT
        return cell
    if isinstance(value, date):
        cell = WriteOnlyCell(sheet, value=value)
        cell.number_format = DATE_FORMAT
        return cell
    if isinstance(value, str):
        return _text_cell(sheet, value)
    return value


def _text_cell(sheet: Any, value: str) -> Any:
    """Write `value` as a text cell, never a formula, minus XML-illegal characters.

    openpyxl turns a string starting with "=" into a formula and raises on
    control characters, which CRM names and titles may carry.
    """
    cell = WriteOnlyCell(sheet, value=ILLEGAL_CHARACTERS_RE.sub("", value))
    cell.data_type = "s"
    return cell


def _naive_utc(value: datetime) -> datetime:
    """Excel has no time zones: times are written as UTC wall-clock times."""
    if value.tzinfo is None:
        return value
    return value.astimezone(UTC).replace(tzinfo=None)
