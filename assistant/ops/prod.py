"""``python -m assistant.ops.prod`` (``make run-prod``): the production profile on one machine.

PostgreSQL from Debian's packages (the tracker store, and the conversation locks as advisory
locks), two or more Rasa replicas behind nginx, the action server and the staff console;
everything on 127.0.0.1 unless configured otherwise. State, secrets and logs are kept in
``.state/prod/``. A replica, the action server or the console that dies is started again
(``assistant.ops.supervisor``).

    patients --> nginx :8080 --> rasa replica :5006 --\\
                                 rasa replica :5007 ---+--> PostgreSQL :5433
    staff ----> nginx :8081 --> console :5010 ---------/    (events, locks, console)
                                 (replicas call the action server :5055)
"""

from __future__ import annotations

import os
import re
import string
import subprocess
import sys
import time
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path
from typing import BinaryIO, Dict, Iterable, List, Mapping, Optional

from assistant.ops.processes import local_secret, wait_for_http
from assistant.ops.run import prepare_channels, stop
from assistant.ops.services import Nginx, Postgres
from assistant.ops.supervisor import Child, Supervisor
from assistant.ops.train import ensure_model
from assistant.rasa_server import server_command

ROOT = Path(__file__).resolve().parents[2]
_SECRET = re.compile(r"^[A-Za-z0-9_\-]{16,128}$")


def _port(env: Mapping[str, str], name: str, default: int) -> int:
    return int(env.get(name, str(default)))


@dataclass(frozen=True)
class ProdSettings:
    state_dir: Path
    listen_host: str = "127.0.0.1"  # nginx's patient server
    patient_port: int = 8080
    staff_listen_host: str = "127.0.0.1"  # nginx's staff server: the staff network only
    staff_port: int = 8081
    rasa_ports: tuple[int, ...] = (5006, 5007)
    action_port: int = 5055
    console_port: int = 5010
    postgres_port: int = 5433
    log_level: str = "INFO"
    # nginx's limits per client address (the reasoning is in deploy/nginx.conf.template).
    web_rate_per_s: int = 20
    web_burst: int = 80
    sms_rate_per_s: int = 50
    sms_burst: int = 200
    login_rate_per_min: int = 10
    login_burst: int = 5
    patient_conns_per_address: int = 64
    # What nginx's `listen` takes: an IPv4 address, a host name, or an IPv6 address in brackets.
    # (not annotated, so not a dataclass field)
    LISTEN_HOST = re.compile(r"^(?:[A-Za-z0-9.\-]{1,253}|\[[0-9A-Fa-f:.]{2,45}\])$")

    def __post_init__(self) -> None:
        for name in ("listen_host", "staff_listen_host"):
            if not self.LISTEN_HOST.match(getattr(self, name)):
                raise ValueError(f"{name} must be an IP address or a host name")
        limits = (
            "web_rate_per_s",
            "web_burst",
            "sms_rate_per_s",
            "sms_burst",
            "login_rate_per_min",
            "login_burst",
            "patient_conns_per_address",
        )
        for name in limits:
            if getattr(self, name) < 1:
                raise ValueError(f"{name} must be at least 1")

    @classmethod
    def from_env(cls, env: Mapping[str, str], root: Path = ROOT) -> ProdSettings:
        replicas = int(env.get("RASA_REPLICAS", "2"))
        first = _port(env, "RASA_FIRST_PORT", 5006)
        return cls(
            state_dir=Path(env.get("PROD_STATE_DIR", str(root / ".state" / "prod"))),
            listen_host=env.get("PROD_LISTEN_HOST", "127.0.0.1"),
            patient_port=_port(env, "PROD_PATIENT_PORT", 8080),
            staff_listen_host=env.get("PROD_STAFF_LISTEN_HOST", "127.0.0.1"),
            staff_port=_port(env, "PROD_STAFF_PORT", 8081),
            rasa_ports=tuple(first + i for i in range(max(1, replicas))),
            action_port=_port(env, "ACTION_PORT", 5055),
            console_port=_port(env, "CONSOLE_PORT", 5010),
            postgres_port=_port(env, "POSTGRES_PORT", 5433),
            log_level=env.get("PROD_LOG_LEVEL", "INFO"),
            web_rate_per_s=int(env.get("PROD_WEB_RATE", "20")),
            web_burst=int(env.get("PROD_WEB_BURST", "80")),
            sms_rate_per_s=int(env.get("PROD_SMS_RATE", "50")),
            sms_burst=int(env.get("PROD_SMS_BURST", "200")),
            login_rate_per_min=int(env.get("PROD_LOGIN_RATE", "10")),
            login_burst=int(env.get("PROD_LOGIN_BURST", "5")),
            patient_conns_per_address=int(env.get("PROD_PATIENT_CONNS", "64")),
        )

    @property
    def log_dir(self) -> Path:
        return self.state_dir / "logs"


