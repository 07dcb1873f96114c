"""``python -m assistant.rasa_server run ...``: ``rasa run`` with ``tuning`` applied first."""

from __future__ import annotations

import sys
from typing import List, Optional


def main(argv: Optional[List[str]] = None) -> None:
    from assistant.rasa_server.tuning import Tuning, apply

    apply(Tuning.from_env())
    from rasa.__main__ import main as rasa_main

    sys.argv = ["rasa", *(sys.argv[1:] if argv is None else argv)]
    rasa_main()


if __name__ == "__main__":
    main()
