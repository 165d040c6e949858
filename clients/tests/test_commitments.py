"""Sales commitments kept on a handoff (clients/commitments.py): pure, no database."""

import datetime as dt

import pytest
from django.core.exceptions import ValidationError

from clients.commitments import (
    MAX_COMMITMENTS,
    MAX_TEXT,
    format_commitment_lines,
    normalise_commitments,
    parse_commitment_lines,
)


def messages(exc_info) -> list[str]:
    return exc_info.value.messages


def test_lines_with_and_without_dates():
    text = "2026-12-01 Data migration done\n\n  Weekly status call  \n2027-01-15: Training for 20 users\n"
    assert parse_commitment_lines(text) == [
        {"text": "Data migration done", "due_date": "2026-12-01"},
        {"text": "Weekly status call", "due_date": None},
        {"text": "Training for 20 users", "due_date": "2027-01-15"},
    ]


@pytest.mark.parametrize("separator", [" ", ": ", " - ", " – ", " — ", ":"])
def test_date_separators(separator):
    assert parse_commitment_lines(f"2026-12-01{separator}Go live") == [{"text": "Go live", "due_date": "2026-12-01"}]


def test_blank_text_gives_no_commitments():
    assert parse_commitment_lines("") == []
    assert parse_commitment_lines("\n   \n") == []


def test_windows_line_endings():
    assert parse_commitment_lines("2026-12-01 A\r\nB\r\n") == [
        {"text": "A", "due_date": "2026-12-01"},
        {"text": "B", "due_date": None},
    ]


def test_every_bad_line_is_reported_with_its_number():
    with pytest.raises(ValidationError) as exc_info:
        parse_commitment_lines("OK line\n2026-02-30 Impossible day\n\n2026-12-01\n")
    assert messages(exc_info) == [
        "Line 2: 2026-02-30 is not a valid date (use YYYY-MM-DD).",
        "Line 4: a date without a description.",
    ]


def test_too_many_lines_refused():
    with pytest.raises(ValidationError, match=f"At most {MAX_COMMITMENTS}"):
        parse_commitment_lines("\n".join(f"Promise {n}" for n in range(MAX_COMMITMENTS + 1)))
    assert len(parse_commitment_lines("\n".join(f"Promise {n}" for n in range(MAX_COMMITMENTS)))) == MAX_COMMITMENTS


def test_normalise_accepts_strings_dicts_and_dates():
    assert normalise_commitments(
        ["  Kick-off  ", {"text": "Migration", "due_date": dt.date(2026, 5, 1)}, {"text": "SLA", "due_date": ""}]
    ) == [
        {"text": "Kick-off", "due_date": None},
        {"text": "Migration", "due_date": "2026-05-01"},
        {"text": "SLA", "due_date": None},
    ]


@pytest.mark.parametrize(
    ("items", "message"),
    [
        ("not a list", "Commitments must be a list."),
        ({"text": "x"}, "Commitments must be a list."),
        ([42], "Commitment 1: expected an object with 'text' and 'due_date'."),
        (["ok", {"text": "   "}], "Commitment 2: the text is empty."),
        ([{"due_date": "2026-01-01"}], "Commitment 1: the text is empty."),
        ([{"text": "x", "due_date": "01/02/2026"}], "Commitment 1: due_date must be YYYY-MM-DD."),
        ([{"text": "x" * (MAX_TEXT + 1)}], f"Commitment 1: keep it under {MAX_TEXT} characters."),
    ],
)
def test_normalise_refuses_bad_shapes_with_a_clear_message(items, message):
    with pytest.raises(ValidationError) as exc_info:
        normalise_commitments(items)
    assert messages(exc_info) == [message]


def test_a_commitment_is_one_line_even_when_the_api_sends_newlines():
    items = normalise_commitments([{"text": "Migrate data\nand train users", "due_date": None}])
    assert items == [{"text": "Migrate data and train users", "due_date": None}]


def test_format_then_parse_round_trips():
    items = [
        {"text": "Data migration", "due_date": "2026-12-01"},
        {"text": "Monthly report", "due_date": None},
    ]
    text = format_commitment_lines(items)
    assert text == "2026-12-01 Data migration\nMonthly report"
    assert parse_commitment_lines(text) == items


def test_format_of_nothing_is_empty():
    assert format_commitment_lines([]) == ""


def test_api_text_with_line_breaks_survives_the_edit_form_as_one_commitment():
    items = normalise_commitments([{"text": "Go live\r\nin two phases\u2028with a pilot", "due_date": "2026-06-01"}])
    assert parse_commitment_lines(format_commitment_lines(items)) == items
    assert len(items) == 1
