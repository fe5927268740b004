"""What the program needs in a portal's CRM: a company type, two pipelines, fields.

`crm_setup` creates these objects; the sync part reads their ids from CrmMapping.
User field names follow the Bitrix24 rule for `crm.*.userfield.add`: A-Z, 0-9 and
_, at most 20 characters including the UF_CRM_ prefix.
"""

from dataclasses import dataclass, field

UNIVERSITY_TYPE_ID = "UNIVERSITY"
UNIVERSITY_TYPE_NAMES = {"en": "University", "ru": "Университет"}


@dataclass(frozen=True)
class StageSpec:
    """One pipeline stage: our name, its STATUS_ID code and the CRM semantics.

    `code` NEW, WON and LOSE are the stages every new pipeline already has;
    the others are added. Semantics: "P" in progress, "S" success, "F" failure.
    """

    name: str
    code: str
    labels: dict[str, str]
    semantics: str = "P"


@dataclass(frozen=True)
class PipelineSpec:
    key: str
    labels: dict[str, str]
    stages: tuple[StageSpec, ...]


@dataclass(frozen=True)
class UserFieldSpec:
    """One UF_CRM_* field on contacts or deals, keyed by its logical name."""

    entity: str
    name: str
    field_name: str
    user_type: str
    labels: dict[str, str]
    multiple: bool = False
    settings: dict = field(default_factory=dict)
    items: tuple[tuple[str, str, str], ...] = ()


INTERNSHIPS = PipelineSpec(
    key="internships",
    labels={"en": "Internships", "ru": "Стажировки"},
    stages=(
        StageSpec("draft", "NEW", {"en": "Draft", "ru": "Черновик"}),
        StageSpec("open", "OPEN", {"en": "Open", "ru": "Открыта"}),
        StageSpec("closed", "CLOSED", {"en": "Closed", "ru": "Набор закрыт"}),
        StageSpec("completed", "WON", {"en": "Completed", "ru": "Завершена"}, "S"),
        StageSpec("cancelled", "LOSE", {"en": "Cancelled", "ru": "Отменена"}, "F"),
    ),
)

APPLICATIONS = PipelineSpec(
    key="applications",
    labels={"en": "Applications", "ru": "Заявки на стажировку"},
    stages=(
        StageSpec("new", "NEW", {"en": "New", "ru": "Новая"}),
        StageSpec("screening", "SCREENING", {"en": "Screening", "ru": "Отбор"}),
        StageSpec("interview", "INTERVIEW", {"en": "Interview", "ru": "Собеседование"}),
        StageSpec("offer", "OFFER", {"en": "Offer", "ru": "Предложение"}),
        StageSpec("hired", "WON", {"en": "Hired", "ru": "Принят"}, "S"),
        StageSpec("rejected", "LOSE", {"en": "Rejected", "ru": "Отказ"}, "F"),
        StageSpec("withdrawn", "WITHDRAWN", {"en": "Withdrawn", "ru": "Отозвана"}, "F"),
    ),
)

PIPELINES = (INTERNSHIPS, APPLICATIONS)

# Rejection reasons: (XML_ID, English, Russian). The XML_ID is what the app reads.
REJECTION_REASONS = (
    ("SKILLS", "Skills do not match", "Навыки не подходят"),
    ("COURSE", "Course or programme does not fit", "Не подходит курс или направление"),
    ("NO_SEATS", "No seats left", "Нет свободных мест"),
    ("INTERVIEW", "Did not pass the interview", "Не прошёл собеседование"),
    ("NO_REPLY", "Candidate did not reply", "Кандидат не ответил"),
    ("OTHER", "Other reason", "Другая причина"),
)


def _field(entity: str, name: str, code: str, kind: str, en: str, ru: str, **extra):
    return UserFieldSpec(
        entity, name, "UF_CRM_" + code, kind, {"en": en, "ru": ru}, **extra
    )


USER_FIELDS = (
    _field("contact", "student_number", "B24_STUDNO", "string", "Student ID",
           "Номер студенческого"),
    _field("contact", "course", "B24_COURSE", "integer", "Course", "Курс"),
    _field("contact", "programme", "B24_PROGRAM", "string", "Programme",
           "Направление подготовки"),
    _field("contact", "skills", "B24_SKILLS", "string", "Skills", "Навыки",
           multiple=True),
    _field("deal", "required_skills", "B24_REQSKILL", "string", "Required skills",
           "Требуемые навыки", multiple=True),
    _field("deal", "seats", "B24_SEATS", "integer", "Seats", "Число мест"),
    _field("deal", "city", "B24_CITY", "string", "City", "Город"),
    _field("deal", "starts_on", "B24_START", "date", "Start date", "Дата начала"),
    _field("deal", "ends_on", "B24_END", "date", "End date", "Дата окончания"),
    _field("deal", "applications_open_at", "B24_APPOPEN", "datetime",
           "Applications open", "Начало приёма заявок"),
    _field("deal", "applications_close_at", "B24_APPCLOSE", "datetime",
           "Applications close", "Окончание приёма заявок"),
    _field("deal", "internship_deal", "B24_INTERN", "crm", "Internship",
           "Стажировка", settings={"DEAL": "Y"}),
    _field("deal", "score", "B24_SCORE", "double", "Routing score",
           "Оценка соответствия", settings={"PRECISION": 2}),
    _field("deal", "routing_reason", "B24_ROUTE", "string", "Routing reason",
           "Причина назначения"),
    _field("deal", "rejection_reason", "B24_REJECT", "enumeration",
           "Rejection reason", "Причина отказа", items=REJECTION_REASONS),
)  # fmt: skip