def _secret(state_dir: Path, env: Mapping[str, str], name: str) -> str:
    value = env.get(name) or local_secret(state_dir / "secrets", name.lower())
    if not _SECRET.match(value):
        raise ValueError(f"{name} must be 16-128 letters, digits, '-' or '_'")
    return value


def _reachable(listen_host: str) -> str:
    """An address to reach a server listening on ``listen_host`` from this machine."""
    return "127.0.0.1" if listen_host in ("0.0.0.0", "::", "") else listen_host  # noqa: S104


@dataclass
class RunningProfile:
    settings: ProdSettings
    postgres: Postgres
    nginx: Nginx
    env: Dict[str, str]
    actions: Optional[subprocess.Popen] = None
    replicas: Dict[int, subprocess.Popen] = field(default_factory=dict)
    console: Optional[subprocess.Popen] = None
    console_env: Dict[str, str] = field(default_factory=dict)

    @property
    def patient_url(self) -> str:
        return f"http://{_reachable(self.settings.listen_host)}:{self.settings.patient_port}"

    @property
    def staff_url(self) -> str:
        return f"http://{_reachable(self.settings.staff_listen_host)}:{self.settings.staff_port}"

    def processes(self) -> List[subprocess.Popen]:
        return [p for p in (self.console, *self.replicas.values(), self.actions) if p is not None]

    def stop(self) -> None:
        self.nginx.stop()
        stop(self.processes())
        self.postgres.stop()


def _log_path(settings: ProdSettings, name: str) -> Path:
    return settings.log_dir / f"{name}.log"


def _log(settings: ProdSettings, name: str) -> BinaryIO:
    """The server's log, opened for appending (mode 600). The child gets its own copy of the
    descriptor: close this one once the child is started."""
    settings.log_dir.mkdir(parents=True, exist_ok=True)
    path = _log_path(settings, name)
    handle = path.open("ab")
    path.chmod(0o600)
    return handle


def start_replica(profile: RunningProfile, root: Path, model: Path, port: int) -> subprocess.Popen:
    """Start (or restart) the replica on ``port``; returns at once (see ``wait_ready``)."""
    with _log(profile.settings, f"rasa-{port}") as sink:
        process = subprocess.Popen(
            [
                *server_command(),
                "run",
                "--model",
                str(model),
                "--interface",
                "127.0.0.1",  # replicas are reached through nginx only
                "--port",
                str(port),
                "--endpoints",
                str(root / "deploy" / "endpoints.prod.yml"),
                "--credentials",
                profile.env["PROD_CREDENTIALS"],
            ],
            cwd=root,
            env=profile.env,
            stdout=sink,
            stderr=subprocess.STDOUT,
        )
    profile.replicas[port] = process
    return process


# What only the Rasa replicas may hold: the action server and the console get none of it.
REPLICA_SECRETS = (
    "TRACKER_DB_PASSWORD",
    "SMS_STATE_DB_URL",
    "REST_TOKEN",
    "WEB_SESSION_SECRET",
    "SMS_ID_SECRET",
    "TWILIO_AUTH_TOKEN",
)


# What only the staff console may hold: where alerts go and how they are signed (a Slack or
# Teams incoming-webhook URL is itself a credential: anyone with it can post to the channel).
CONSOLE_SECRETS = ("ALERT_WEBHOOK_URL", "ALERT_WEBHOOK_SECRET", "ALERT_SMTP_PASSWORD")


def without(env: Mapping[str, str], names: Iterable[str]) -> Dict[str, str]:
    """``env`` minus ``names``."""
    dropped = set(names)
    return {name: value for name, value in env.items() if name not in dropped}


def spawn_actions(profile: RunningProfile, root: Path = ROOT) -> subprocess.Popen:
    """Start (or restart) the action server; returns at once."""
    port = profile.settings.action_port
    with _log(profile.settings, "actions") as sink:
        profile.actions = subprocess.Popen(
            [sys.executable, "-m", "assistant.action_server"],
            cwd=root,
            env={
                **without(profile.env, REPLICA_SECRETS),
                "ACTION_HOST": "127.0.0.1",
                "ACTION_PORT": str(port),
            },
            stdout=sink,
            stderr=subprocess.STDOUT,
        )
    return profile.actions


def start_actions(profile: RunningProfile, root: Path = ROOT) -> subprocess.Popen:
    """Start (or restart) the action server and wait until it answers."""
    port = profile.settings.action_port
    process = spawn_actions(profile, root)
    wait_for_http(
        f"http://127.0.0.1:{port}/health",
        120,
        process,
        what="the action server",
        log=_log_path(profile.settings, "actions"),
    )
    return process


