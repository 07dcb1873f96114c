"""The Rasa server as this project runs it: ``python -m assistant.rasa_server run ...``.

The same command line as ``rasa run``, with some of Rasa 3.6's hard-coded internals replaced
before it starts: one row each in ``patches.PATCHES``, listed with the reasons in
``docs/rasa-patches.md``, installed all or none by ``tuning.apply`` (which checks the Rasa
version first). ``ASSISTANT_RASA_TUNING=off`` serves stock Rasa.
"""

from __future__ import annotations

import sys
from typing import List


def server_command() -> List[str]:
    """The command that starts this project's Rasa server (arguments as for ``rasa``)."""
    return [sys.executable, "-m", "assistant.rasa_server"]
