"""The manifest file, its validation and the `b24app manifest` command."""

import json

import pytest

from b24app.portals.cli import manifest_command
from b24app.portals.manifest import ManifestError, load_manifest, parse_manifest


def valid() -> dict:
    return json.loads(
        json.dumps(load_manifest().__dict__, default=lambda o: o.__dict__)
    )


def test_packaged_manifest_is_valid():
    manifest = load_manifest()

    assert "ONAPPUNINSTALL" in manifest.events
    assert "ONCRMDEALMOVETOCATEGORY" in manifest.events
    assert manifest.required_scopes == {"crm", "placement", "user_brief"}
    assert [p.placement for p in manifest.placements] == [
        "CRM_DEAL_DETAIL_TAB",
        "CRM_CONTACT_DETAIL_TAB",
        "CRM_COMPANY_DETAIL_TAB",
    ]


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (lambda m: m.pop("scopes"), "missing the key 'scopes'"),
        (lambda m: m["events"].append("crm deal add"), "invalid event name"),
        (lambda m: m["events"].append(m["events"][0]), "lists a value twice"),
        (lambda m: m["handlers"].update(events="b24/events"), "must be a path"),
        (lambda m: m["placements"][0].update(placement="DEFAULT"), "DEFAULT cannot"),
        (lambda m: m["placements"][0]["title"].pop("ru"), "missing the 'ru' text"),
        (lambda m: m.update(version=0), "positive integer"),
    ],
)
def test_invalid_manifest_rejected(change, message):
    raw = valid()
    change(raw)

    with pytest.raises(ManifestError, match=message):
        parse_manifest(raw)


def test_manifest_command_prints_form_values(app, runner):
    app.config["B24_APP_URL"] = "https://app.example.test"

    result = runner.invoke(manifest_command, [])

    assert result.exit_code == 0, result.output
    assert "https://app.example.test/b24/app" in result.output
    assert "https://app.example.test/b24/install" in result.output
    assert "crm, placement, user_brief" in result.output


def test_manifest_command_json(app, runner):
    app.config["B24_APP_URL"] = "https://app.example.test/prefix"

    result = runner.invoke(manifest_command, ["--json"])

    values = json.loads(result.output)
    assert values["install_url"] == "https://app.example.test/prefix/b24/install"
    assert values["events_url"] == "https://app.example.test/prefix/b24/events"
    assert "basic" not in values["scopes"]