def spawn_console(profile: RunningProfile, root: Path = ROOT) -> subprocess.Popen:
    """Start (or restart) the staff console; returns at once."""
    with _log(profile.settings, "console") as sink:
        profile.console = subprocess.Popen(
            [sys.executable, "-m", "assistant.console", "serve"],
            cwd=root,
            env=profile.console_env,
            stdout=sink,
            stderr=subprocess.STDOUT,
        )
    return profile.console


def wait_ready(
    port: int, process: subprocess.Popen, timeout_s: float, log: Optional[Path] = None
) -> None:
    """Wait until the replica on ``port`` says it is ready (its model loaded)."""
    wait_for_http(
        f"http://127.0.0.1:{port}/webhooks/rest/ready",
        timeout_s,
        process,
        what=f"Rasa replica on port {port}",
        log=log,
        request_timeout_s=3.0,
    )


def nginx_config(settings: ProdSettings) -> str:
    """nginx's configuration for ``settings``: deploy/nginx.conf.template filled in."""
    template = string.Template((ROOT / "deploy" / "nginx.conf.template").read_text())
    servers = "\n".join(
        f"        server 127.0.0.1:{port} max_fails=1 fail_timeout=5s;"
        for port in settings.rasa_ports
    )
    config = template.safe_substitute(  # nginx's own $variables stay as they are
        state_dir=str(settings.state_dir / "nginx"),
        log_dir=str(settings.log_dir / "nginx"),
        rasa_servers=servers,
        console_port=settings.console_port,
        listen_host=settings.listen_host,
        patient_port=settings.patient_port,
        staff_listen_host=settings.staff_listen_host,
        staff_port=settings.staff_port,
        web_rate=settings.web_rate_per_s,
        web_burst=settings.web_burst,
        sms_rate=settings.sms_rate_per_s,
        sms_burst=settings.sms_burst,
        login_rate=settings.login_rate_per_min,
        login_burst=settings.login_burst,
        patient_conns=settings.patient_conns_per_address,
    )
    unfilled = re.findall(r"\$\{\w+\}", config)
    if unfilled:
        raise ValueError(f"nginx.conf.template: no value for {sorted(set(unfilled))}")
    return config


