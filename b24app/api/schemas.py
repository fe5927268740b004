"""Request and response bodies of the API as pydantic models.

The OpenAPI description is generated from these models, so a field added here
appears in the description and in validation at once. Output datetimes are
timezone-aware (UTC) and serialized in ISO 8601.
"""

from datetime import date, datetime
from typing import Annotated, Any, ClassVar, Literal
from urllib.parse import urlsplit

from pydantic import (
    AfterValidator,
    AwareDatetime,
    BaseModel,
    ConfigDict,
    Field,
    RootModel,
    StringConstraints,
    ValidationInfo,
    field_validator,
)

Id = Annotated[int, Field(ge=1, le=2**31 - 1)]
ShortText = Annotated[str, StringConstraints(max_length=255)]
Limit = Annotated[int, Field(ge=1, le=200, description="Page size, at most 200.")]


def reject_control_characters(text: str) -> str:
    """Return `text`, raising ValueError for a C0 control character or DEL.

    Names, cities and programmes are single lines that go on to the CRM and the
    exports, where an escape sequence or a bell is never wanted.
    """
    for character in text:
        if ord(character) < 0x20 or character == "\x7f":
            raise ValueError(f"must not contain the control character {character!r}")
    return text


# Rejects control characters in a single-line text field.
SingleLine = AfterValidator(reject_control_characters)


class Schema(BaseModel):
    model_config = ConfigDict(from_attributes=True)


class Input(BaseModel):
    """Inputs reject unknown fields, so a misspelled field is an error.

    Text may not contain NUL or unpaired surrogates: PostgreSQL cannot store
    either, and JSON can still carry both as escapes.
    """

    model_config = ConfigDict(extra="forbid")
    # Fields whose items are validated one by one later, by another model.
    unchecked_fields: ClassVar[frozenset[str]] = frozenset()

    @field_validator("*", mode="after")
    @classmethod
    def reject_unstorable_text(cls, value: Any, info: ValidationInfo) -> Any:
        if info.field_name in cls.unchecked_fields:
            return value
        for text in strings_in(value):
            if "\x00" in text:
                raise ValueError("must not contain the NUL character")
            try:
                text.encode("utf-8")
            except UnicodeEncodeError:
                raise ValueError("must be valid Unicode text") from None
        return value


def strings_in(value: Any) -> list[str]:
    """Collect every string inside `value`: a string, or a list or dict of them."""
    if isinstance(value, str):
        return [value]
    if isinstance(value, list | tuple):
        return [text for item in value for text in strings_in(item)]
    if isinstance(value, dict):
        return [text for item in value.values() for text in strings_in(item)]
    return []


class ProblemField(Schema):
    field: str = Field(description='Where the value is: "body.email", "query.limit".')
    message: str


class Problem(Schema):
    """An error as RFC 9457 problem details."""

    type: str
    title: str
    status: int
    detail: str
    errors: list[ProblemField] | None = None


def sort_parameter(*names: str) -> Any:
    """Build a `sort` parameter type whose pattern allows only the listed fields."""
    field_pattern = "-?(?:" + "|".join(names) + ")"
    return Annotated[
        str | None,
        Field(
            pattern=f"^{field_pattern}(?:,{field_pattern})*$",
            max_length=200,
            description=(
                "Comma-separated fields out of: "
                + ", ".join(names)
                + ". A leading '-' sorts descending."
            ),
        ),
    ]


class PageQuery(Input):
    limit: Limit = 50
    cursor: Annotated[str, StringConstraints(max_length=2000)] | None = Field(
        None, description="The `cursor` from a page's `next` link."
    )
    sort: sort_parameter("id", "created_at") = None


class Internship(Schema):
    id: int
    bitrix_id: int | None
    title: str
    employer_id: int
    term_id: int | None
    city: str
    status: Literal["draft", "open", "closed", "completed", "cancelled"]
    required_skills: list[str]
    programmes: list[str]
    min_course: int | None
    max_course: int | None
    seats: int
    starts_on: date | None
    ends_on: date | None
    applications_open_at: datetime | None
    applications_close_at: datetime | None
    open_to_all: bool
    university_ids: list[int]
    created_at: datetime
    updated_at: datetime


class InternshipQuery(PageQuery):
    sort: sort_parameter(
        "id", "title", "status", "seats", "created_at", "updated_at"
    ) = None
    status: Literal["draft", "open", "closed", "completed", "cancelled"] | None = None
    employer_id: Id | None = None
    skill: ShortText | None = Field(None, description="A required skill, any alias.")
    city: ShortText | None = None
    starts_from: date | None = Field(None, description="Starts on or after this day.")
    starts_to: date | None = Field(None, description="Starts on or before this day.")


