"""The request body's language fields: only "en" and "es" pass, anything else is dropped."""

from __future__ import annotations

from typing import Any

import pytest

from assistant.channels.web.request_format import declares_json, language_metadata
from assistant.dialogue_names import META_LANGUAGE_CHOICE, META_PAGE_LANGUAGE


def test_both_languages_pass_under_the_metadata_names() -> None:
    body = {"text": "necesito ayuda con mi mama", "page_language": "es", "language_choice": "en"}
    assert language_metadata(body) == {META_PAGE_LANGUAGE: "es", META_LANGUAGE_CHOICE: "en"}


def test_without_the_fields_there_is_no_language_metadata() -> None:
    assert language_metadata({"text": "hi", "client_id": "c1"}) == {}


@pytest.mark.parametrize(
    "value", ["fr", "es-419", "es-MX", "En", " es", "español", "", None, 0, False, ["es"], {}]
)
def test_anything_but_en_or_es_is_dropped(value: Any) -> None:
    body = {"page_language": value, "language_choice": "es"}
    assert language_metadata(body) == {META_LANGUAGE_CHOICE: "es"}
    assert language_metadata({"page_language": "en", "language_choice": value}) == {
        META_PAGE_LANGUAGE: "en"
    }


def test_other_fields_never_become_metadata() -> None:
    body = {"language": "es", "lang": "es", "page_lang": "es", "text": "es"}
    assert language_metadata(body) == {}


@pytest.mark.parametrize(
    ("header", "json"),
    [("application/json", True), ("application/json; charset=utf-8", True), ("text/plain", False)],
)
def test_only_json_is_json(header: str, json: bool) -> None:
    assert declares_json(header) is json
