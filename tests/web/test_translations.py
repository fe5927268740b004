"""Message catalogs: every Russian message translated, compiled files current."""

from pathlib import Path

import pytest
from babel.messages.mofile import read_mo
from babel.messages.pofile import read_po

TRANSLATIONS = Path(__file__).resolve().parents[2] / "b24app" / "translations"


def load(language: str):
    folder = TRANSLATIONS / language / "LC_MESSAGES"
    with open(folder / "messages.po", "rb") as handle:
        source = read_po(handle, locale=language)
    with open(folder / "messages.mo", "rb") as handle:
        compiled = read_mo(handle)
    return source, compiled


def test_russian_catalog_complete():
    source, _ = load("ru")

    untranslated = [m.id for m in source if m.id and not all(_strings(m))]
    assert untranslated == []


@pytest.mark.parametrize("language", ["ru"])
def test_compiled_catalog_matches_source(language):
    source, compiled = load(language)

    expected = {
        (m.context, _key(m.id)): _strings(m)
        for m in source
        if m.id and all(_strings(m))
    }
    actual = {(m.context, _key(m.id)): _strings(m) for m in compiled if m.id}
    assert actual == expected, "run: pybabel compile -d b24app/translations"


def _key(message_id):
    return tuple(message_id) if isinstance(message_id, list | tuple) else message_id


def _strings(message):
    string = message.string
    return tuple(string) if isinstance(string, list | tuple) else (string,)
