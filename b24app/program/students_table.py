"""Reading student tables: CSV or XLSX bytes to numbered rows, headers to fields."""

import csv
import io
import zipfile

from openpyxl import load_workbook

from b24app.intake.i18n import gettext as _
from b24app.program.normalize import normalize_text

# Header spellings staff use, in Russian and English, compared after
# normalize_text (case folded, "ё" as "е", spaces collapsed).
HEADER_ALIASES: dict[str, tuple[str, ...]] = {
    "first_name": ("first name", "first_name", "firstname", "given name", "name",
                   "имя"),
    "last_name": ("last name", "last_name", "lastname", "surname", "family name",
                  "фамилия"),
    "email": ("email", "e-mail", "e mail", "mail", "почта", "эл. почта",
              "электронная почта", "адрес электронной почты"),
    "phone": ("phone", "phone number", "telephone", "mobile", "телефон",
              "мобильный телефон", "номер телефона"),
    "student_number": ("student id", "student number", "student_number",
                       "student no", "номер студенческого",
                       "номер студенческого билета", "студенческий билет",
                       "номер зачетной книжки", "зачетная книжка"),
    "course": ("course", "year", "year of study", "курс"),
    "programme": ("programme", "program", "major", "field of study", "направление",
                  "направление подготовки", "специальность"),
    "skills": ("skills", "skill", "навыки", "компетенции"),
}  # fmt: skip

_LOOKUP = {alias: name for name, aliases in HEADER_ALIASES.items() for alias in aliases}


def header_columns(headers: list[str]) -> tuple[dict[str, int], list[str]]:
    """Map field names to column indexes; return the headers nothing matched too."""
    columns: dict[str, int] = {}
    ignored: list[str] = []
    for index, header in enumerate(headers):
        name = _LOOKUP.get(normalize_text(header).rstrip(":*"))
        if name is None or name in columns:
            if header.strip():
                ignored.append(header)
            continue
        columns[name] = index
    return columns, ignored


def read_table(filename: str, content: bytes) -> list[tuple[int, list[str]]]:
    """Return (line number, cells) pairs; raises ValueError for unreadable files."""
    lower = filename.lower()
    if lower.endswith(".xlsx"):
        return _read_xlsx(content)
    if lower.endswith((".csv", ".txt")):
        return _read_csv(content)
    raise ValueError(_("Upload a .csv or .xlsx file."))


def _read_csv(content: bytes) -> list[tuple[int, list[str]]]:
    try:
        text = content.decode("utf-8-sig")
    except UnicodeDecodeError:
        # Excel in Russian locales saves CSV as Windows-1251.
        text = content.decode("cp1251")
    first_line = text.split("\n", 1)[0]
    delimiter = max(",;\t", key=first_line.count)

    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    rows = []
    line = 1
    for cells in reader:
        rows.append((line, [cell.strip() for cell in cells]))
        line = reader.line_num + 1
    return rows


def _read_xlsx(content: bytes) -> list[tuple[int, list[str]]]:
    try:
        workbook = load_workbook(io.BytesIO(content), read_only=True, data_only=True)
    except (zipfile.BadZipFile, KeyError, OSError) as error:
        raise ValueError(_("The file is not a valid .xlsx workbook.")) from error
    try:
        sheet = workbook.worksheets[0]
        rows = []
        for number, values in enumerate(sheet.iter_rows(values_only=True), start=1):
            rows.append((number, [_cell_text(value) for value in values]))
        return rows
    finally:
        workbook.close()


def _cell_text(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).strip()
