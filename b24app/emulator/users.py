"""Generated portal users (never real persons) in the shape `user.get` returns."""

from __future__ import annotations

from typing import Any

# Users who administer the portal: `user.admin` is true and CRM roles do not apply.
ADMIN_USER_IDS = frozenset({1})

# (name, last name, gender, position, active)
_USERS = [
    ("Алина", "Тестова", "F", "Руководитель программы стажировок", True),
    ("Борис", "Примеров", "M", "HR-менеджер", True),
    ("Вера", "Образцова", "F", "Координатор вузов", True),
    ("Глеб", "Демонстров", "M", "Менеджер по работе с работодателями", True),
    ("Дарья", "Шаблонова", "F", "Аналитик", False),
    ("Егор", "Условный", "M", "Стажёр", False),
]


def generated_users() -> list[dict[str, Any]]:
    """Return the portal's users; 1 is the administrator, 5 and 6 are inactive."""
    users = []
    for index, (name, last_name, gender, position, active) in enumerate(
        _USERS, start=1
    ):
        users.append(
            {
                "ID": str(index),
                "XML_ID": f"emu-user-{index}",
                "ACTIVE": active,
                "NAME": name,
                "LAST_NAME": last_name,
                "SECOND_NAME": "",
                "EMAIL": f"user{index}@example.com",
                "LAST_LOGIN": "2026-12-01T09:00:00+03:00",
                "DATE_REGISTER": "2026-01-15T00:00:00+03:00",
                "IS_ONLINE": "N",
                "TIME_ZONE": "Europe/Moscow",
                "TIME_ZONE_OFFSET": "10800",
                "TIMESTAMP_X": [],
                "LAST_ACTIVITY_DATE": "2026-12-01 09:00:00",
                "PERSONAL_GENDER": gender,
                "PERSONAL_BIRTHDAY": "",
                "WORK_POSITION": position,
                "UF_DEPARTMENT": [1],
                "USER_TYPE": "employee",
            }
        )
    return users
