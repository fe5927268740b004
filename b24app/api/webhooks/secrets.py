"""Encryption of webhook signing secrets with the app's token keys."""

from flask import current_app

from b24app.api.webhooks.models import WebhookEndpoint
from b24app.tenancy.crypto import TokenCipher


def cipher() -> TokenCipher:
    return TokenCipher(current_app.config["B24_TOKEN_KEY"])


def store_secret(endpoint: WebhookEndpoint, secret: str) -> None:
    endpoint.secret_encrypted = cipher().encrypt(secret)


def read_secret(endpoint: WebhookEndpoint) -> str:
    return cipher().decrypt(endpoint.secret_encrypted)
