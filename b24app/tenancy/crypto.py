"""Authenticated encryption of OAuth tokens at rest, with rotating keys.

`B24_TOKEN_KEY` contains one or more Fernet keys, comma-separated, newest first. New
values are encrypted with the newest key; any listed key decrypts. Each stored value
records the id of the key that wrote it, so an operator can see when every row has
moved to the new key and the old one can be dropped.
"""

import hashlib
import hmac

from cryptography.fernet import Fernet, InvalidToken, MultiFernet


class TokenKeyError(ValueError):
    """The configured token key is missing or malformed."""


def key_id(key: str) -> str:
    """Return a short, non-secret fingerprint of a Fernet key."""
    return hashlib.sha256(key.encode()).hexdigest()[:8]


class TokenCipher:
    def __init__(self, keys_setting: str) -> None:
        keys = [key.strip() for key in (keys_setting or "").split(",") if key.strip()]
        if not keys:
            raise TokenKeyError("B24_TOKEN_KEY is empty: set one or more Fernet keys")
        try:
            fernets = [Fernet(key.encode()) for key in keys]
        except ValueError:
            raise TokenKeyError(
                "B24_TOKEN_KEY contains an invalid Fernet key: generate one with "
                "`b24app keys generate`"
            ) from None

        self.current_key_id = key_id(keys[0])
        self.key_ids = [key_id(key) for key in keys]
        self._multi = MultiFernet(fernets)

    def encrypt(self, value: str) -> str:
        return self._multi.encrypt(value.encode()).decode()

    def decrypt(self, value: str) -> str:
        try:
            return self._multi.decrypt(value.encode()).decode()
        except InvalidToken:
            raise TokenKeyError(
                "a stored token cannot be decrypted with any key in B24_TOKEN_KEY"
            ) from None

    def rotate(self, value: str) -> str:
        """Re-encrypt a stored value with the newest key."""
        return self._multi.rotate(value.encode()).decode()


def digest_secret(value: str) -> str:
    """SHA-256 of a high-entropy secret, for storage and constant-time checks."""
    return hashlib.sha256(value.encode()).hexdigest()


def secret_matches(value: str, stored_digest: str | None) -> bool:
    if not value or not stored_digest:
        return False
    return hmac.compare_digest(digest_secret(value), stored_digest)
