"""Token encryption key rotation: re-encrypt stored OAuth tokens with the newest key.

The procedure: put the new Fernet key first in B24_TOKEN_KEY (keeping the old one
after it) on every process, run `b24app ops rotate-token-key`, check that every
row reports the new key id, then drop the old key from B24_TOKEN_KEY.
"""

import logging
from collections import Counter
from dataclasses import dataclass, field

import sqlalchemy as sa
from cryptography.fernet import Fernet, InvalidToken

from b24app.extensions import db
from b24app.tenancy.crypto import TokenCipher, TokenKeyError, key_id
from b24app.tenancy.models import Portal

log = logging.getLogger(__name__)

UNREADABLE = "unreadable"
TOKEN_COLUMNS = ("access_token_encrypted", "refresh_token_encrypted")


@dataclass
class RotationReport:
    before: Counter = field(default_factory=Counter)
    after: Counter = field(default_factory=Counter)
    rotated: int = 0
    changed_meanwhile: int = 0


def split_keys(keys_setting: str) -> list[str]:
    return [key.strip() for key in (keys_setting or "").split(",") if key.strip()]


def identify_key(keys: list[str], ciphertext: str) -> str:
    """The id of the key in `keys` that decrypts `ciphertext`, or "unreadable"."""
    for key in keys:
        try:
            Fernet(key.encode()).decrypt(ciphertext.encode())
        except InvalidToken:
            continue
        return key_id(key)
    return UNREADABLE


def rows_with_tokens() -> list[sa.Row]:
    statement = sa.select(
        Portal.id,
        Portal.token_version,
        Portal.access_token_encrypted,
        Portal.refresh_token_encrypted,
    ).where(Portal.access_token_encrypted.is_not(None))
    return list(db.session.execute(statement).all())


def count_rows_per_key(keys: list[str]) -> Counter:
    """Portals per key id, judged by the key that decrypts the access token."""
    counts: Counter = Counter()
    for row in rows_with_tokens():
        counts[identify_key(keys, row.access_token_encrypted)] += 1
    return counts


def rotate_row(row: sa.Row, cipher: TokenCipher) -> bool:
    """Re-encrypt one portal's tokens unless a token refresh changed them meanwhile.

    The update is conditional on `token_version`, the same check a token refresh
    uses, so a refresh and a rotation never overwrite each other. The version is
    not bumped because the token values do not change.
    """
    values = {"token_key_id": cipher.current_key_id}
    for column in TOKEN_COLUMNS:
        ciphertext = getattr(row, column)
        values[column] = cipher.rotate(ciphertext) if ciphertext else ciphertext

    statement = (
        sa.update(Portal)
        .where(Portal.id == row.id, Portal.token_version == row.token_version)
        .values(**values)
        .execution_options(synchronize_session=False)
    )
    updated = db.session.execute(statement).rowcount == 1
    db.session.commit()
    return updated


def rotate_token_key(keys_setting: str) -> RotationReport:
    """Re-encrypt every stored token with the first key of `keys_setting`.

    Raises TokenKeyError, before any row changes, if a token cannot be decrypted
    with any of the listed keys.
    """
    keys = split_keys(keys_setting)
    cipher = TokenCipher(keys_setting)
    report = RotationReport(before=count_rows_per_key(keys))
    if report.before[UNREADABLE]:
        raise_unreadable(report.before[UNREADABLE])

    for row in rows_with_tokens():
        if rotate_row(row, cipher):
            report.rotated += 1
        else:
            report.changed_meanwhile += 1
            log.info("portal %s: tokens refreshed during rotation, skipped", row.id)

    report.after = count_rows_per_key(keys)
    return report


def raise_unreadable(count: int) -> None:
    raise TokenKeyError(
        f"{count} portal(s) hold tokens no key in B24_TOKEN_KEY decrypts: add the "
        "key that wrote them back to B24_TOKEN_KEY, then rotate again"
    )
