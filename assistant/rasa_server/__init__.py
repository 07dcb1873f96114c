"""The Rasa server as this project runs it: ``python -m assistant.rasa_server run ...``.

The same command line as ``rasa run``, with two of Rasa 3.6's hard-coded behaviours replaced
before it starts (see ``tuning``): the 300 s wait for the action server, and the per-reply
re-check of the action-response JSON schema.
"""

from __future__ import annotations

import sys
from typing import List


def server_command() -> List[str]:
    """The command that starts this project's Rasa server (arguments as for ``rasa``)."""
    return [sys.executable, "-m", "assistant.rasa_server"]
