"""``create_app()``: the staff console's Sanic app, one blueprint per feature.

Resources live on ``app.ctx`` and are set up in listeners (nothing happens at import time):
the database, the Jinja environment, the masker, and a background task that keeps the
conversation index up to date. The knowledge for the Clinical review and Translations pages
(``app.ctx.knowledge``) is made in the factory and read on first use; the background task
re-reads it each round when a file changed, so the nav's count of translations to do stays
current. Alerts (``app.ctx.alerts``, docs/alerts.md): the ALERT_* settings are read in the
factory, and a second background task delivers the outbox the indexer writes.

Sanic's own reading of forwarded headers is switched off: ``web.guards`` reads them only
from the peers in ``CONSOLE_TRUSTED_PROXIES``.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import time
from pathlib import Path
from typing import Callable, List, Optional
from zoneinfo import ZoneInfo

from sanic import Sanic

from assistant.console.alerts.service import Alerts
from assistant.console.alerts.settings import AlertSettings
from assistant.console.clinical_review import ReviewKnowledge
from assistant.console.database import Database
from assistant.console.indexer import Indexer, IndexingFailed
from assistant.console.login_throttle import ThrottlePolicy, prune_login_records
from assistant.console.masking import Masker
from assistant.console.open_hours import OpenHours
from assistant.console.routes import (
    admin,
    alerts,
    auth,
    callbacks,
    clinical_review,
    conversations,
    corrections,
    dashboard,
    errors,
    exports,
    guards,
    inbox,
    topics,
    translations,
)
from assistant.console.routes.render import make_templates
from assistant.console.settings import ConsoleSettings
from assistant.console.sql_logging import keep_rows_out_of_logs
from assistant.console.staff_sessions import drop_idle_sessions

logger = logging.getLogger(__name__)
STATIC_DIR = Path(__file__).parent / "static"


def public_numbers(knowledge_dir: Optional[Path] = None) -> List[str]:
    """The support line's numbers, which are not patient data and stay unmasked."""
    from assistant.knowledge import KnowledgeStore, knowledge_dir_from_env

    try:
        knowledge = KnowledgeStore(knowledge_dir or knowledge_dir_from_env()).current()
    except (OSError, ValueError) as error:
        logger.warning("knowledge not loaded (%s); every number will be masked", error)
        return []
    line = knowledge.contacts.support_line
    return [line.digits, line.tel]


def support_hours(knowledge_dir: Optional[Path] = None) -> Optional[OpenHours]:
    """The support line's open hours (``contacts.yml``), which callback waits are counted in;
    None, and callback ages count every hour, when the knowledge folder cannot be read."""
    from assistant.knowledge import knowledge_dir_from_env
    from assistant.knowledge.loader import load_contacts

    try:
        line = load_contacts(knowledge_dir or knowledge_dir_from_env()).support_line
    except (OSError, ValueError) as error:
        logger.warning("support hours not loaded (%s); callback ages count every hour", error)
        return None
    return OpenHours.of_line(line)


def domain_intents(path: Path) -> List[str]:
    import yaml

    try:
        domain = yaml.safe_load(path.read_text()) or {}
    except OSError:
        return []
    intents = [i if isinstance(i, str) else next(iter(i)) for i in domain.get("intents", [])]
    return sorted(set(intents))


