"""The public application form: CSRF, a honeypot, consent and the field rules."""

from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    SelectField,
    StringField,
    TextAreaField,
    ValidationError,
)
from wtforms.validators import InputRequired

from b24app.intake import validation
from b24app.intake.i18n import lazy_gettext as _l
from b24app.web.params import InvalidParameter, optional_positive_int


def consent_text() -> str:
    """Return the consent statement the student agrees to, in the current language."""
    return str(
        _l(
            "I agree that the internship programme processes my personal data "
            "(name, e-mail, phone, university, student ID, course, programme and "
            "skills) to review my application and to contact me about it. I can "
            "withdraw this consent by e-mail at any time."
        )
    )


def _optional_int(value) -> int | None:
    """Coerce a choice: the int ids of the choices, or a posted ASCII id string."""
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    if not isinstance(value, str):
        return None
    try:
        return optional_positive_int(value, field="university")
    except InvalidParameter:
        return None


def _apply(field, clean) -> None:
    """Run one validation rule and keep its cleaned value on the field."""
    try:
        field.data = clean(field.data)
    except validation.FieldError as error:
        raise ValidationError(str(error)) from None


class SkillsField(StringField):
    """A comma-separated text field whose validator stores the cleaned list.

    A re-rendered form shows the list joined back into text, so sending it again
    stores the same skills instead of the list's Python repr.
    """

    def _value(self) -> str:
        if isinstance(self.data, list):
            return ", ".join(self.data)
        return super()._value()


class ApplicationForm(FlaskForm):
    first_name = StringField(_l("First name"))
    last_name = StringField(_l("Last name"))
    email = StringField(_l("E-mail"))
    phone = StringField(_l("Phone"))
    university = SelectField(
        _l("University"), coerce=_optional_int, validate_choice=False
    )
    student_number = StringField(_l("Student ID"))
    course = StringField(_l("Course"))
    programme = StringField(_l("Programme"))
    skills = SkillsField(_l("Skills, comma-separated"))
    cover_note = TextAreaField(_l("Cover note (optional)"))
    consent = BooleanField(
        _l("I agree to the processing of my personal data"),
        validators=[
            InputRequired(_l("Your consent is needed to process the application."))
        ],
    )
    # Hidden from people by CSS; bots that fill every field fill this one too.
    website = StringField(_l("Leave this field empty"))

    def validate_first_name(self, field) -> None:
        _apply(field, lambda value: validation.clean_person_name("first_name", value))

    def validate_last_name(self, field) -> None:
        _apply(field, lambda value: validation.clean_person_name("last_name", value))

    def validate_university(self, field) -> None:
        allowed = {value for value, _label in field.choices or []}
        if field.data not in allowed:
            raise ValidationError(_l("Choose your university from the list."))

    def validate_email(self, field) -> None:
        _apply(field, validation.clean_email)

    def validate_phone(self, field) -> None:
        _apply(field, validation.clean_phone)

    def validate_student_number(self, field) -> None:
        _apply(field, validation.clean_student_number)

    def validate_course(self, field) -> None:
        _apply(field, validation.clean_course)

    def validate_programme(self, field) -> None:
        _apply(field, validation.clean_programme)

    def validate_skills(self, field) -> None:
        _apply(field, validation.clean_skills)

    def validate_cover_note(self, field) -> None:
        _apply(field, validation.clean_cover_note)

    @property
    def is_bot(self) -> bool:
        return bool((self.website.data or "").strip())
