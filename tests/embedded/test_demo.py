"""The README's demo command, run as a user runs it, on the embedded defaults."""

import os
import socket
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.embedded


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def test_demo_installs_and_routes(tmp_path):
    environment = {
        key: value
        for key, value in os.environ.items()
        if key not in {"DATABASE_URL", "REDIS_URL", "SECRET_KEY", "B24_TOKEN_KEY"}
    }
    environment["B24APP_INSTANCE_PATH"] = str(tmp_path / "instance")
    command = [
        str(Path(sys.executable).with_name("b24app")),
        "demo",
        "--exit-after-setup",
        "--students",
        "60",
        "--port",
        str(free_port()),
        "--emulator-port",
        str(free_port()),
    ]

    result = subprocess.run(
        command, env=environment, capture_output=True, text=True, timeout=600
    )

    assert result.returncode == 0, result.stderr[-3000:]
    assert "Installed into portal" in result.stdout
    assert "CRM_DEAL_DETAIL_TAB" in result.stdout
    database = sqlite3.connect(tmp_path / "instance" / "demo.sqlite3")
    routed = database.execute(
        "SELECT count(*) FROM application WHERE bitrix_id IS NOT NULL"
    ).fetchone()[0]
    universities = database.execute("SELECT count(*) FROM university").fetchone()[0]
    database.close()
    assert routed > 0
    assert universities == 308
