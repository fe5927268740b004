"""Deterministic demo data: universities and employers as companies, vacancies as deals,
generated students as contacts. Runs without events, as an import would."""

from __future__ import annotations

import csv
import json
import random
from importlib import resources
from typing import Any

from .state import PortalState

_RU_FIRST = {
    "M": [
        "Артём",
        "Иван",
        "Максим",
        "Никита",
        "Павел",
        "Роман",
        "Семён",
        "Тимур",
        "Фёдор",
        "Ярослав",
        "Кирилл",
        "Матвей",
    ],
    "F": [
        "Алиса",
        "Варвара",
        "Дарина",
        "Ева",
        "Злата",
        "Ксения",
        "Милана",
        "Полина",
        "Софья",
        "Ульяна",
        "Таисия",
        "Есения",
    ],
}
_RU_LAST = [
    "Лесников",
    "Полянский",
    "Ручейков",
    "Облаков",
    "Камнев",
    "Зорин",
    "Ветров",
    "Травин",
    "Снегирёв",
    "Берёзкин",
    "Луговой",
    "Озёрный",
]
_EN_FIRST = {
    "M": ["Oliver", "Liam", "Noah", "Ethan", "Lucas"],
    "F": ["Ava", "Mia", "Chloe", "Grace", "Ruby"],
}
_EN_LAST = [
    "Brookfield",
    "Hillcrest",
    "Stonebridge",
    "Fairwood",
    "Larkspur",
    "Millbrook",
]
_SECTOR_INDUSTRY = {
    "Information Technology": "IT",
    "Communication Services": "TELECOM",
    "Financials": "FINANCE",
    "Industrials": "MANUFACTURING",
    "Energy": "MANUFACTURING",
    "Materials": "MANUFACTURING",
}
_DOMAINS = ["example.com", "example.org", "example.net"]


def _data_file(name: str) -> Any:
    return resources.files("b24app.emulator").joinpath("seed_data", name)


def _last_name(base: str, gender: str) -> str:
    """Return the feminine form of a Russian surname for women."""
    if gender == "F":
        if base.endswith(("ов", "ев", "ин", "ёв")):
            return base + "а"
        if base.endswith("ский"):
            return base[:-2] + "ая"
        if base.endswith(("ой", "ый")):
            return base[:-2] + "ая"
    return base


def generate_student(rng: random.Random, number: int) -> dict[str, Any]:
    """Generate a fictional student with a +7 000 phone and an example.* e-mail."""
    gender = rng.choice("MF")
    if rng.random() < 0.8:
        name = rng.choice(_RU_FIRST[gender])
        last = _last_name(rng.choice(_RU_LAST), gender)
        login = f"student{number}"
    else:
        name = rng.choice(_EN_FIRST[gender])
        last = rng.choice(_EN_LAST)
        login = f"{name}.{last}{number}".lower()
    phone = f"+7000{rng.randrange(10**6, 10**7):07d}"
    return {
        "NAME": name,
        "LAST_NAME": last,
        "POST": "Студент",
        "TYPE_ID": "CLIENT",
        "PHONE": [{"VALUE": phone, "VALUE_TYPE": "MOBILE"}],
        "EMAIL": [{"VALUE": f"{login}@{rng.choice(_DOMAINS)}", "VALUE_TYPE": "HOME"}],
    }


def seed_portal(
    state: PortalState, seed: int = 42, students: int = 200, sp500: int = 100
) -> dict[str, int]:
    """Fill the portal with demo data; the same seed always gives the same rows."""
    rng = random.Random(seed)
    universities = json.loads(
        _data_file("universities_ru_hipo.json").read_text("utf-8")
    )
    vacancies = json.loads(
        _data_file("hh_vacancies_facts_2025-11.json").read_text("utf-8")
    )
    with _data_file("companies_sp500_gics.csv").open(encoding="utf-8") as handle:
        sp_rows = list(csv.DictReader(handle))[:sp500]

    with state.lock:
        crm = state.crm
        university_ids = [
            crm.add(
                "company",
                {
                    "TITLE": item["name"],
                    "COMPANY_TYPE": "PARTNER",
                    "INDUSTRY": "OTHER",
                    "ADDRESS_COUNTRY": "Russia",
                    "WEB": [
                        {"VALUE": page, "VALUE_TYPE": "WORK"}
                        for page in item["web_pages"][:1]
                    ],
                },
                1,
            )
            for item in universities
        ]
        employers: dict[str, int] = {}
        for vacancy in vacancies:
            if vacancy["employer"] not in employers:
                employers[vacancy["employer"]] = crm.add(
                    "company",
                    {
                        "TITLE": vacancy["employer"],
                        "COMPANY_TYPE": "CUSTOMER",
                        "INDUSTRY": "IT",
                        "ADDRESS_CITY": vacancy["city"],
                        "ADDRESS_COUNTRY": "Russia",
                    },
                    1,
                )
        for row in sp_rows:
            crm.add(
                "company",
                {
                    "TITLE": row["Security"],
                    "COMPANY_TYPE": "CUSTOMER",
                    "INDUSTRY": _SECTOR_INDUSTRY.get(row["GICS Sector"], "OTHER"),
                    "ADDRESS_CITY": row["Headquarters Location"],
                    "ADDRESS_COUNTRY": "USA",
                    "COMMENTS": row["GICS Sub-Industry"],
                },
                1,
            )
        contact_ids = []
        for number in range(1, students + 1):
            fields = generate_student(rng, number)
            fields["COMPANY_ID"] = rng.choice(university_ids)
            contact_ids.append(crm.add("contact", fields, rng.choice([1, 2, 3])))
        deal_count = 0
        for vacancy in vacancies:
            applicants = rng.sample(
                contact_ids, k=min(len(contact_ids), rng.randint(0, 3))
            )
            crm.add(
                "deal",
                {
                    "TITLE": vacancy["title"],
                    "COMPANY_ID": employers[vacancy["employer"]],
                    "OPPORTUNITY": vacancy["salary_from"] or 0,
                    "CURRENCY_ID": "RUB",
                    "COMMENTS": ", ".join(vacancy["key_skills"]),
                    "BEGINDATE": vacancy["published_at"][:10],
                    "ORIGINATOR_ID": "hh.ru",
                    "ORIGIN_ID": vacancy["id"],
                    "CONTACT_IDS": applicants,
                },
                rng.choice([1, 2, 3, 4]),
            )
            deal_count += 1
    return {
        "universities": len(university_ids),
        "employers": len(employers) + len(sp_rows),
        "students": len(contact_ids),
        "deals": deal_count,
    }


def bulk_create(
    state: PortalState, entity: str, count: int, fields: dict[str, Any] | None = None
) -> tuple[int, int]:
    """Create `count` rows quickly and without events; return the first and last id.

    The first row goes through the normal insert. The rest are copies of it with their
    own ids and numbered titles (TITLE, or NAME for contacts).
    """
    if count <= 0:
        return 0, 0
    title_field = "NAME" if entity == "contact" else "TITLE"
    row_fields = dict(fields or {})
    row_fields.setdefault(title_field, f"Bulk {entity}")
    with state.lock:
        first = state.crm.add(entity, row_fields, 1)
        last = state.crm.tables[entity].clone(first, count - 1, title_field)
        if entity == "deal":
            links = state.crm.deal_contacts.get(first, [])
            for deal_id in range(first + 1, last + 1) if links else ():
                state.crm.deal_contacts[deal_id] = [dict(link) for link in links]
    return first, last
