"""The console's schema migrations (Alembic), run from code: there is no alembic.ini.

``upgrade`` brings a database to the newest revision. It runs where the tables used to be
created (``database.create_schema``): on SQLite when the console or its command line
connects, on PostgreSQL in the schema owner's setup (``python -m assistant.ops.db_roles
setup``), as the owner, in the setup's transaction. The revisions are in ``versions/``; the
version is kept in ``console_alembic_version`` (not ``alembic_version``: the database is
shared with Rasa's tables).

A database made before migrations has ``console_*`` tables but no version table. It is
recognised as revision 0001, the schema of that time: revision 0001 creates only what such a
database lacks (the tables and audit triggers that older versions did not make yet, which
is what ``create_schema`` used to add) and records itself; the revisions after it then run
as on any other database.

After a change to ``schema.py``: ``python -m assistant.console db revision -m "what changed"``
writes the next revision (see docs/console.md).
"""

from __future__ import annotations

import logging
import subprocess
import sys
import tempfile
from importlib.util import find_spec
from pathlib import Path
from typing import Any, List, Optional, Union

import sqlalchemy as sa
from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy.engine import Connection, Engine

logger = logging.getLogger(__name__)

HERE = Path(__file__).parent
VERSIONS = HERE / "versions"
VERSION_TABLE = "console_alembic_version"
BASELINE = "0001"  # the schema of the last version without migrations
# Rasa's tracker store adds these to ``events`` (assistant.stores.tracker_store.EVENT_INDEXES);
# they are not the console's, so comparisons leave them out.
_RASA_EVENT_INDEXES = frozenset({"ix_events_sender_type_time", "ix_events_sender_time"})


class _QuietContext(logging.Filter):
    """Alembic logs the dialect at INFO every time it looks at a database; keep only what it
    does (e.g. "Running upgrade 0001 -> 0002")."""

    def filter(self, record: logging.LogRecord) -> bool:
        message = str(record.msg)
        return not message.startswith(("Context impl", "Will assume"))


_QUIET = _QuietContext()


def _quiet_alembic() -> None:
    """Keep alembic's routine INFO lines out of the log (idempotent; not done at import)."""
    migration_log = logging.getLogger("alembic.runtime.migration")
    if _QUIET not in migration_log.filters:
        migration_log.addFilter(_QUIET)
    logging.getLogger("alembic.runtime.plugins").setLevel(logging.WARNING)  # "setup plugin ..."


def config(connection: Optional[Connection] = None) -> Config:
    """Alembic's configuration, made in code; ``env.py`` runs on ``connection``."""
    _quiet_alembic()
    cfg = Config()
    cfg.set_main_option("script_location", str(HERE))
    cfg.set_main_option("path_separator", "os")  # alembic warns without it
    cfg.set_main_option("version_locations", str(VERSIONS))
    cfg.attributes["connection"] = connection
    return cfg


def scripts() -> ScriptDirectory:
    return ScriptDirectory.from_config(config())


def head() -> str:
    found = scripts().get_current_head()
    if found is None:
        raise RuntimeError(f"no revisions in {VERSIONS}")
    return found


def known_revisions() -> List[str]:
    """Every revision id, oldest first."""
    return [script.revision for script in reversed(list(scripts().walk_revisions()))]


def current(connection: Connection) -> Optional[str]:
    """The database's revision; None when it has none (new, or made before migrations)."""
    context = MigrationContext.configure(connection, opts={"version_table": VERSION_TABLE})
    return context.get_current_revision()


def predates_migrations(connection: Connection) -> bool:
    """Console tables without a version table: made by a version before migrations."""
    names = set(sa.inspect(connection).get_table_names())
    return VERSION_TABLE not in names and any(name.startswith("console_") for name in names)


def upgrade(bind: Union[Engine, Connection], revision: str = "head") -> None:
    """Bring the database to ``revision`` (the newest by default), in one transaction: the
    caller's when given a connection. At that revision already, nothing is written (only the
    version is read), so a role without CREATE rights may call it."""
    if isinstance(bind, Engine):
        with bind.begin() as connection:
            _upgrade(connection, revision)
    else:
        _upgrade(bind, revision)


def _upgrade(connection: Connection, revision: str) -> None:
    target = head() if revision == "head" else revision
    if current(connection) == target:
        return
    cfg = config(connection)
    if predates_migrations(connection):
        logger.info(
            "the console's tables have no schema version (made before migrations): "
            "recorded as revision %s",
            BASELINE,
        )
        command.upgrade(cfg, BASELINE)
    command.upgrade(cfg, revision)


def include_object(
    obj: Any, name: Optional[str], type_: str, reflected: bool, compare_to: Any
) -> bool:
    """What comparisons with ``schema.metadata`` look at: the tables it defines, not the other
    tables in the database (Rasa's replicas'), nor the indexes Rasa adds to ``events``."""
    from assistant.console.schema import metadata

    if type_ == "table":
        return name in metadata.tables
    if type_ == "index" and reflected and compare_to is None:
        return name not in _RASA_EVENT_INDEXES
    return True


def next_revision_id() -> str:
    numbers = [int(rev) for rev in known_revisions() if rev.isdigit()]
    return f"{max(numbers, default=0) + 1:04d}"


def new_revision(message: str, autogenerate: bool = True, url: Optional[str] = None) -> Path:
    """Write the next revision into ``versions/`` and return its path. With ``autogenerate``
    its operations are what ``schema.py`` has that the migrated database lacks: the database
    at ``url`` (it must be at the newest revision), or by default a scratch SQLite database
    migrated for the purpose. Review what it wrote: Alembic cannot see everything (renames,
    triggers, data)."""
    from assistant.console.database import make_engine

    with tempfile.TemporaryDirectory(prefix="console-revision-") as scratch:
        engine = make_engine(url or f"sqlite:///{Path(scratch) / 'scratch.db'}")
        try:
            with engine.connect() as connection:
                if url is None:
                    upgrade(connection)
                    connection.commit()
                at = current(connection)
                if autogenerate and at != head():
                    raise RuntimeError(
                        f"the database is at revision {at}, not {head()}: "
                        "python -m assistant.console db upgrade first"
                    )
                script = command.revision(
                    config(connection),
                    message=message,
                    autogenerate=autogenerate,
                    rev_id=next_revision_id(),
                )
                connection.commit()
        finally:
            engine.dispose()
    if script is None or isinstance(script, list):
        raise RuntimeError("Alembic wrote no single revision")
    path = Path(script.path)
    if find_spec("ruff") is not None:  # the dev tools: tidy what Alembic rendered
        for arguments in (["check", "--fix", "--quiet"], ["format", "--quiet"]):
            ruff = [sys.executable, "-m", "ruff", *arguments, str(path)]
            subprocess.run(ruff, check=False)  # noqa: S603 - our interpreter, our file
    return path


__all__ = [
    "BASELINE",
    "VERSION_TABLE",
    "config",
    "current",
    "head",
    "include_object",
    "known_revisions",
    "new_revision",
    "predates_migrations",
    "upgrade",
]
