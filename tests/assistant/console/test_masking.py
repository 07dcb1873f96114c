"""Masking: phone numbers and email addresses are hidden in what staff see by default; the
public support line, emergency numbers, ages, doses and dates are not patient contact data."""

from __future__ import annotations

import pytest

from assistant.console.masking import Masker, mask_email, mask_phone_number
from tests.assistant.console.builders import support_masker

masker = support_masker()


@pytest.mark.parametrize(
    ("text", "last_four"),
    [
        ("310-555-0123", "0123"),
        ("(310) 555-0123", "0123"),
        ("(310)555-0123", "0123"),
        ("310.555.0199", "0199"),
        ("310 555 0142", "0142"),
        ("3105550177", "0177"),
        ("+1 310 555 0123", "0123"),
        ("+1 (310) 555-0188", "0188"),
        ("+13105550123", "0123"),
        ("1-310-555-0166", "0166"),
        ("555-0123", "0123"),
        ("+44 20 7946 0958", "0958"),
        ("+33 1 23 45 67 89", "6789"),
        ("310-555-2026", "2026"),  # ends like a year; still a phone number
        ("555-2019", "2019"),
        ("1-800-555-2020", "2020"),
    ],
)
def test_phone_numbers_are_masked(text: str, last_four: str) -> None:
    masked = masker.mask(f"please call me on {text} after 5")
    assert masked == f"please call me on •••-•••-{last_four} after 5"
    assert masker.has_contact_details(text)


@pytest.mark.parametrize(
    ("text", "masked"),
    [
        ("pat@example.com", "p•••@example.com"),
        ("Jane.Doe+infusion@mail.example.org", "J•••@mail.example.org"),
        ("a_b-c@sub-domain.example.co.uk", "a•••@sub-domain.example.co.uk"),
    ],
)
def test_email_addresses_are_masked(text: str, masked: str) -> None:
    assert masker.mask(f"write to {text}, thanks") == f"write to {masked}, thanks"
    assert text not in masker.mask(text)


def test_several_contact_details_in_one_message() -> None:
    text = "Home 310-555-0123, cell (424) 555-0456, email pat@example.com."
    assert masker.mask(text) == "Home •••-•••-0123, cell •••-•••-0456, email p•••@example.com."


@pytest.mark.parametrize(
    "text",
    [
        "call 1-800-233-2771",
        "the support line is +18002332771",
        "(800) 233-2771",
        "800-233-2771",
        "1 800 233 2771",
        "1.800.233.2771",
    ],
)
def test_the_public_support_line_stays(text: str) -> None:
    assert masker.mask(text) == text
    assert not masker.has_contact_details(text)


def test_only_the_allowed_numbers_stay() -> None:
    nothing_allowed = Masker()
    assert nothing_allowed.mask("1-800-233-2771") == "•••-•••-2771"
    assert masker.mask("1-800-233-2772") == "•••-•••-2772"


@pytest.mark.parametrize(
    "text",
    [
        "call 911 now",
        "I called 988 last night",
        "I am 72 years old",
        "my husband is 101",
        "take 500 mg twice a day",
        "200mg every 3 weeks for 12 cycles",
        "dose of 1,200 mg/m2",
        "my temperature is 101.3",
        "room 4120, floor 3",
        "ext. 1234",
        "on 11/26/2026 at 10:30",
        "on Nov 26, 2026",
        "appointment on 2026-11-26",
        "appointment on 2026-11-26 at 10:30",
        "appointment 2026-11-26 10:30",
        "started on 11-26-2026",
        "seit 26.11.2026",
        "between 9 and 5",
        "",
    ],
)
def test_short_numbers_and_dates_are_not_masked(text: str) -> None:
    assert masker.mask(text) == text
    assert not masker.has_contact_details(text)


def test_a_phone_number_next_to_a_date_is_still_masked() -> None:
    assert masker.mask("2026-11-26: call 310-555-0123") == "2026-11-26: call •••-•••-0123"


def test_mask_helpers() -> None:
    assert mask_phone_number("+1 (310) 555-0123") == "•••-•••-0123"
    assert mask_phone_number("12") == "•••"
    assert mask_email("pat@example.com") == "p•••@example.com"


def test_masking_is_stable() -> None:
    once = masker.mask("310-555-0123 and pat@example.com")
    assert masker.mask(once) == once
