"""The skill vocabulary: aliases in Latin and Cyrillic map to one canonical name."""

from collections.abc import Iterable

from b24app.extensions import db
from b24app.program.models import Skill
from b24app.program.normalize import normalize_text
from b24app.tenancy.scoping import scoped

# Built-in vocabulary: canonical name -> aliases, all lowercased. Portals add to it
# through Skill rows; a portal row with the same canonical name adds aliases.
BUILTIN_SKILLS: dict[str, tuple[str, ...]] = {
    "python": ("питон", "пайтон", "py", "python3"),
    "javascript": ("js", "джаваскрипт", "ecmascript", "es6"),
    "typescript": ("ts", "тайпскрипт"),
    "java": ("джава",),
    "c++": ("cpp", "си++", "с++"),
    "c#": ("csharp", "c sharp", "си шарп", "с#"),
    "go": ("golang", "го"),
    "sql": ("эскуэль", "sql-запросы"),
    "postgresql": ("postgres", "постгрес", "pg", "postgre"),
    "react": ("reactjs", "react.js", "реакт"),
    "1c": ("1с", "1c:предприятие", "1с:предприятие"),
    "excel": ("эксель", "ms excel", "microsoft excel"),
    "machine learning": ("ml", "машинное обучение"),
    "data analysis": ("анализ данных", "data analytics"),
    "english": ("английский", "английский язык", "english language"),
    "linux": ("линукс",),
    "git": ("гит",),
    "docker": ("докер",),
    "figma": ("фигма",),
}


def build_alias_map(extra: Iterable[tuple[str, list[str]]] = ()) -> dict[str, str]:
    """Map every normalized alias and canonical name to its canonical name."""
    alias_map: dict[str, str] = {}
    entries = [(name, list(aliases)) for name, aliases in BUILTIN_SKILLS.items()]
    entries.extend(extra)
    for name, aliases in entries:
        canonical = normalize_text(name)
        alias_map[canonical] = canonical
        for alias in aliases:
            alias_map[normalize_text(alias)] = canonical
    return alias_map


def load_alias_map(portal_id: int) -> dict[str, str]:
    """Build the alias map of the built-in vocabulary plus the portal's Skill rows."""
    rows = db.session.execute(scoped(Skill, portal_id)).scalars()
    return build_alias_map((row.name, list(row.aliases or [])) for row in rows)


def normalize_skills(
    values: Iterable[str] | str | None, alias_map: dict[str, str]
) -> list[str]:
    """Canonical, sorted, unique skill names; a comma-separated string is split.

    Unknown skills are kept in normalized form, so they still match each other.
    """
    if not values:
        return []
    if isinstance(values, str):
        values = values.replace(";", ",").split(",")
    result = set()
    for value in values:
        text = normalize_text(value)
        if text:
            result.add(alias_map.get(text, text))
    return sorted(result)
