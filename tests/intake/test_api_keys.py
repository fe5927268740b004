"""University and portal API keys: shown once, stored hashed, revocable."""

import hashlib

import pytest
from sqlalchemy import select

from b24app.extensions import db
from b24app.program.api_keys import (
    ApiKey,
    authenticate_api_key,
    create_api_key,
    list_api_keys,
    revoke_api_key,
)


def test_key_is_stored_as_digest(site):
    created = create_api_key(site.portal_id, "Registrar", site.university.id)
    row = db.session.execute(select(ApiKey)).scalar_one()

    assert created.raw.startswith(f"b24k_{row.prefix}_")
    assert row.digest == hashlib.sha256(created.raw.encode()).hexdigest()
    assert created.raw not in (row.digest, row.prefix, row.label)
    assert row.scope == "university"
    assert len(created.raw) > 40


def test_authenticate_stamps_last_use(site):
    created = create_api_key(site.portal_id, "Registrar", site.university.id)

    key = authenticate_api_key(created.raw)

    assert key is not None
    assert key.university_id == site.university.id
    assert key.last_used_at is not None


@pytest.mark.parametrize(
    "mangle",
    [
        lambda raw: raw[:-1] + ("A" if raw[-1] != "A" else "B"),
        lambda raw: raw.replace("b24k_", "b24x_"),
        lambda raw: "",
        lambda raw: raw + "x" * 300,
        lambda raw: "b24k_short_secret",
    ],
)
def test_wrong_keys_rejected(site, mangle):
    created = create_api_key(site.portal_id, "Registrar", site.university.id)

    assert authenticate_api_key(mangle(created.raw)) is None
    assert authenticate_api_key(None) is None


def test_revoked_key_rejected(site):
    created = create_api_key(site.portal_id, "Registrar", site.university.id)

    revoke_api_key(site.portal_id, created.key.id)

    assert authenticate_api_key(created.raw) is None


def test_revoke_needs_same_portal(site):
    created = create_api_key(site.portal_id, "Registrar", site.university.id)

    with pytest.raises(LookupError):
        revoke_api_key(site.portal_id + 1000, created.key.id)


def test_portal_admin_token(site):
    created = create_api_key(site.portal_id, "Admin script")

    key = authenticate_api_key(created.raw)

    assert key.scope == "portal"
    assert key.university_id is None


def test_foreign_university_rejected(site):
    with pytest.raises(LookupError):
        create_api_key(site.portal_id + 1000, "x", site.university.id)


def test_list_keys_by_university(site):
    create_api_key(site.portal_id, "one", site.university.id)
    create_api_key(site.portal_id, "two", site.other_university.id)
    create_api_key(site.portal_id, "admin")

    labels = [key.label for key in list_api_keys(site.portal_id, site.university.id)]

    assert labels == ["one"]
    assert len(list_api_keys(site.portal_id)) == 3
