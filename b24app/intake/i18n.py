"""The intake channels' own message catalog (Flask-Babel domain "intake").

Public pages, student mail and import errors use it; the language comes from
`?lang=`, then the browser's Accept-Language, then the portal's language.
"""

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from flask import has_request_context, request
from flask_babel import Domain, force_locale

LANGUAGES = ("ru", "en")
CATALOGS = Path(__file__).resolve().parent / "translations"

domain = Domain(translation_directories=[str(CATALOGS)], domain="intake")
gettext = domain.gettext
lazy_gettext = domain.lazy_gettext


def request_language(default: str = "ru") -> str:
    """Return the language of a public request: `?lang=`, Accept-Language, `default`."""
    if not has_request_context():
        return default if default in LANGUAGES else "ru"
    requested = request.args.get("lang", "").strip().lower()[:2]
    if requested in LANGUAGES:
        return requested
    best = request.accept_languages.best_match(LANGUAGES)
    if best:
        return best
    return default if default in LANGUAGES else "ru"


@contextmanager
def language(lang: str) -> Iterator[None]:
    """Render and translate in `lang` inside the block."""
    with force_locale(lang if lang in LANGUAGES else "ru"):
        yield