class InternshipPage(Schema):
    data: list[Internship]
    next: str | None


class University(Schema):
    id: int
    bitrix_id: int | None
    name: str
    city: str
    domains: list[str]
    created_at: datetime
    updated_at: datetime


Domain = Annotated[
    str,
    StringConstraints(max_length=253, pattern=r"^[A-Za-z0-9-]+(\.[A-Za-z0-9-]+)+$"),
]


class UniversityCreate(Input):
    name: Annotated[
        str,
        StringConstraints(strip_whitespace=True, min_length=1, max_length=255),
        SingleLine,
    ]
    city: Annotated[
        str, StringConstraints(strip_whitespace=True, max_length=120), SingleLine
    ] = ""
    domains: Annotated[list[Domain], Field(max_length=20)] = []


class UniversityCreated(Schema):
    university: University
    crm_status: Literal["pending", "sent", "failed"]
    status_url: str


class CrmWriteStatus(Schema):
    """Whether the CRM company of a university has been written."""

    university_id: int
    bitrix_id: int | None
    status: Literal["pending", "sent", "failed", "not_queued"]
    attempts: int
    last_error: str


class UniversityQuery(PageQuery):
    sort: sort_parameter("id", "name", "created_at", "updated_at") = None
    name: ShortText | None = Field(None, description="Part of the name.")
    city: ShortText | None = None


class UniversityPage(Schema):
    data: list[University]
    next: str | None


class Company(Schema):
    id: int
    bitrix_id: int | None
    name: str
    industry: str
    city: str
    created_at: datetime
    updated_at: datetime


class CompanyQuery(PageQuery):
    sort: sort_parameter("id", "name", "created_at", "updated_at") = None
    name: ShortText | None = Field(None, description="Part of the name.")
    city: ShortText | None = None
    industry: ShortText | None = None


class CompanyPage(Schema):
    data: list[Company]
    next: str | None


class Student(Schema):
    id: int
    bitrix_id: int | None
    university_id: int | None
    student_number: str | None
    first_name: str
    last_name: str
    email: str | None
    phone: str | None
    course: int | None
    programme: str
    skills: list[str]
    placed: bool
    created_at: datetime
    updated_at: datetime


class StudentInput(Input):
    """A student as sent by a university; identity rules of the form apply."""

    email: Annotated[str, StringConstraints(max_length=254)] | None = None
    phone: Annotated[str, StringConstraints(max_length=40)] | None = None
    university_id: Id | None = None
    student_number: Annotated[str, StringConstraints(max_length=64)] | None = None
    first_name: Annotated[str, StringConstraints(max_length=120), SingleLine] = ""
    last_name: Annotated[str, StringConstraints(max_length=120), SingleLine] = ""
    course: Annotated[int, Field(ge=1, le=10)] | None = None
    programme: Annotated[str, StringConstraints(max_length=255), SingleLine] = ""
    skills: Annotated[
        list[Annotated[str, StringConstraints(max_length=80)]], Field(max_length=50)
    ] = []
    consent_text: Annotated[str, StringConstraints(max_length=2000)] | None = None
    consent_at: AwareDatetime | None = None


class StudentQuery(PageQuery):
    sort: sort_parameter("id", "last_name", "created_at", "updated_at") = None
    university_id: Id | None = None
    email: ShortText | None = None
    course: Annotated[int, Field(ge=1, le=10)] | None = None
    skill: ShortText | None = None


class StudentPage(Schema):
    data: list[Student]
    next: str | None


class StudentBulkUpsert(Input):
    unchecked_fields: ClassVar[frozenset[str]] = frozenset({"items"})

    items: Annotated[
        list[Any],
        Field(
            min_length=1,
            max_length=1000,
            description=(
                "Up to 1,000 StudentInput objects. Each item is checked on its "
                "own, so an invalid item is reported in the results, not as a "
                "422 of the whole request."
            ),
        ),
    ]


class BulkItemResult(Schema):
    index: int
    status: Literal["created", "updated", "invalid"]
    id: int | None = None
    matched_by: str | None = None
    errors: list[ProblemField] = []


class BulkResult(Schema):
    created: int
    updated: int
    invalid: int
    items: list[BulkItemResult]


class Application(Schema):
    id: int
    bitrix_id: int | None
    student_id: int
    internship_id: int
    employer_id: int
    university_id: int | None
    term_id: int | None
    stage: Literal[
        "new", "screening", "interview", "offer", "hired", "rejected", "withdrawn"
    ]
    rejection_reason: str
    source: str
    score: float
    created_at: datetime
    updated_at: datetime


