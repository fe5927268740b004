"""Bulk import of one university's students from CSV or XLSX files.

`preview_import` parses every row, reports each error with its line number and
shows how the first rows would match existing students. `commit_import` writes
all rows in one transaction, or nothing: any invalid row rejects the whole file
before a write, and an error during the writes rolls everything back.
Students are matched by the same identity rules as the form and the API.
"""

import csv
import io
import logging
from dataclasses import dataclass, field

from b24app.extensions import db
from b24app.intake import validation
from b24app.intake.i18n import gettext as _
from b24app.intake.i18n import language
from b24app.program.identity import IdentityError, StudentData, resolve_student
from b24app.program.models import OutboxKind, University
from b24app.program.services.outbox import add_outbox
from b24app.program.skills import load_alias_map
from b24app.program.students_table import header_columns, read_table
from b24app.tenancy.models import utcnow
from b24app.tenancy.scoping import get_scoped

log = logging.getLogger(__name__)

MAX_ROWS = 10_000
PREVIEW_ROWS = 20


class ImportRejected(ValueError):
    """The file has errors; nothing was written. `errors` lists them by line."""

    def __init__(self, errors: list["RowError"]) -> None:
        super().__init__(f"import rejected: {len(errors)} errors, nothing was written")
        self.errors = errors


@dataclass
class RowError:
    line: int
    field: str
    message: str

    def __str__(self) -> str:
        return f"line {self.line}, {self.field}: {self.message}"


@dataclass
class ParsedRow:
    line: int
    student: StudentData
    # Filled by the preview: "new", or the identity key an existing row matched by.
    match: str = ""


@dataclass
class ParsedFile:
    rows: list[ParsedRow] = field(default_factory=list)
    errors: list[RowError] = field(default_factory=list)
    columns: dict[str, str] = field(default_factory=dict)
    ignored_headers: list[str] = field(default_factory=list)


@dataclass
class ImportResult:
    created: int
    updated: int
    conflicts: list[RowError] = field(default_factory=list)


def parse_students(filename: str, content: bytes, university_id: int) -> ParsedFile:
    """Parse and validate every row; errors carry the file's line numbers."""
    parsed = ParsedFile()
    try:
        table = read_table(filename, content)
    except ValueError as error:
        parsed.errors.append(RowError(1, "file", str(error)))
        return parsed
    if not table:
        parsed.errors.append(RowError(1, "file", _("The file is empty.")))
        return parsed

    header_line, headers = table[0]
    columns, ignored = header_columns(headers)
    parsed.columns = {name: headers[index] for name, index in columns.items()}
    parsed.ignored_headers = ignored
    missing = [name for name in ("first_name", "last_name") if name not in columns]
    if "email" not in columns and "student_number" not in columns:
        missing.append("email / student_number")
    for name in missing:
        parsed.errors.append(
            RowError(header_line, name, _("The file has no column for this field."))
        )
    if missing:
        return parsed

    body = [(line, cells) for line, cells in table[1:] if any(c.strip() for c in cells)]
    if len(body) > MAX_ROWS:
        parsed.errors.append(
            RowError(
                header_line,
                "file",
                _("Too many rows: at most %(count)d.") % {"count": MAX_ROWS},
            )
        )
        return parsed

    for line, cells in body:
        values = {
            name: cells[index] if index < len(cells) else ""
            for name, index in columns.items()
        }
        row, errors = parse_row(line, values, university_id)
        parsed.errors.extend(errors)
        if row is not None:
            parsed.rows.append(row)
    return parsed


