import pytest

from b24app.config import parse_bool, read_environment


@pytest.mark.parametrize(
    ("raw", "expected"),
    [("1", True), ("true", True), ("YES", True), ("0", False), ("off", False)],
)
def test_parse_bool_accepts_operator_spellings(raw, expected):
    assert parse_bool(raw) is expected


def test_parse_bool_rejects_other_words():
    with pytest.raises(ValueError, match="invalid boolean"):
        parse_bool("maybe")


def test_environment_values_are_typed():
    settings = read_environment(
        {
            "B24_ALLOW_INSECURE_PORTALS": "1",
            "B24_RATE_LIMIT_BURST": "250",
            "B24_RATE_LIMIT_RATE": "5",
            "B24_APP_URL": "https://app.example.com",
            "UNRELATED": "x",
        }
    )

    assert settings == {
        "B24_ALLOW_INSECURE_PORTALS": True,
        "B24_RATE_LIMIT_BURST": 250,
        "B24_RATE_LIMIT_RATE": 5.0,
        "B24_APP_URL": "https://app.example.com",
    }


def test_bad_environment_value_names_variable():
    with pytest.raises(ValueError, match="B24_RATE_LIMIT_BURST"):
        read_environment({"B24_RATE_LIMIT_BURST": "many"})


def test_app_overrides_win_over_environment(app_config, monkeypatch):
    from b24app import create_app

    monkeypatch.setenv("B24_APP_URL", "https://from-env.example.com")
    app = create_app({**app_config, "B24_APP_URL": "https://override.example.com"})

    assert app.config["B24_APP_URL"] == "https://override.example.com"


def test_api_settings_come_from_the_environment():
    settings = read_environment(
        {
            "API_RATE_LIMIT": "100 per minute",
            "API_IDEMPOTENCY_TTL": "3600",
            "WEBHOOK_RETRY_INTERVALS": "10, 60,600",
            "WEBHOOK_DISABLE_AFTER": "5",
        }
    )

    assert settings == {
        "API_RATE_LIMIT": "100 per minute",
        "API_IDEMPOTENCY_TTL": 3600,
        "WEBHOOK_RETRY_INTERVALS": (10, 60, 600),
        "WEBHOOK_DISABLE_AFTER": 5,
    }


@pytest.mark.parametrize("raw", ["", "10,soon", " , "])
def test_bad_retry_intervals_name_the_variable(raw):
    with pytest.raises(ValueError, match="WEBHOOK_RETRY_INTERVALS"):
        read_environment({"WEBHOOK_RETRY_INTERVALS": raw})


def test_api_defaults_are_in_the_app_config(app_config):
    from b24app import create_app
    from b24app.config import DEFAULTS

    app = create_app(dict(app_config))

    for key in ("API_RATE_LIMIT", "API_IDEMPOTENCY_TTL", "WEBHOOK_DISABLE_AFTER"):
        assert app.config[key] == DEFAULTS[key]
    assert list(app.config["WEBHOOK_RETRY_INTERVALS"])[-1] == 86400
