"""Strict request-value parsing: ASCII ids, control characters, JSON depth."""

import pytest

from b24app.web.params import (
    MAX_ID,
    InvalidParameter,
    find_control_character,
    json_depth_exceeds,
    non_negative_int,
    optional_positive_int,
    positive_int,
)


@pytest.mark.parametrize(
    ("raw", "number"), [("1", 1), (" 42 ", 42), ("2147483647", MAX_ID)]
)
def test_positive_int_accepts_ascii_digits(raw, number):
    assert positive_int(raw, field="page") == number


@pytest.mark.parametrize(
    "raw", ["", None, "0", "-1", "+1", "1.0", "²", "٣", "1_000", "2147483648", "9" * 50]
)
def test_positive_int_rejects_other_values(raw):
    with pytest.raises(InvalidParameter) as caught:
        positive_int(raw, field="page")

    assert caught.value.field == "page"
    assert "page" in str(caught.value)


def test_non_negative_int_accepts_zero():
    assert non_negative_int("0", field="seats_total") == 0


def test_positive_int_respects_maximum():
    with pytest.raises(InvalidParameter):
        positive_int("11", field="page", maximum=10)


@pytest.mark.parametrize("raw", [None, "", "  "])
def test_optional_positive_int_blank_is_none(raw):
    assert optional_positive_int(raw, field="university_id") is None


@pytest.mark.parametrize("text", ["a\x00b", "\x1b[31m", "x\x7f"])
def test_control_character_found(text):
    assert find_control_character(text) is not None


def test_tab_and_line_breaks_allowed():
    assert find_control_character("line one\r\n\tline two") is None


def test_json_depth_counts_brackets():
    assert json_depth_exceeds("[" * 1100 + "]" * 1100, 16)
    assert not json_depth_exceeds('{"a": [1, {"b": []}]}', 4)
    assert json_depth_exceeds('{"a": [1, {"b": []}]}', 3)


def test_json_depth_ignores_brackets_in_strings():
    document = '{"text": "[[[[[[[[ \\" {{{{{{{{"}'

    assert not json_depth_exceeds(document, 1)