def parse_row(
    line: int, values: dict[str, str], university_id: int
) -> tuple[ParsedRow | None, list[RowError]]:
    """Clean one row with the form's rules; returns the row or its errors."""
    cleaned: dict[str, object] = {}
    errors: list[RowError] = []
    rules = {
        "first_name": lambda v: validation.clean_person_name("first_name", v),
        "last_name": lambda v: validation.clean_person_name("last_name", v),
        "email": lambda v: validation.clean_email(v) if v.strip() else None,
        "phone": validation.clean_phone,
        "student_number": lambda v: validation.clean_student_number(v, False),
        "course": lambda v: validation.clean_course(v, False),
        "programme": lambda v: validation.clean_programme(v, False),
        "skills": validation.clean_skills,
    }
    for name, rule in rules.items():
        try:
            cleaned[name] = rule(values.get(name, "") or "")
        except validation.FieldError as error:
            errors.append(RowError(line, name, str(error)))

    if not errors and not cleaned.get("email") and not cleaned.get("student_number"):
        errors.append(
            RowError(
                line, "email", _("Give an e-mail or a student ID for each student.")
            )
        )
    if errors:
        return None, errors

    student = StudentData(
        university_id=university_id,
        source="import",
        observed_at=utcnow(),
        **cleaned,
    )
    return ParsedRow(line, student), []


def preview_import(
    portal_id: int,
    university_id: int,
    filename: str,
    content: bytes,
    limit: int = PREVIEW_ROWS,
    lang: str = "ru",
) -> ParsedFile:
    """Parse the file and show how its first `limit` rows would match; no writes.

    The matching runs the identity resolver inside a savepoint that is rolled
    back, so rows that repeat a person earlier in the file show as matched too.
    """
    with language(lang):
        _require_university(portal_id, university_id)
        parsed = parse_students(filename, content, university_id)
    alias_map = load_alias_map(portal_id)

    savepoint = db.session.begin_nested()
    try:
        for row in parsed.rows[:limit]:
            try:
                match = resolve_student(portal_id, row.student, alias_map)
            except IdentityError as error:
                row.match = f"invalid: {error}"
                continue
            row.match = "new" if match.created else match.matched_by
    finally:
        savepoint.rollback()
    parsed.rows = parsed.rows[:limit]
    return parsed


def commit_import(
    portal_id: int, university_id: int, filename: str, content: bytes, lang: str = "ru"
) -> ImportResult:
    """Write every row in one transaction and commit; raises ImportRejected."""
    with language(lang):
        _require_university(portal_id, university_id)
        parsed = parse_students(filename, content, university_id)
    if parsed.errors:
        raise ImportRejected(parsed.errors)

    alias_map = load_alias_map(portal_id)
    result = ImportResult(created=0, updated=0)
    errors: list[RowError] = []
    try:
        for row in parsed.rows:
            try:
                match = resolve_student(portal_id, row.student, alias_map)
            except IdentityError as error:
                errors.append(RowError(row.line, "student", str(error)))
                continue
            _count(result, row, match)
            add_outbox(
                portal_id,
                OutboxKind.UPSERT_CONTACT,
                "student",
                match.student.id,
                {"student_id": match.student.id, "bitrix_id": match.student.bitrix_id},
            )
        if errors:
            raise ImportRejected(errors)
        db.session.commit()
    except Exception:
        db.session.rollback()
        raise

    log.info(
        "portal %s: imported %s students for university %s: %s new, %s updated",
        portal_id,
        len(parsed.rows),
        university_id,
        result.created,
        result.updated,
    )
    return result


def _count(result: ImportResult, row: ParsedRow, match) -> None:
    if match.created:
        result.created += 1
    else:
        result.updated += 1
    for name in match.conflicts:
        result.conflicts.append(
            RowError(row.line, name, "kept: another student has this value")
        )


def _require_university(portal_id: int, university_id: int) -> None:
    if get_scoped(University, portal_id, id=university_id) is None:
        raise LookupError(f"university {university_id} not found in portal {portal_id}")


def csv_bytes(rows: list[list[str]]) -> bytes:
    """Encode rows as a UTF-8 CSV file (for tests and the sample file)."""
    buffer = io.StringIO()
    csv.writer(buffer).writerows(rows)
    return buffer.getvalue().encode()
