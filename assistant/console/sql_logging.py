"""Keeps SQLAlchemy's statement echo out of the console's logs.

With its logger enabled, SQLAlchemy logs every statement (INFO) and every row it reads
(DEBUG): patient messages, names, phone numbers. The engine hides statement parameters
(``hide_parameters``), but not rows.
"""

from __future__ import annotations

import logging

SQL_ECHO_LOGGER = "sqlalchemy.engine"


def keep_rows_out_of_logs() -> None:
    """Hold SQLAlchemy's echo logger at WARNING unless its level was set on purpose, so a
    root logger turned to DEBUG does not write patient data to the logs."""
    echo = logging.getLogger(SQL_ECHO_LOGGER)
    if echo.level == logging.NOTSET:
        echo.setLevel(logging.WARNING)
