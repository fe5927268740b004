"""Languages: Russian and English through Flask-Babel, following the portal's LANG.

The language comes from the frame session (the `LANG` that Bitrix24 posted
when the frame opened), then from `LANG` in the query of a frame request, then
Russian. Catalogs live in `b24app/translations`; the compiled `.mo` files are
kept in the repository next to their `.po` sources, and a test checks that
they match.
"""

from __future__ import annotations

from pathlib import Path

from flask import Flask, g, request
from flask_babel import Babel

from b24app.web.frame import DEFAULT_LANGUAGE, normalize_language

TRANSLATIONS = Path(__file__).resolve().parent.parent / "translations"

babel = Babel()


def select_locale() -> str:
    """Return the language of the current request."""
    session = g.get("frame_session")
    if session is not None:
        return session.lang
    if "LANG" in request.args:
        return normalize_language(request.args["LANG"])
    return DEFAULT_LANGUAGE


def init_app(app: Flask) -> None:
    """Set up Flask-Babel with the app's catalogs and locale selector."""
    app.config.setdefault("BABEL_DEFAULT_LOCALE", DEFAULT_LANGUAGE)
    app.config.setdefault("BABEL_TRANSLATION_DIRECTORIES", str(TRANSLATIONS))
    babel.init_app(app, locale_selector=select_locale)
