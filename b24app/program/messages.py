"""Messages to the person who applied, by reason code, in Russian and English."""

LANGUAGES = ("ru", "en")

SUBMITTER_MESSAGES: dict[str, dict[str, str]] = {
    "routed": {
        "en": "Your application has been received and passed to a recruiter.",
        "ru": "Заявка принята и передана рекрутеру.",
    },
    "invalid_request": {
        "en": "The application is missing contact details: "
        "give an e-mail, a phone or your student ID.",
        "ru": "В заявке нет контактов: укажите e-mail, телефон "
        "или номер студенческого билета.",
    },
    "internship_not_found": {
        "en": "This internship was not found.",
        "ru": "Стажировка не найдена.",
    },
    "internship_closed": {
        "en": "This internship is not accepting applications.",
        "ru": "На эту стажировку заявки не принимаются.",
    },
    "window_not_open": {
        "en": "Applications for this internship have not opened yet.",
        "ru": "Приём заявок на эту стажировку ещё не начался.",
    },
    "window_closed": {
        "en": "The application window for this internship has closed.",
        "ru": "Приём заявок на эту стажировку завершён.",
    },
    "duplicate": {
        "en": "You have already applied to this internship.",
        "ru": "Вы уже подали заявку на эту стажировку.",
    },
    "student_frozen": {
        "en": "You cannot apply this term: your profile is frozen "
        "or you already have a placement.",
        "ru": "В этом семестре подать заявку нельзя: профиль заморожен "
        "или вы уже получили место.",
    },
    "over_cap": {
        "en": "You have reached the limit of active applications for this term.",
        "ru": "Достигнут лимит активных заявок на этот семестр.",
    },
    "university_not_eligible": {
        "en": "This internship is not open to students of your university.",
        "ru": "Эта стажировка недоступна студентам вашего вуза.",
    },
    "no_partnership": {
        "en": "Your university has no partnership with this employer this term.",
        "ru": "У вашего вуза нет соглашения с этим работодателем на этот семестр.",
    },
    "no_seats": {
        "en": "All seats for your university at this internship are taken.",
        "ru": "Все места для студентов вашего вуза на этой стажировке заняты.",
    },
    "no_open_internship": {
        "en": "No open internship matches your application right now.",
        "ru": "Сейчас нет открытой стажировки, подходящей под вашу заявку.",
    },
}

REJECTION_CODES = tuple(code for code in SUBMITTER_MESSAGES if code != "routed")


def language(lang: str | None) -> str:
    """Return "ru" or "en"; other languages get English."""
    code = (lang or "").lower()[:2]
    return code if code in LANGUAGES else "en"


def submitter_message(reason_code: str, lang: str | None) -> str:
    messages = SUBMITTER_MESSAGES.get(
        reason_code, SUBMITTER_MESSAGES["invalid_request"]
    )
    return messages[language(lang)]
