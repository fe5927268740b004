"""CRM roles: crm.item.* called with a user's token honour that user's role."""

from __future__ import annotations

from typing import Any

import pytest
import requests

from b24app.emulator.testing import EmulatorServer

DEAL = 2


def user_token(emulator: EmulatorServer, user_id: int) -> str:
    _, form = emulator.frame_fields(user_id=user_id)
    return form["AUTH_ID"]


def call(emulator: EmulatorServer, token: str, method: str, **params: Any) -> dict:
    response = requests.post(
        f"{emulator.client_endpoint}{method}",
        json={**params, "auth": token},
        timeout=10,
    )
    return {"status": response.status_code, **response.json()}


@pytest.fixture
def deals(emulator: EmulatorServer, auth: dict[str, Any]) -> dict[str, int]:
    """Create one deal owned by user 2 and one owned by user 3."""
    admin = auth["access_token"]
    ids = {}
    for owner in (2, 3):
        body = call(
            emulator,
            admin,
            "crm.item.add",
            entityTypeId=DEAL,
            fields={"title": f"Deal of {owner}", "assignedById": owner},
        )
        ids[f"user{owner}"] = body["result"]["item"]["id"]
    return ids


def test_get_own_role_reads_own_deal(emulator, deals):
    emulator.set_crm_role(2, "own")
    token = user_token(emulator, 2)

    body = call(emulator, token, "crm.item.get", entityTypeId=DEAL, id=deals["user2"])

    assert body["status"] == 200
    assert body["result"]["item"]["assignedById"] == 2


def test_get_own_role_denied_other_deal(emulator, deals):
    emulator.set_crm_role(2, "own")
    token = user_token(emulator, 2)

    body = call(emulator, token, "crm.item.get", entityTypeId=DEAL, id=deals["user3"])

    assert body["status"] == 400
    assert body["error"] == "ACCESS_DENIED"
    assert body["error_description"]


def test_list_own_role_leaves_out_others(emulator, deals):
    emulator.set_crm_role(2, "own")
    token = user_token(emulator, 2)

    body = call(emulator, token, "crm.item.list", entityTypeId=DEAL, select=["id"])

    assert [item["id"] for item in body["result"]["items"]] == [deals["user2"]]
    assert body["total"] == 1


def test_list_no_access_is_empty(emulator, deals):
    emulator.set_crm_role(2, "none")
    token = user_token(emulator, 2)

    body = call(emulator, token, "crm.item.list", entityTypeId=DEAL)

    assert body["status"] == 200
    assert body["result"]["items"] == []
    assert body["total"] == 0


def test_update_reader_role_denied(emulator, deals):
    emulator.set_crm_role(2, "reader")
    token = user_token(emulator, 2)

    read = call(emulator, token, "crm.item.get", entityTypeId=DEAL, id=deals["user3"])
    write = call(
        emulator,
        token,
        "crm.item.update",
        entityTypeId=DEAL,
        id=deals["user2"],
        fields={"title": "changed"},
    )

    assert read["status"] == 200
    assert write["status"] == 400
    assert write["error"] == "ACCESS_DENIED"


def test_update_own_role_changes_own_deal(emulator, deals):
    emulator.set_crm_role(2, "own")
    token = user_token(emulator, 2)

    body = call(
        emulator,
        token,
        "crm.item.update",
        entityTypeId=DEAL,
        id=deals["user2"],
        fields={"title": "changed"},
    )

    assert body["status"] == 200
    assert body["result"]["item"]["title"] == "changed"


def test_admin_ignores_roles(emulator, deals, auth):
    emulator.set_crm_role(1, "none")

    body = call(
        emulator,
        auth["access_token"],
        "crm.item.get",
        entityTypeId=DEAL,
        id=deals["user3"],
    )

    assert body["status"] == 200


def test_admin_api_sets_levels_per_entity(emulator):
    url = f"{emulator.base_url}/_emulator/users/3/crm-role"

    response = requests.post(
        url, json={"deal": {"read": "own", "write": "none"}}, timeout=10
    )
    rejected = requests.post(url, json={"role": "owner"}, timeout=10)

    assert response.json() == {"deal": {"read": "own", "write": "none"}}
    assert rejected.status_code == 400


def test_update_unchanged_title_saves_nothing(emulator, deals):
    emulator.set_crm_role(2, "own")
    token = user_token(emulator, 2)

    body = call(
        emulator,
        token,
        "crm.item.update",
        entityTypeId=DEAL,
        id=deals["user2"],
        fields={"title": "Deal of 2"},
    )

    row = emulator.state.crm.tables["deal"].rows[deals["user2"]]
    assert body["status"] == 200
    assert row["MODIFY_BY_ID"] == "1"
