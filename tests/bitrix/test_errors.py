import pytest

from b24app.bitrix import errors
from b24app.bitrix.batch import parse_batch_result, prepare_batch


@pytest.mark.parametrize(
    ("status", "body", "expected"),
    [
        (400, {"error": "", "error_description": "Not found"}, errors.NotFoundError),
        (400, {"error": "NOT_FOUND", "error_description": "x"}, errors.NotFoundError),
        (401, {"error": "expired_token"}, errors.ExpiredTokenError),
        (401, {"error": "invalid_token"}, errors.AuthorizationRevoked),
        (401, {"error": "NO_AUTH_FOUND"}, errors.AuthorizationRevoked),
        (401, {"error": "APPLICATION_NOT_FOUND"}, errors.AuthorizationRevoked),
        (401, {"error": "NOT_INSTALLED"}, errors.AuthorizationRevoked),
        (200, {"error": "wrong_client"}, errors.AuthorizationRevoked),
        (401, {"error": "authorization_error"}, errors.AuthorizationError),
        (503, {"error": "QUERY_LIMIT_EXCEEDED"}, errors.QueryLimitExceeded),
        (429, {"error": "OPERATION_TIME_LIMIT"}, errors.OperationTimeLimit),
        (503, {"error": "OVERLOAD_LIMIT"}, errors.OverloadLimitError),
        (404, {"error": "ERROR_METHOD_NOT_FOUND"}, errors.MethodNotFoundError),
        (403, {"error": "insufficient_scope"}, errors.AccessDeniedError),
        (
            400,
            {"error": "", "error_description": "Access denied."},
            errors.AccessDeniedError,
        ),
        (500, {"error": "INTERNAL_SERVER_ERROR"}, errors.ServerError),
        (400, {"error": "ERROR_CORE", "error_description": "bad"}, errors.BitrixError),
    ],
)
def test_error_from_body_picks_type(status, body, expected):
    error = errors.error_from_body(body, status=status, method="crm.deal.get")

    assert type(error) is expected
    assert error.status == status
    assert error.method == "crm.deal.get"


def test_error_message_names_method_code_and_status():
    error = errors.error_from_body(
        {"error": "", "error_description": "Not found"},
        status=400,
        method="crm.deal.get",
    )

    assert str(error) == "crm.deal.get: '' (Not found) HTTP 400"


@pytest.mark.parametrize(
    ("url", "hidden"),
    [
        ("https://p.bitrix24.ru/rest/7/k3y5ecr3t/crm.deal.add", "k3y5ecr3t"),
        ("https://o/oauth/token/?client_secret=CS1&refresh_token=RT1", "CS1"),
        ("https://o/oauth/token/?client_secret=CS1&refresh_token=RT1", "RT1"),
        ("https://p/rest/user.current?auth=AT1", "AT1"),
    ],
)
def test_redact_url_hides_secrets(url, hidden):
    assert hidden not in errors.redact_url(url)


def test_batch_error_names_failed_keys():
    failure = errors.NotFoundError(
        code="", description="Not found", method="crm.deal.get"
    )

    error = errors.BatchError({"a": 1}, {"b": failure}, ["c"])

    assert "'b'" in str(error)
    assert "'c'" in str(error)
    assert error.results == {"a": 1}


def test_prepare_batch_encodes_commands():
    prepared = prepare_batch(
        {
            "deal": ("crm.deal.get", {"id": 7}),
            "me": "user.current",
            "find": ("crm.contact.list", {"filter": {"%NAME": "Анна & Co"}}),
        }
    )

    assert prepared.cmd == {
        "deal": "crm.deal.get?id=7",
        "me": "user.current",
        "find": "crm.contact.list?filter%5B%25NAME%5D=%D0%90%D0%BD%D0%BD%D0%B0+%26+Co",
    }


def test_prepare_batch_list_input_keeps_list():
    prepared = prepare_batch([("crm.deal.get", {"id": 1}), ("crm.deal.get", {"id": 2})])

    assert prepared.cmd == ["crm.deal.get?id=1", "crm.deal.get?id=2"]
    assert prepared.methods == {0: "crm.deal.get", 1: "crm.deal.get"}


@pytest.mark.parametrize(
    "commands",
    [
        {},
        {f"k{i}": "user.current" for i in range(51)},
        {"inner": ("batch", {"cmd": {}})},
        {"bad key": "user.current"},
        {"k": "user.current?x=1"},
    ],
)
def test_prepare_batch_rejects_invalid_commands(commands):
    with pytest.raises(ValueError):
        prepare_batch(commands)


def test_parse_batch_result_object_shape():
    payload = {
        "result": {"a": {"ID": "1"}},
        "result_error": {"b": {"error": "", "error_description": "Not found"}},
        "result_total": [],
        "result_next": [],
        "result_time": [],
    }

    outcome = parse_batch_result(payload, {"a": "crm.deal.get", "b": "crm.deal.get"})

    assert outcome.results == {"a": {"ID": "1"}}
    assert isinstance(outcome.errors["b"], errors.NotFoundError)
    assert outcome.not_run == []
    assert not outcome.ok


def test_parse_batch_result_list_shape_with_gap():
    payload = {
        "result": {"0": [1], "2": [3]},
        "result_error": {"1": {"error": "ERROR_CORE", "error_description": "x"}},
        "result_total": [1, 0, 1],
        "result_next": [],
        "result_time": [],
    }
    methods = {0: "crm.deal.list", 1: "crm.deal.list", 2: "crm.deal.list"}

    outcome = parse_batch_result(payload, methods)

    assert outcome.results == {0: [1], 2: [3]}
    assert list(outcome.errors) == [1]
    assert outcome.totals == {0: 1, 1: 0, 2: 1}


def test_parse_batch_result_marks_missing_keys_not_run():
    payload = {"result": [], "result_error": {"a": {"error": "X"}}}

    outcome = parse_batch_result(payload, {"a": "m.one", "b": "m.two"})

    assert outcome.not_run == ["b"]
    with pytest.raises(errors.BatchError, match="not run: 'b'"):
        outcome.raise_for_errors()
