"""docker-compose.yml validates with a real Compose implementation."""

import os
import shutil
import subprocess
from pathlib import Path

import pytest

from b24app import ROOT

COMPOSE_FILE = ROOT / "docker-compose.yml"
REQUIRED_SETTINGS = {
    "POSTGRES_PASSWORD": "generated-password-for-validation",
    "SECRET_KEY": "generated-secret-for-validation",
    "B24_TOKEN_KEY": "generated-key-for-validation",
    "B24_CLIENT_ID": "local.validation.0001",
    "B24_CLIENT_SECRET": "generated-client-secret",
    "B24_APP_URL": "https://b24app.example.test",
}


def compose_command() -> list[str]:
    """The Compose v1 client (Debian's docker-compose), or the v2 plugin."""
    if shutil.which("docker-compose"):
        return ["docker-compose"]
    if shutil.which("docker"):
        probe = subprocess.run(
            ["docker", "compose", "version"], capture_output=True, timeout=30
        )
        if probe.returncode == 0:
            return ["docker", "compose"]
    pytest.skip("no Compose client installed (apt-get install docker-compose)")


def validate(path: Path, environment: dict[str, str]) -> subprocess.CompletedProcess:
    return subprocess.run(
        [*compose_command(), "-f", str(path), "config", "-q"],
        cwd=path.parent,
        env={**os.environ, **environment},
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_compose_file_validates():
    result = validate(COMPOSE_FILE, REQUIRED_SETTINGS)

    assert result.returncode == 0, result.stderr


def test_compose_requires_secrets_from_environment():
    environment = {
        name: value
        for name, value in os.environ.items()
        if name not in REQUIRED_SETTINGS
    }

    result = subprocess.run(
        [*compose_command(), "-f", str(COMPOSE_FILE), "config", "-q"],
        cwd=ROOT,
        env=environment,
        capture_output=True,
        text=True,
        timeout=60,
    )

    assert result.returncode != 0
    assert "POSTGRES_PASSWORD" in result.stderr


def test_compose_rejects_broken_file(tmp_path):
    broken = tmp_path / "docker-compose.yml"
    broken.write_text(
        COMPOSE_FILE.read_text().replace("condition: service_healthy", "when: up")
    )

    result = validate(broken, REQUIRED_SETTINGS)

    assert result.returncode != 0
