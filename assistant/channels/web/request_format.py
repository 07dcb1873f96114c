"""What the chat endpoints accept as a request body: JSON, declared as such.

Requiring ``Content-Type: application/json`` on every POST also shuts out plain HTML forms
from other sites: a browser sends a cross-site JSON request only after a CORS preflight,
which the channel answers for allowed origins only.
"""

from __future__ import annotations

from typing import Optional

JSON = "application/json"


def declares_json(content_type: Optional[str]) -> bool:
    """Whether a Content-Type header is JSON (parameters such as ``charset`` allowed)."""
    media_type = (content_type or "").split(";", 1)[0].strip().lower()
    return media_type == JSON
