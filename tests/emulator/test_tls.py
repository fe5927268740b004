"""HTTPS with a generated CA: verified with the bundle, rejected without it."""

from __future__ import annotations

import pytest
import requests

from b24app.emulator.testing import EmulatorServer


def test_https_verified_with_ca_bundle(tls_emulator: EmulatorServer) -> None:
    assert tls_emulator.base_url.startswith("https://127.0.0.1:")
    auth = tls_emulator.install_app()
    response = requests.get(
        f"{auth['client_endpoint']}user.current",
        params={"auth": auth["access_token"]},
        verify=tls_emulator.ca_bundle,
        timeout=10,
    )
    assert response.json()["result"]["ID"] == "1"


def test_https_rejected_without_ca(tls_emulator: EmulatorServer) -> None:
    with pytest.raises(requests.exceptions.SSLError):
        requests.get(f"{tls_emulator.client_endpoint}user.current", timeout=10)