class ApplicationCreate(Input):
    """An application to one internship, or a general one to an employer."""

    student: StudentInput
    internship_id: Id | None = None
    employer_id: Id | None = None
    programme: ShortText | None = None
    term_id: Id | None = None
    lang: Literal["ru", "en"] | None = None


class RoutingResult(Schema):
    """The routing engine's decision; `message` is meant for the student."""

    accepted: bool
    reason_code: str
    message: str
    student_id: int | None
    application_id: int | None
    internship_id: int | None
    decision_id: int | None
    assignee_user_id: int | None
    score: float
    application_url: str | None


class ApplicationQuery(PageQuery):
    sort: sort_parameter("id", "stage", "score", "created_at", "updated_at") = None
    stage: (
        Literal[
            "new", "screening", "interview", "offer", "hired", "rejected", "withdrawn"
        ]
        | None
    ) = None
    internship_id: Id | None = None
    student_id: Id | None = None
    university_id: Id | None = None
    created_from: AwareDatetime | None = None
    created_to: AwareDatetime | None = None


class ApplicationPage(Schema):
    data: list[Application]
    next: str | None


class StatisticsQuery(Input):
    term_id: Id | None = None
    employer_id: Id | None = None
    internship_id: Id | None = None
    date_from: date | None = None
    date_to: date | None = None


class Figures(RootModel[dict[str, Any]]):
    """Figures as the analytics part computes them, with the filters applied."""


class SyncStart(Input):
    """The scope of a new sync: `{}` for the whole portal, or one university."""

    university_id: Id | None = Field(
        None,
        description=(
            "Sync only this university: its company, its students' contacts "
            "and their application deals. A university key may name only its "
            "own university; the whole portal needs an admin token."
        ),
    )


class SyncScope(Schema):
    """The part of the CRM a run reads: the whole portal, or one university."""

    university_id: int | None = Field(description="Null for the whole portal.")
    company_id: int | None = Field(
        description="The university's CRM company id, null for the whole portal."
    )


class SyncRun(Schema):
    id: int
    kind: Literal["full", "university"]
    scope: SyncScope
    status: Literal["running", "succeeded", "failed"]
    phase: str = Field(
        description=(
            'The step running or last run: "company", "contact", "deal", '
            '"contact_check", "deal_check", "tombstones" or "done".'
        )
    )
    attempts: int
    processed: int
    expected: int
    counts: dict[str, Any]
    tombstoned: dict[str, int] = Field(
        description="Records of a university run the CRM no longer has, by type."
    )
    rejected: dict[str, int] = Field(
        default_factory=dict,
        description="Exported records that could not be mapped or stored, by type; "
        "the log names each one.",
    )
    error: str
    started_at: datetime
    finished_at: datetime | None
    status_url: str


WebhookEventName = Literal["internship.opened", "application.stage_changed"]


class WebhookEndpointCreate(Input):
    url: Annotated[str, StringConstraints(min_length=1, max_length=2048)] = Field(
        description="An HTTPS URL on a public address."
    )
    events: Annotated[list[WebhookEventName], Field(min_length=1, max_length=2)] = [
        "internship.opened",
        "application.stage_changed",
    ]
    description: Annotated[str, StringConstraints(max_length=255)] = ""

    @field_validator("url")
    @classmethod
    def check_port(cls, url: str) -> str:
        """Reject a URL whose port is not 1..65535 or that cannot be split."""
        try:
            port = urlsplit(url).port
        except ValueError as error:
            raise ValueError(f"invalid URL: {error}") from None
        if port == 0:
            raise ValueError("invalid URL: the port must be from 1 to 65535")
        return url


class WebhookEndpoint(Schema):
    id: int
    university_id: int
    url: str
    events: list[str]
    description: str
    active: bool
    disabled_reason: str
    disabled_at: datetime | None
    consecutive_failures: int
    created_at: datetime


class WebhookEndpointCreated(Schema):
    """The new endpoint and its signing secret, which is shown only this once."""

    endpoint: WebhookEndpoint
    secret: str


class WebhookEndpointPage(Schema):
    data: list[WebhookEndpoint]
    next: str | None


class WebhookAttempt(Schema):
    """One delivery attempt: the HTTP status, how long it took, the error."""

    id: int
    delivery_id: int
    attempt: int
    status_code: int | None
    duration_ms: float
    error: str
    succeeded: bool
    created_at: datetime


class WebhookAttemptPage(Schema):
    data: list[WebhookAttempt]
    next: str | None
