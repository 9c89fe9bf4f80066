"""How request times and program date times are read."""

import math

import pytest

from clipping import InvalidTime, format_iso, parse_time
from clipping.timeparse import parse_pdt

EPOCH_2024_05_01_12 = 1714564800


def test_number_below_1e9_is_seconds_relative_to_the_recording_start():
    assert parse_time(12.5, "start_time") == parse_time("12.5", "start_time")
    assert parse_time(12.5, "start_time").kind == "relative"
    assert parse_time(12.5, "start_time").us == 12_500_000


def test_zero_is_a_valid_start():
    assert parse_time(0, "start_time").us == 0


def test_number_from_1e9_is_unix_epoch_seconds_with_fractions():
    point = parse_time(EPOCH_2024_05_01_12 + 0.25, "start_time")
    assert point.kind == "absolute"
    assert point.us == EPOCH_2024_05_01_12 * 1_000_000 + 250_000


@pytest.mark.parametrize(
    "text",
    [
        "2024-05-01T12:00:00Z",
        "2024-05-01T12:00:00.000Z",
        "2024-05-01T14:00:00+02:00",
        "2024-05-01T08:00:00-0400",
        "2024-05-01T12:00:00",
        "2024-05-01T12:00:00.000000000+00:00",
    ],
)
def test_iso_8601_with_any_zone_form_or_none_means_the_same_instant(text):
    assert parse_time(text, "start_time").us == EPOCH_2024_05_01_12 * 1_000_000


def test_numeric_string_is_read_as_a_number():
    assert parse_time(" 1714564800 ", "end_time").kind == "absolute"


def test_epoch_milliseconds_are_refused_with_a_message_saying_so():
    with pytest.raises(InvalidTime, match="milliseconds") as err:
        parse_time(1714564800123, "start_time")
    assert err.value.field == "start_time"


@pytest.mark.parametrize(
    "value",
    [
        math.nan,
        math.inf,
        -1,
        "-3",
        "nan",
        "inf",
        True,
        None,
        [],
        {},
        "",
        "tomorrow",
        10**400,
        "2024-02-30T00:00:00Z",
        "2024-01-01T25:00:00Z",
        "2024-01-01T12:61:00Z",
    ],
)
def test_unreadable_times_are_refused_naming_the_field(value):
    with pytest.raises(InvalidTime) as err:
        parse_time(value, "end_time")
    assert err.value.field == "end_time"
    assert "end_time" in err.value.message


@pytest.mark.parametrize(
    ("text", "expected_ms"),
    [
        ("2026-03-21T00:51:48.888-0400", 1774068708888),
        ("2026-03-21T04:51:48.888Z", 1774068708888),
        ("2026-03-21T04:51:48.888+00:00", 1774068708888),
        ("2026-03-21T04:51:48.888123456Z", 1774068708888),
        ("2026-03-21T04:51:48Z", 1774068708000),
        ("2026-03-21T04:51:48.8", 1774068708800),
    ],
)
def test_program_date_times_parse_to_utc_for_every_zone_form(text, expected_ms):
    assert parse_pdt(text) // 1000 == expected_ms


def test_output_times_are_utc_with_milliseconds():
    assert format_iso(1774068708888_000) == "2026-03-21T04:51:48.888Z"
    assert format_iso(0) == "1970-01-01T00:00:00.000Z"
