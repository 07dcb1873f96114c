"""What the chat endpoints accept as a request body: JSON, declared as such, and the language
fields a ``/message`` body may carry.

Requiring ``Content-Type: application/json`` on every POST also shuts out plain HTML forms
from other sites: a browser sends a cross-site JSON request only after a CORS preflight,
which the channel answers for allowed origins only.
"""

from __future__ import annotations

from typing import Any, Dict, Mapping, Optional

from assistant.dialogue_names import META_LANGUAGE_CHOICE, META_PAGE_LANGUAGE
from assistant.language.choice import known_language

JSON = "application/json"

# The widget sends the language fields under the user-message metadata names themselves:
# ``page_language`` (the widget's UI language, with every message) and ``language_choice``
# (once, with the first message after the patient used the language toggle).
LANGUAGE_FIELDS = (META_PAGE_LANGUAGE, META_LANGUAGE_CHOICE)


def declares_json(content_type: Optional[str]) -> bool:
    """Whether a Content-Type header is JSON (parameters such as ``charset`` allowed)."""
    media_type = (content_type or "").split(";", 1)[0].strip().lower()
    return media_type == JSON


def language_metadata(body: Mapping[str, Any]) -> Dict[str, str]:
    """The valid language fields of a message body, as user-message metadata. A missing or
    unknown value is left out, never an error: the message itself must not be lost."""
    found: Dict[str, str] = {}
    for field in LANGUAGE_FIELDS:
        code = known_language(body.get(field))
        if code is not None:
            found[field] = code
    return found
