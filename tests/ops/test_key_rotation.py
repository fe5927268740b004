"""Token key rotation: tokens stay readable through add key, rotate, drop old key."""

import pytest
from cryptography.fernet import Fernet

from b24app.cli import main
from b24app.extensions import db
from b24app.ops.keys import rotate_token_key
from b24app.tenancy.crypto import TokenCipher, TokenKeyError, key_id
from b24app.tenancy.models import Portal

KEY_A = Fernet.generate_key().decode()
KEY_B = Fernet.generate_key().decode()


def store_tokens(make_portal, number: int, keys: str) -> Portal:
    cipher = TokenCipher(keys)
    return make_portal(
        number,
        access_token_encrypted=cipher.encrypt(f"access-{number}"),
        refresh_token_encrypted=cipher.encrypt(f"refresh-{number}"),
        token_key_id=cipher.current_key_id,
    )


def test_rotation_moves_rows_to_new_key(app, make_portal):
    first = store_tokens(make_portal, 1, KEY_A)
    store_tokens(make_portal, 2, KEY_A)

    report = rotate_token_key(f"{KEY_B},{KEY_A}")

    assert report.before == {key_id(KEY_A): 2}
    assert report.after == {key_id(KEY_B): 2}
    assert report.rotated == 2

    db.session.expire_all()
    portal = db.session.get(Portal, first.id)
    only_new_key = TokenCipher(KEY_B)
    assert only_new_key.decrypt(portal.access_token_encrypted) == "access-1"
    assert only_new_key.decrypt(portal.refresh_token_encrypted) == "refresh-1"
    assert portal.token_key_id == key_id(KEY_B)
    with pytest.raises(TokenKeyError):
        TokenCipher(KEY_A).decrypt(portal.access_token_encrypted)


def test_rotation_keeps_token_version(app, make_portal):
    portal = store_tokens(make_portal, 1, KEY_A)
    version = portal.token_version

    rotate_token_key(f"{KEY_B},{KEY_A}")

    db.session.expire_all()
    assert db.session.get(Portal, portal.id).token_version == version


def test_rotation_refuses_unreadable_rows(app, make_portal):
    portal = store_tokens(make_portal, 1, KEY_A)
    original = portal.access_token_encrypted

    with pytest.raises(TokenKeyError, match="1 portal"):
        rotate_token_key(KEY_B)

    db.session.expire_all()
    assert db.session.get(Portal, portal.id).access_token_encrypted == original


def test_rotate_command_reports_key_ids(app, runner, make_portal):
    store_tokens(make_portal, 1, KEY_A)
    app.config["B24_TOKEN_KEY"] = f"{KEY_B},{KEY_A}"

    result = runner.invoke(main, args=["ops", "rotate-token-key"])

    assert result.exit_code == 0, result.output
    assert f"before: {{'{key_id(KEY_A)}': 1}}" in result.output
    assert f"after:  {{'{key_id(KEY_B)}': 1}}" in result.output
    assert KEY_A not in result.output
    assert KEY_B not in result.output


def test_keys_generate_prints_fernet_key(runner):
    result = runner.invoke(main, args=["keys", "generate"])

    assert result.exit_code == 0
    Fernet(result.output.strip().encode())
