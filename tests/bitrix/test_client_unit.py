import pytest

from b24app.bitrix import (
    HostNotAllowed,
    HostPolicy,
    MemoryTokenStore,
    PortalMovedError,
    RetryPolicy,
    WebhookClient,
)
from b24app.bitrix.client import Client, is_write_method
from b24app.bitrix.wire import renamed_endpoint

POLICY = HostPolicy()


@pytest.mark.parametrize(
    ("method", "expected"),
    [
        ("crm.deal.add", True),
        ("crm.deal.update", True),
        ("crm.deal.delete", True),
        ("crm.deal.contact.items.set", True),
        ("event.bind", True),
        ("app.option.set", True),
        ("crm.deal.list", False),
        ("crm.deal.get", False),
        ("user.current", False),
        ("crm.deal.fields", False),
    ],
)
def test_is_write_method_table(method, expected):
    assert is_write_method(method) is expected


def oauth_client() -> Client:
    return Client(
        portal_key="p",
        client_endpoint="https://old.bitrix24.ru/rest/",
        server_endpoint="https://oauth.bitrix.info/rest/",
        client_id="local.x.y",
        client_secret="secret-value",
        token_store=MemoryTokenStore(),
        host_policy=POLICY,
    )


@pytest.mark.parametrize(
    ("location", "expected"),
    [
        ("https://new.bitrix24.ru/rest/crm.deal.add", "https://new.bitrix24.ru/rest/"),
        (
            "https://new.bitrix24.ru/rest/crm.deal.add.json",
            "https://new.bitrix24.ru/rest/",
        ),
        ("https://new.bitrix24.ru/rest/CRM.DEAL.ADD", "https://new.bitrix24.ru/rest/"),
    ],
)
def test_rename_target_endpoint(location, expected):
    old_url = "https://old.bitrix24.ru/rest/crm.deal.add"
    endpoint = "https://old.bitrix24.ru/rest/"

    assert renamed_endpoint(location, old_url, endpoint, "crm.deal.add") == expected


@pytest.mark.parametrize(
    "location",
    [
        "https://old.bitrix24.ru/bitrix/tools/license_expired.php",
        "https://new.bitrix24.ru/rest/crm.deal.get",
        "https://new.bitrix24.ru/",
    ],
)
def test_redirect_to_non_rest_page_raises(location):
    old_url = "https://old.bitrix24.ru/rest/crm.deal.add"
    endpoint = "https://old.bitrix24.ru/rest/"

    with pytest.raises(PortalMovedError, match="non-REST"):
        renamed_endpoint(location, old_url, endpoint, "crm.deal.add")


def test_webhook_rename_target_keeps_secret_path():
    old_url = "https://old.bitrix24.ru/rest/7/s3cr3t/crm.deal.add"
    endpoint = "https://old.bitrix24.ru/rest/7/s3cr3t/"
    location = "https://new.bitrix24.ru/rest/7/s3cr3t/crm.deal.add"

    moved = renamed_endpoint(location, old_url, endpoint, "crm.deal.add")

    assert moved == "https://new.bitrix24.ru/rest/7/s3cr3t/"


def test_client_repr_hides_secret():
    assert "secret-value" not in repr(oauth_client())


def test_oauth_server_must_be_allowed():
    with pytest.raises(HostNotAllowed):
        Client(
            portal_key="p",
            client_endpoint="https://old.bitrix24.ru/rest/",
            server_endpoint="https://oauth.evil.example/rest/",
            client_id="local.x.y",
            client_secret="s",
            token_store=MemoryTokenStore(),
        )


def test_webhook_url_must_have_user_and_secret():
    with pytest.raises(ValueError, match="USER_ID/SECRET"):
        WebhookClient("https://acme.bitrix24.ru/rest/")


def test_webhook_error_hides_secret():
    with pytest.raises(ValueError) as caught:
        WebhookClient("https://acme.bitrix24.ru/api/7/s3cr3tcode/")

    assert "s3cr3tcode" not in str(caught.value)


def test_webhook_repr_hides_secret():
    client = WebhookClient("https://acme.bitrix24.ru/rest/7/s3cr3tcode")

    assert client.client_endpoint == "https://acme.bitrix24.ru/rest/7/s3cr3tcode/"
    assert "s3cr3tcode" not in repr(client)


def test_invalid_method_name_rejected():
    client = WebhookClient("https://acme.bitrix24.ru/rest/7/s3cr3tcode/")

    with pytest.raises(ValueError, match="invalid REST method"):
        client.call("crm.deal.list?start=0")


def test_retry_delay_grows_and_caps():
    policy = RetryPolicy(base_delay=1.0, max_delay=4.0)

    delays = [policy.delay(attempt) for attempt in range(1, 6)]

    assert 0.5 <= delays[0] <= 1.0
    assert 1.0 <= delays[1] <= 2.0
    assert all(2.0 <= delay <= 4.0 for delay in delays[3:])