def start_profile(
    settings: ProdSettings,
    root: Path = ROOT,
    model: Optional[Path] = None,
    base_env: Optional[Mapping[str, str]] = None,
    progress: bool = True,
) -> RunningProfile:
    """Start everything and wait until every replica is ready. Stops what started on failure."""
    env_in = dict(base_env if base_env is not None else os.environ)
    state = settings.state_dir
    state.mkdir(parents=True, exist_ok=True)
    say = print if progress else (lambda *_a, **_k: None)
    model = model or ensure_model(root)
    # One role each (assistant.ops.db_roles): the owner creates the schema at setup, Rasa
    # appends events, the console reads them and keeps its own tables.
    postgres = Postgres(
        state / "postgres",
        settings.postgres_port,
        admin_password=_secret(state, env_in, "POSTGRES_ADMIN_PASSWORD"),
        rasa_password=_secret(state, env_in, "TRACKER_DB_PASSWORD"),
        console_password=_secret(state, env_in, "CONSOLE_DB_PASSWORD"),
        owner_password=_secret(state, env_in, "POSTGRES_OWNER_PASSWORD"),
    )
    nginx = Nginx(state / "nginx", nginx_config(settings), settings.log_dir / "nginx")
    rest_token = _secret(state, env_in, "REST_TOKEN")
    credentials, channel_env, _ = prepare_channels(
        state, root / "credentials.yml", {**env_in, "REST_TOKEN": rest_token}
    )
    # Database secrets reach only the process whose role they are.
    database_secrets = (
        "POSTGRES_ADMIN_PASSWORD",
        "POSTGRES_OWNER_PASSWORD",
        "CONSOLE_DB_PASSWORD",
        "CONSOLE_DB_URL",
        "TRACKER_DB_PASSWORD",
        "SMS_STATE_DB_URL",
    )
    env = {
        **without(env_in, (*database_secrets, *CONSOLE_SECRETS)),
        **channel_env,
        "PYTHONPATH": str(root),
        "RASA_TELEMETRY_ENABLED": "false",
        "ASSISTANT_REQUIRE_CHANNEL_SECRETS": "1",  # a channel without its secret stops Rasa
        "PYTHONWARNINGS": env_in.get("PYTHONWARNINGS", "ignore"),
        "LOG_LEVEL": settings.log_level,
        "LOG_LEVEL_LIBRARIES": "ERROR",
        "ACTION_SERVER_URL": f"http://127.0.0.1:{settings.action_port}/webhook",
        "TRACKER_DB_HOST": "127.0.0.1",
        "TRACKER_DB_PORT": str(settings.postgres_port),
        "TRACKER_DB_NAME": postgres.database,
        "TRACKER_DB_USER": postgres.roles.rasa,
        "TRACKER_DB_PASSWORD": postgres.rasa_password,
        "SMS_STATE_DB_URL": postgres.url("rasa"),
        "PROD_CREDENTIALS": str(credentials),
        "SMS_PUBLIC_URL": env_in.get("SMS_PUBLIC_URL")
        or f"http://{settings.listen_host}:{settings.patient_port}/webhooks/sms/webhook",
        "WEB_TRUSTED_PROXIES": "127.0.0.1",  # the replicas are behind nginx
        "WEB_COOKIE_SECURE": env_in.get("WEB_COOKIE_SECURE", "1"),
        "REST_TOKEN": rest_token,
    }
    # An older version kept the SMS opt-outs in a SQLite file: setup copies them over.
    old_sms_state = Path(env_in.get("SMS_STATE_DB") or state / "sms.db")
    profile = RunningProfile(settings, postgres, nginx, env)
    profile.console_env = {
        **without(env, (*REPLICA_SECRETS, "ACTION_SERVER_TOKEN")),
        "CONSOLE_HOST": "127.0.0.1",
        "CONSOLE_PORT": str(settings.console_port),
        "CONSOLE_DB_URL": postgres.url("console"),
        "CONSOLE_TRUSTED_PROXIES": "127.0.0.1",
        # Alert links point at the staff server of nginx, unless set otherwise.
        "CONSOLE_PUBLIC_URL": env_in.get("CONSOLE_PUBLIC_URL") or profile.staff_url,
        **{name: env_in[name] for name in CONSOLE_SECRETS if name in env_in},
    }
    try:
        say("==> PostgreSQL (tracker store and conversation locks)", flush=True)
        postgres.init()
        postgres.start()
        postgres.setup_roles(sms_state=old_sms_state)  # every start: migrates older layouts
        say("==> Action server", flush=True)
        start_actions(profile, root)
        say(f"==> {len(settings.rasa_ports)} Rasa replicas (about 30 s)", flush=True)
        for port in settings.rasa_ports:
            start_replica(profile, root, model, port)
        for port, process in profile.replicas.items():
            wait_ready(port, process, 300, _log_path(settings, f"rasa-{port}"))
        say("==> Staff console and nginx", flush=True)
        console = spawn_console(profile, root)
        wait_for_http(
            f"http://127.0.0.1:{settings.console_port}/health",
            120,
            console,
            what="the staff console",
            log=_log_path(settings, "console"),
        )
        nginx.start(settings.patient_port)
    except BaseException:
        profile.stop()
        raise
    return profile


def supervisor(profile: RunningProfile, root: Path, model: Path) -> Supervisor:
    """The profile's Rasa replicas, action server and console, restarted when they die.
    PostgreSQL and nginx are not supervised (on several machines, systemd does that)."""
    settings = profile.settings
    children = [
        Child(
            f"replica :{port}",
            partial(start_replica, profile, root, model, port),
            profile.replicas.get(port),
        )
        for port in settings.rasa_ports
    ]
    children.append(
        Child(
            f"action server :{settings.action_port}",
            partial(spawn_actions, profile, root),
            profile.actions,
        )
    )
    children.append(
        Child(
            f"console :{settings.console_port}",
            partial(spawn_console, profile, root),
            profile.console,
        )
    )
    return Supervisor(children)


def main() -> int:
    settings = ProdSettings.from_env(os.environ)
    started = time.monotonic()
    model = ensure_model(ROOT)
    profile = start_profile(settings, ROOT, model)
    first = settings.rasa_ports[0]
    secrets_dir = settings.state_dir / "secrets"
    print(
        f"\nProduction profile ready in {time.monotonic() - started:.0f} s.\n"
        f"  Patients (nginx -> {len(settings.rasa_ports)} Rasa replicas): web chat and SMS only\n"
        f"    Chat demo: {profile.patient_url}/webhooks/web/demo\n"
        f"    SMS webhook: {profile.patient_url}/webhooks/sms/webhook\n"
        f"  Staff console (nginx): http://{settings.staff_listen_host}:{settings.staff_port}\n"
        "  REST channel (integrations; on each replica, not through nginx; bearer token):\n"
        f"    CHAT_URL=http://127.0.0.1:{first}/webhooks/rest/webhook "
        f"REST_TOKEN=$(cat {secrets_dir / 'rest_token'}) make shell\n"
        f"  Logs: {settings.log_dir}   Secrets: {secrets_dir}\n"
        "A server that dies is restarted (one line here each time). Press Ctrl-C to stop.\n",
        flush=True,
    )
    supervisor(profile, ROOT, model).run(profile.stop)
    return 0


if __name__ == "__main__":
    sys.exit(main())
