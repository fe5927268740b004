"""The intake catalog: every string translated, the compiled file up to date."""

from pathlib import Path

from babel.messages.mofile import read_mo
from babel.messages.pofile import read_po

CATALOG = Path(__file__).resolve().parents[2] / "b24app/intake/translations"


def test_russian_catalog_complete():
    with open(CATALOG / "ru/LC_MESSAGES/intake.po", "rb") as source:
        catalog = read_po(source)
    untranslated = [
        message.id for message in catalog if message.id and not message.string
    ]

    assert untranslated == []


def test_compiled_catalog_matches_source():
    with open(CATALOG / "ru/LC_MESSAGES/intake.po", "rb") as source:
        po = {message.id: message.string for message in read_po(source) if message.id}
    with open(CATALOG / "ru/LC_MESSAGES/intake.mo", "rb") as compiled:
        mo = {message.id: message.string for message in read_mo(compiled) if message.id}

    assert mo == po


def test_template_covers_used_strings():
    with open(CATALOG / "intake.pot", "rb") as source:
        template = {message.id for message in read_po(source) if message.id}
    with open(CATALOG / "ru/LC_MESSAGES/intake.po", "rb") as source:
        translated = {message.id for message in read_po(source) if message.id}

    assert template <= translated
