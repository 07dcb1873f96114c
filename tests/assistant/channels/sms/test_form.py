"""The webhook form parsed from the raw body: empty values and repeated fields kept, signed
the way the provider's validator signs, and the fields the channel reads checked."""

from __future__ import annotations

import urllib.parse
from typing import Dict, List, Tuple

import pytest
from multidict import MultiDict
from twilio.request_validator import RequestValidator

from assistant.channels.sms.form import (
    FORM_CONTENT_TYPE,
    MAX_FORM_BYTES,
    FormError,
    FormTooLarge,
    UnsupportedContentType,
    WebhookForm,
    parse_form,
    read_message,
)

URL = "https://assistant.example/webhooks/sms/webhook"
TOKEN = "test-auth-token-0123456789"


def encoded(pairs: List[Tuple[str, str]]) -> bytes:
    return urllib.parse.urlencode(pairs).encode()


def test_empty_values_are_kept() -> None:
    form = parse_form(b"FromCity=&Body=&NumMedia=1", FORM_CONTENT_TYPE)
    assert dict(form) == {"FromCity": [""], "Body": [""], "NumMedia": ["1"]}


def test_percent_encoding_and_plus_are_decoded_as_utf8() -> None:
    form = parse_form(
        encoded([("Body", "¿Qué es? 你好 😀"), ("From", "+13105550142")]), FORM_CONTENT_TYPE
    )
    assert form.single("Body") == "¿Qué es? 你好 😀"
    assert parse_form(b"Body=two+words%2B", FORM_CONTENT_TYPE).single("Body") == "two words+"


def test_repeated_fields_keep_every_value_in_order() -> None:
    form = parse_form(b"Tag=b&Tag=a&Tag=&Other=1", FORM_CONTENT_TYPE)
    assert form.getall("Tag") == ["b", "a", ""]
    assert list(form) == ["Tag", "Other"] and len(form) == 2


def test_a_semicolon_is_part_of_a_value_not_a_separator() -> None:
    form = parse_form(b"Body=a;From=x", FORM_CONTENT_TYPE)
    assert form.single("Body") == "a;From=x" and form.single("From") is None


@pytest.mark.parametrize(
    "pairs",
    [
        [("Body", ""), ("FromCity", ""), ("From", "+13105550142")],
        [("Tag", "b"), ("Tag", "a"), ("Tag", "a"), ("Body", "x")],
        [("Body", "¿Qué? 😀 a+b&c=d")],
        [],
    ],
    ids=["empty-values", "repeated", "unicode", "no-fields"],
)
def test_the_signature_is_the_one_the_provider_validator_computes(
    pairs: List[Tuple[str, str]],
) -> None:
    form = parse_form(encoded(pairs), FORM_CONTENT_TYPE)
    validator = RequestValidator(TOKEN)
    expected = validator.compute_signature(URL, MultiDict(pairs))
    assert validator.compute_signature(URL, form) == expected
    assert validator.validate(URL, form, expected)


def test_dropping_an_empty_field_breaks_the_signature() -> None:
    pairs = [("Body", "STOP"), ("FromCity", ""), ("From", "+13105550142")]
    validator = RequestValidator(TOKEN)
    signature = validator.compute_signature(URL, MultiDict(pairs))
    dropped = parse_form(encoded([p for p in pairs if p[1]]), FORM_CONTENT_TYPE)
    assert not validator.validate(URL, dropped, signature)


@pytest.mark.parametrize(
    "content_type",
    ["application/x-www-form-urlencoded; charset=UTF-8", "Application/X-WWW-Form-Urlencoded"],
)
def test_the_form_content_type_may_carry_parameters_and_any_case(content_type: str) -> None:
    assert parse_form(b"Body=hi", content_type).single("Body") == "hi"


@pytest.mark.parametrize(
    "content_type", [None, "", "application/json", "multipart/form-data; boundary=x"]
)
def test_other_content_types_are_refused_by_name(content_type: str) -> None:
    with pytest.raises(UnsupportedContentType, match=FORM_CONTENT_TYPE) as caught:
        parse_form(b"Body=hi", content_type)
    assert caught.value.status == 415


def test_an_oversized_form_is_refused() -> None:
    with pytest.raises(FormTooLarge, match=str(MAX_FORM_BYTES)) as caught:
        parse_form(b"Body=" + b"a" * MAX_FORM_BYTES, FORM_CONTENT_TYPE)
    assert caught.value.status == 413


@pytest.mark.parametrize("body", [b"Body=%FF", b"Body=\xff"], ids=["percent", "raw"])
def test_a_form_that_is_not_utf8_is_refused(body: bytes) -> None:
    with pytest.raises(FormError, match="UTF-8") as caught:
        parse_form(body, FORM_CONTENT_TYPE)
    assert caught.value.status == 400


def form_of(**fields: str) -> WebhookForm:
    return WebhookForm(list(fields.items()))


def test_read_message_takes_sid_number_and_body() -> None:
    message = read_message(form_of(MessageSid="SM" + "a" * 32, From="(310) 555-0142", Body=""))
    assert message.message_sid == "SM" + "a" * 32
    assert message.number == "+13105550142"
    assert message.body == ""
    assert read_message(form_of(MessageSid="SM1", From="+13105550142")).body == ""


@pytest.mark.parametrize(
    ("fields", "named"),
    [
        ({"From": "+13105550142", "Body": "hi"}, "MessageSid"),
        ({"MessageSid": "", "From": "+13105550142"}, "MessageSid"),
        ({"MessageSid": "SM-1", "From": "+13105550142"}, "MessageSid"),
        ({"MessageSid": "S" * 65, "From": "+13105550142"}, "MessageSid"),
        ({"MessageSid": "SM1", "Body": "hi"}, "From"),
        ({"MessageSid": "SM1", "From": "not a number"}, "From"),
    ],
    ids=["no-sid", "empty-sid", "odd-sid", "long-sid", "no-from", "bad-from"],
)
def test_read_message_names_what_is_wrong(fields: Dict[str, str], named: str) -> None:
    with pytest.raises(FormError, match=named) as caught:
        read_message(form_of(**fields))
    assert caught.value.status == 400


@pytest.mark.parametrize("field", ["MessageSid", "From", "Body"])
def test_a_repeated_field_the_channel_reads_is_refused(field: str) -> None:
    pairs = [("MessageSid", "SM1"), ("From", "+13105550142"), ("Body", "hi"), (field, "x")]
    with pytest.raises(FormError, match=f"{field} appears 2 times"):
        read_message(WebhookForm(pairs))
