"""``python -m assistant.rasa_server run ...``: ``rasa run`` with ``tuning.apply`` first (it
installs the patches of ``patches.PATCHES``, or none: see ``tuning``)."""

from __future__ import annotations

import sys
from typing import List, Optional


def main(argv: Optional[List[str]] = None) -> None:
    from assistant.quiet_warnings import install

    install()  # before Rasa's dependencies are imported (assistant/quiet_warnings.py)
    from assistant.rasa_server import tuning

    tuning.apply_with_report(tuning.Tuning.from_env())
    from rasa.__main__ import main as rasa_main

    sys.argv = ["rasa", *(sys.argv[1:] if argv is None else argv)]
    rasa_main()


if __name__ == "__main__":
    main()
