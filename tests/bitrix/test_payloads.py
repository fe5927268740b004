from urllib.parse import parse_qsl

import pytest

from b24app.bitrix.payloads import parse_php_form, php_query


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        ({"id": 5}, "id=5"),
        ({"fields": {"TITLE": "Pilot"}}, "fields%5BTITLE%5D=Pilot"),
        ({"filter": {">ID": 100}}, "filter%5B%3EID%5D=100"),
        ({"select": ["ID", "TITLE"]}, "select%5B0%5D=ID&select%5B1%5D=TITLE"),
        ({"q": "a&b=c"}, "q=a%26b%3Dc"),
        ({"q": "1+1 #2"}, "q=1%2B1+%232"),
        ({"q": "Иванов"}, "q=%D0%98%D0%B2%D0%B0%D0%BD%D0%BE%D0%B2"),
        ({"flag": True, "off": False}, "flag=1&off=0"),
        ({"empty": None}, "empty="),
        ({"filter": {"@ID": []}}, "filter%5B%40ID%5D%5B%5D="),
        (
            {"fields": {"PHONE": [{"VALUE": "+1 555", "VALUE_TYPE": "WORK"}]}},
            "fields%5BPHONE%5D%5B0%5D%5BVALUE%5D=%2B1+555"
            "&fields%5BPHONE%5D%5B0%5D%5BVALUE_TYPE%5D=WORK",
        ),
        ([123, {"POST_MESSAGE": "hi"}], "0=123&1%5BPOST_MESSAGE%5D=hi"),
    ],
)
def test_php_query_encodes_like_http_build_query(params, expected):
    assert php_query(params) == expected


def test_php_query_round_trips_through_parse_php_form():
    params = {
        "fields": {"TITLE": "Сделка & co #1 + tax", "COMMENTS": "a=b?c%d[e]"},
        "filter": {">=DATE": "2026-01-01T00:00:00+03:00"},
    }

    parsed = parse_php_form(parse_qsl(php_query(params)))

    assert parsed == params


def test_php_query_rejects_unknown_types():
    with pytest.raises(TypeError, match="object"):
        php_query({"x": object()})


def test_parse_php_form_builds_event_envelope():
    pairs = [
        ("event", "ONCRMDEALUPDATE"),
        ("data[FIELDS][ID]", "1001"),
        ("auth[member_id]", "abc"),
        ("auth[domain]", "portal.bitrix24.ru"),
        ("ts", "1767225600"),
    ]

    parsed = parse_php_form(pairs)

    assert parsed == {
        "event": "ONCRMDEALUPDATE",
        "data": {"FIELDS": {"ID": "1001"}},
        "auth": {"member_id": "abc", "domain": "portal.bitrix24.ru"},
        "ts": "1767225600",
    }


def test_parse_php_form_appends_make_lists():
    parsed = parse_php_form([("cmd[a][]", "x"), ("cmd[a][]", "y"), ("cmd[b]", "z")])

    assert parsed == {"cmd": {"a": ["x", "y"], "b": "z"}}


def test_parse_php_form_explicit_indexes_stay_dict():
    parsed = parse_php_form([("select[0]", "ID"), ("select[]", "TITLE")])

    assert parsed == {"select": {"0": "ID", "1": "TITLE"}}


def test_parse_php_form_last_scalar_wins():
    assert parse_php_form([("a", "1"), ("a", "2")]) == {"a": "2"}


@pytest.mark.parametrize(
    "key",
    ["[a]", "a[b", "a]b", "a[b]c", "a[b][", "", "a[[b]]", "a[b]]"],
)
def test_parse_php_form_rejects_malformed_keys(key):
    with pytest.raises(ValueError, match="malformed|start with a name"):
        parse_php_form([(key, "v")])


def test_parse_php_form_rejects_deep_nesting():
    deep_key = "a" + "[x]" * 9

    with pytest.raises(ValueError, match="deeper than 8"):
        parse_php_form([(deep_key, "v")])


def test_parse_php_form_accepts_depth_eight():
    parsed = parse_php_form([("a" + "[x]" * 8, "v")])

    assert parsed["a"]["x"]["x"]["x"]["x"]["x"]["x"]["x"]["x"] == "v"


def test_parse_php_form_rejects_too_many_keys():
    pairs = [(f"k{i}", "v") for i in range(1001)]

    with pytest.raises(ValueError, match="more than 1000"):
        parse_php_form(pairs)


@pytest.mark.parametrize(
    "pairs",
    [
        [("a", "1"), ("a[b]", "2")],
        [("a[b]", "2"), ("a", "1")],
        [("a[b]", "1"), ("a[b][c]", "2")],
    ],
)
def test_parse_php_form_rejects_value_container_conflicts(pairs):
    with pytest.raises(ValueError, match="container"):
        parse_php_form(pairs)
