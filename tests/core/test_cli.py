"""The `b24app` console script's own options."""

from importlib.metadata import version

from click.testing import CliRunner

from b24app.cli import main


def test_version_option_shows_app_version():
    result = CliRunner().invoke(main, ["--version"], prog_name="b24app")

    assert result.exit_code == 0
    assert result.output == f"b24app {version('b24app')}\n"
    assert "Flask" not in result.output
