"""The alert parts the console runs, made from ``AlertSettings``: the planner the indexer
calls, the senders, and the worker. With no destination configured there are none of them,
and the console says so (dashboard and Alerts page)."""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Dict, Optional
from zoneinfo import ZoneInfo

from assistant.console.alerts.delivery import Sender
from assistant.console.alerts.kinds import EMAIL, WEBHOOK
from assistant.console.alerts.mail import EmailSender, SmtpServer
from assistant.console.alerts.messages import Composer
from assistant.console.alerts.planner import AlertPlanner
from assistant.console.alerts.settings import AlertSettings
from assistant.console.alerts.webhook import WebhookSender
from assistant.console.alerts.worker import AlertWorker
from assistant.console.database import Database
from assistant.knowledge.models import SupportLine

logger = logging.getLogger(__name__)


def support_line(knowledge_dir: Optional[Path]) -> Optional[SupportLine]:
    """The support line's hours, for the out-of-hours digest; None (callbacks alert at
    once) when the knowledge does not load."""
    from assistant.knowledge import knowledge_dir_from_env
    from assistant.knowledge.loader import load_contacts

    try:
        return load_contacts(knowledge_dir or knowledge_dir_from_env()).support_line
    except (OSError, ValueError) as error:
        logger.warning(
            "support hours not loaded (%s): callbacks alert at once, with no morning digest",
            type(error).__name__,
        )
        return None


def make_senders(settings: AlertSettings, clock: Callable[[], float]) -> Dict[str, Sender]:
    senders: Dict[str, Sender] = {}
    routes = settings.routes()
    if WEBHOOK in routes:
        senders[WEBHOOK] = WebhookSender(
            settings.webhook_url, settings.webhook_secret, settings.webhook_timeout_s, clock
        )
    if EMAIL in routes:
        server = SmtpServer(
            settings.smtp_host,
            settings.smtp_port,
            settings.smtp_starttls,
            settings.smtp_user,
            settings.smtp_password,
            settings.smtp_ca_file,
            settings.smtp_timeout_s,
        )
        senders[EMAIL] = EmailSender(server, settings.email_from, settings.email_to)
    return senders


@dataclass
class Alerts:
    settings: AlertSettings
    composer: Composer
    senders: Dict[str, Sender] = field(default_factory=dict)
    planner: Optional[AlertPlanner] = None
    worker: Optional[AlertWorker] = None

    @property
    def enabled(self) -> bool:
        return self.planner is not None

    @classmethod
    def make(
        cls,
        settings: AlertSettings,
        db: Database,
        timezone: ZoneInfo,
        knowledge_dir: Optional[Path],
        clock: Callable[[], float] = time.time,
        line: Optional[SupportLine] = None,
    ) -> Alerts:
        """The console's alerts. ``line`` (tests) stands in for the knowledge's support line,
        which is read only when some destination is configured."""
        composer = Composer(settings.public_url, timezone)
        if not settings.enabled:
            logger.warning(
                "alerts are off: no ALERT_WEBHOOK_URL or ALERT_SMTP_HOST (docs/alerts.md)"
            )
            return cls(settings, composer)
        for warning in settings.overridden():
            logger.warning("%s", warning)
        senders = make_senders(settings, clock)
        planner = AlertPlanner(
            settings.routes(),
            line if line is not None else support_line(knowledge_dir),
            settings.max_age_s,
            clock,
        )
        worker = AlertWorker(db, senders, composer, settings.max_attempts, clock)
        return cls(settings, composer, senders, planner, worker)