def create_app(
    settings: ConsoleSettings,
    name: str = "staff_console",
    clock: Callable[[], float] = time.time,
    domain_path: Path = Path("domain.yml"),
    knowledge_dir: Optional[Path] = None,
    index_in_background: bool = True,
    alert_settings: Optional[AlertSettings] = None,
) -> Sanic:
    app = Sanic(name)
    app.config.PROXIES_COUNT = 0
    app.config.REAL_IP_HEADER = None
    app.config.FORWARDED_SECRET = None
    app.config.KEEP_ALIVE_TIMEOUT = 15
    app.config.REQUEST_MAX_SIZE = 1_000_000  # forms only; no uploads
    app.ctx.settings = settings
    app.ctx.clock = clock
    app.ctx.tz = ZoneInfo(settings.timezone)
    # ``knowledge_dir`` (tests) overrides the setting ($KNOWLEDGE_DIR or data/knowledge).
    knowledge_dir = knowledge_dir if knowledge_dir is not None else settings.knowledge_dir
    app.ctx.knowledge = ReviewKnowledge(knowledge_dir)
    # Where alerts go (the ALERT_* variables, read now: a bad one stops the console here).
    app.ctx.alert_settings = (
        alert_settings
        if alert_settings is not None
        else AlertSettings.from_env(os.environ, settings.host, settings.port)
    )

    @app.before_server_start
    async def setup(app: Sanic, _loop: object) -> None:
        keep_rows_out_of_logs()
        app.ctx.db = await asyncio.to_thread(Database.connect, settings.db_url)
        app.ctx.masker = Masker.allowing(public_numbers(knowledge_dir))
        app.ctx.open_hours = support_hours(knowledge_dir)
        app.ctx.templates = make_templates()
        app.ctx.intents = domain_intents(domain_path)
        app.ctx.alerts = Alerts.make(
            app.ctx.alert_settings, app.ctx.db, app.ctx.tz, knowledge_dir, clock
        )
        app.ctx.indexer = Indexer(
            app.ctx.tz, app.ctx.masker, clock=clock, alerts=app.ctx.alerts.planner
        )
        await asyncio.to_thread(app.ctx.indexer.catch_up, app.ctx.db.engine)
        app.ctx.index_task = (
            asyncio.create_task(_keep_indexing(app)) if index_in_background else None
        )
        # Tests without background work drive ``app.ctx.alerts.worker.run_once()`` by hand.
        worker = app.ctx.alerts.worker
        app.ctx.alert_task = (
            asyncio.create_task(worker.run_forever(settings.index_interval_s))
            if index_in_background and worker is not None
            else None
        )

    @app.after_server_stop
    async def teardown(app: Sanic, _loop: object) -> None:
        for name in ("index_task", "alert_task"):
            task = getattr(app.ctx, name, None)
            if task is not None:
                task.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await task
        app.ctx.db.close()

    app.static("/static", str(STATIC_DIR), name="static")
    guards.install(app)
    errors.install(app)
    for blueprint in (
        auth.bp,
        inbox.bp,
        conversations.bp,
        exports.bp,
        callbacks.bp,
        corrections.bp,
        dashboard.bp,
        topics.bp,
        clinical_review.bp,
        translations.bp,
        admin.bp,
        alerts.bp,
    ):
        app.blueprint(blueprint)
    return app


async def _keep_indexing(app: Sanic) -> None:
    settings: ConsoleSettings = app.ctx.settings
    while True:
        await asyncio.sleep(settings.index_interval_s)
        await background_round(app)
        await refresh_knowledge(app)


async def refresh_knowledge(app: Sanic) -> None:
    """Read the knowledge if a file changed (a folder that does not load is shown on its
    pages, not raised); anything else is logged by its type and retried next round."""
    try:
        await asyncio.to_thread(app.ctx.knowledge.state)
    except Exception as error:  # noqa: BLE001 - logged by type only; retried next round
        logger.warning("reading the knowledge failed (%s)", type(error).__name__)


async def background_round(app: Sanic) -> None:
    """Index new events, end idle sessions and prune old login records. A failure is
    logged by its type only (database errors can quote patient text) and retried later."""
    settings: ConsoleSettings = app.ctx.settings
    try:
        await asyncio.to_thread(app.ctx.indexer.catch_up, app.ctx.db.engine)
    except IndexingFailed:  # the indexer has logged what failed, and where
        logger.warning("indexing is retried in %s s", settings.index_interval_s)
    except Exception as error:  # noqa: BLE001 - logged by type only; retried next round
        logger.warning(
            "indexing failed (%s); retrying in %s s",
            type(error).__name__,
            settings.index_interval_s,
        )
    now = app.ctx.clock()
    policy = ThrottlePolicy.from_settings(settings)
    try:
        await app.ctx.db.run(drop_idle_sessions, now, settings.idle_timeout_s)
        await app.ctx.db.run(prune_login_records, now, policy)
    except Exception as error:  # noqa: BLE001 - logged by type only; retried next round
        logger.warning(
            "session clean-up failed (%s); retrying in %s s",
            type(error).__name__,
            settings.index_interval_s,
        )
