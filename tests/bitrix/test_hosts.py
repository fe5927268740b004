import pytest

from b24app.bitrix.errors import HostNotAllowed
from b24app.bitrix.hosts import HostPolicy

STRICT = HostPolicy(portal_domains=["crm.example.org", "b24.example.net:8443"])
INSECURE = HostPolicy(portal_domains=["127.0.0.1:5055"], allow_insecure=True)


@pytest.mark.parametrize(
    "url",
    [
        "https://acme.bitrix24.ru/rest/",
        "https://acme.bitrix24.com/rest/",
        "https://acme.bitrix24.de/rest/",
        "https://acme.bitrix24.com.br/rest/",
        "https://acme.bitrix24.com.tr/rest/",
        "https://acme.bitrix24.kz/rest/1/secret/",
        "https://ACME.Bitrix24.EU:443/rest/",
        "https://crm.example.org/rest/",
        "https://b24.example.net:8443/rest/",
    ],
)
def test_portal_endpoint_allowed(url):
    STRICT.check_portal_endpoint(url)


@pytest.mark.parametrize(
    "url",
    [
        "http://acme.bitrix24.ru/rest/",
        "https://acme.bitrix24.ru:8443/rest/",
        "https://bitrix24.ru/rest/",
        "https://a.b.bitrix24.ru/rest/",
        "https://acme.bitrix24.ru.evil.com/rest/",
        "https://evilbitrix24.ru/rest/",
        "https://acme.bitrix24.ru/bitrix/licence.php",
        "https://user:pw@acme.bitrix24.ru/rest/",
        "https://crm.example.org:444/rest/",
        "https://b24.example.net/rest/",
        "https://127.0.0.1:5055/rest/",
        "ftp://acme.bitrix24.ru/rest/",
        "/rest/",
    ],
)
def test_portal_endpoint_rejected(url):
    with pytest.raises(HostNotAllowed):
        STRICT.check_portal_endpoint(url)


def test_insecure_policy_allows_listed_loopback_over_http():
    INSECURE.check_portal_endpoint("http://127.0.0.1:5055/rest/")


def test_insecure_policy_still_needs_listed_host():
    with pytest.raises(HostNotAllowed):
        INSECURE.check_portal_endpoint("http://127.0.0.1:6000/rest/")


def test_listed_loopback_needs_insecure_flag():
    policy = HostPolicy(portal_domains=["localhost:5055"])

    with pytest.raises(HostNotAllowed, match="loopback"):
        policy.check_portal_endpoint("https://localhost:5055/rest/")


@pytest.mark.parametrize(
    "url",
    [
        "https://oauth.bitrix.info/oauth/token/",
        "https://oauth.bitrix24.tech/oauth/token/",
    ],
)
def test_default_oauth_servers_allowed(url):
    HostPolicy().check_oauth_server(url)


@pytest.mark.parametrize(
    "url",
    [
        "http://oauth.bitrix.info/oauth/token/",
        "https://oauth.bitrix.info.evil.com/oauth/token/",
        "https://acme.bitrix24.ru/oauth/token/",
        "http://127.0.0.1:5055/oauth/token/",
    ],
)
def test_oauth_server_rejected(url):
    with pytest.raises(HostNotAllowed):
        HostPolicy(allow_insecure=True).check_oauth_server(url)


def test_insecure_flag_does_not_widen_oauth_list():
    policy = HostPolicy(portal_domains=["127.0.0.1:5055"], allow_insecure=True)

    with pytest.raises(HostNotAllowed):
        policy.check_oauth_server("http://127.0.0.1:5055/oauth/token/")


def test_listed_http_oauth_server_needs_insecure_flag():
    listed = ["http://127.0.0.1:5055/"]

    HostPolicy(oauth_servers=listed, allow_insecure=True).check_oauth_server(
        "http://127.0.0.1:5055/oauth/token/"
    )
    with pytest.raises(HostNotAllowed):
        HostPolicy(oauth_servers=listed).check_oauth_server(
            "http://127.0.0.1:5055/oauth/token/"
        )


@pytest.mark.parametrize(
    "url",
    [
        "https://127.0.0.1/hook",
        "https://localhost/hook",
        "https://10.1.2.3/hook",
        "https://192.168.0.10/hook",
        "https://169.254.169.254/latest/meta-data",
        "https://[::1]/hook",
        "https://0.0.0.0/hook",
        "http://93.184.216.34/hook",
    ],
)
def test_outbound_url_rejects_non_public_targets(url):
    with pytest.raises(HostNotAllowed):
        HostPolicy().check_outbound_url(url)


def test_outbound_url_accepts_public_address_literal():
    HostPolicy().check_outbound_url("https://93.184.216.34/hook")


def test_outbound_url_allows_loopback_when_insecure():
    HostPolicy(allow_insecure=True).check_outbound_url("http://127.0.0.1:9000/hook")


def test_rejection_message_hides_webhook_secret():
    with pytest.raises(HostNotAllowed) as caught:
        STRICT.check_portal_endpoint("http://acme.bitrix24.ru/rest/1/s3cr3tcode/")

    assert "s3cr3tcode" not in str(caught.value)
