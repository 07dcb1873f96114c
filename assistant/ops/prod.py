"""``python -m assistant.ops.prod`` (``make run-prod``): the production profile on one machine.

PostgreSQL (tracker store) and Redis (lock store) from Debian's packages, two or more Rasa
replicas behind nginx, the action server and the staff console; everything on 127.0.0.1
unless configured otherwise. State, secrets and logs are kept in ``.state/prod/``.

    patients --> nginx :8080 --> rasa replica :5006 --\\      /--> PostgreSQL :5433
                                 rasa replica :5007 ---+-----+
    staff ----> nginx :8081 --> console :5010 ---------/      \\--> Redis :6380 (locks)
                                 (replicas call the action server :5055)
"""

from __future__ import annotations

import os
import re
import string
import subprocess
import sys
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path
from typing import BinaryIO, Dict, List, Mapping, Optional

from assistant.ops.run import (
    _local_secret,
    prepare_channels,
    run_until_stopped,
    stop,
    wait_until_up,
)
from assistant.ops.services import Nginx, Postgres, Redis
from assistant.ops.train import ensure_model
from assistant.rasa_server import server_command

ROOT = Path(__file__).resolve().parents[2]
_SECRET = re.compile(r"^[A-Za-z0-9_\-]{16,128}$")


def _port(env: Mapping[str, str], name: str, default: int) -> int:
    return int(env.get(name, str(default)))


@dataclass(frozen=True)
class ProdSettings:
    state_dir: Path
    listen_host: str = "127.0.0.1"
    patient_port: int = 8080
    staff_port: int = 8081
    rasa_ports: tuple[int, ...] = (5006, 5007)
    action_port: int = 5055
    console_port: int = 5010
    postgres_port: int = 5433
    redis_port: int = 6380
    log_level: str = "INFO"

    @classmethod
    def from_env(cls, env: Mapping[str, str], root: Path = ROOT) -> ProdSettings:
        replicas = int(env.get("RASA_REPLICAS", "2"))
        first = _port(env, "RASA_FIRST_PORT", 5006)
        return cls(
            state_dir=Path(env.get("PROD_STATE_DIR", str(root / ".state" / "prod"))),
            listen_host=env.get("PROD_LISTEN_HOST", "127.0.0.1"),
            patient_port=_port(env, "PROD_PATIENT_PORT", 8080),
            staff_port=_port(env, "PROD_STAFF_PORT", 8081),
            rasa_ports=tuple(first + i for i in range(max(1, replicas))),
            action_port=_port(env, "ACTION_PORT", 5055),
            console_port=_port(env, "CONSOLE_PORT", 5010),
            postgres_port=_port(env, "POSTGRES_PORT", 5433),
            redis_port=_port(env, "REDIS_PORT", 6380),
            log_level=env.get("PROD_LOG_LEVEL", "INFO"),
        )

    @property
    def log_dir(self) -> Path:
        return self.state_dir / "logs"


def _secret(state_dir: Path, env: Mapping[str, str], name: str) -> str:
    value = env.get(name) or _local_secret(state_dir / "secrets", name.lower())
    if not _SECRET.match(value):
        raise ValueError(f"{name} must be 16-128 letters, digits, '-' or '_'")
    return value


@dataclass
class RunningProfile:
    settings: ProdSettings
    postgres: Postgres
    redis: Redis
    nginx: Nginx
    env: Dict[str, str]
    actions: Optional[subprocess.Popen] = None
    replicas: Dict[int, subprocess.Popen] = field(default_factory=dict)
    console: Optional[subprocess.Popen] = None

    @property
    def patient_url(self) -> str:
        return f"http://127.0.0.1:{self.settings.patient_port}"

    @property
    def staff_url(self) -> str:
        return f"http://127.0.0.1:{self.settings.staff_port}"

    def processes(self) -> List[subprocess.Popen]:
        return [p for p in (self.console, *self.replicas.values(), self.actions) if p is not None]

    def stop(self) -> None:
        self.nginx.stop()
        stop(self.processes())
        self.redis.stop()
        self.postgres.stop()


def replica_ready(port: int, timeout_s: float = 3.0) -> bool:
    url = f"http://127.0.0.1:{port}/webhooks/rest/ready"
    try:
        with urllib.request.urlopen(url, timeout=timeout_s) as reply:
            return bool(reply.status == 200)
    except (urllib.error.URLError, ConnectionError, TimeoutError):
        return False


def _log(settings: ProdSettings, name: str) -> BinaryIO:
    settings.log_dir.mkdir(parents=True, exist_ok=True)
    path = settings.log_dir / f"{name}.log"
    handle = path.open("ab")
    path.chmod(0o600)
    return handle


def start_replica(profile: RunningProfile, root: Path, model: Path, port: int) -> subprocess.Popen:
    settings = profile.settings
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
        stdout=_log(settings, f"rasa-{port}"),
        stderr=subprocess.STDOUT,
    )
    profile.replicas[port] = process
    return process


def start_actions(profile: RunningProfile, root: Path = ROOT) -> subprocess.Popen:
    """Start (or restart) the action server and wait until it answers."""
    port = profile.settings.action_port
    profile.actions = subprocess.Popen(
        [sys.executable, "-m", "assistant.action_server"],
        cwd=root,
        env={**profile.env, "ACTION_HOST": "127.0.0.1", "ACTION_PORT": str(port)},
        stdout=_log(profile.settings, "actions"),
        stderr=subprocess.STDOUT,
    )
    wait_until_up(f"http://127.0.0.1:{port}/health", profile.actions, 120)
    return profile.actions


def wait_ready(port: int, process: subprocess.Popen, timeout_s: float) -> None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"Rasa replica on port {port} exited ({process.returncode})")
        if replica_ready(port):
            return
        time.sleep(0.5)
    raise TimeoutError(f"Rasa replica on port {port} was not ready in {timeout_s:.0f} s")


def nginx_config(settings: ProdSettings) -> str:
    template = string.Template((ROOT / "deploy" / "nginx.conf.template").read_text())
    servers = "\n".join(
        f"        server 127.0.0.1:{port} max_fails=1 fail_timeout=5s;"
        for port in settings.rasa_ports
    )
    return template.safe_substitute(
        state_dir=str(settings.state_dir / "nginx"),
        log_dir=str(settings.log_dir / "nginx"),
        rasa_servers=servers,
        console_port=settings.console_port,
        listen_host=settings.listen_host,
        patient_port=settings.patient_port,
        staff_port=settings.staff_port,
    )


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
    postgres = Postgres(
        state / "postgres",
        settings.postgres_port,
        app_password=_secret(state, env_in, "TRACKER_DB_PASSWORD"),
        admin_password=_secret(state, env_in, "POSTGRES_ADMIN_PASSWORD"),
    )
    redis = Redis(state / "redis", settings.redis_port, _secret(state, env_in, "REDIS_PASSWORD"))
    nginx = Nginx(state / "nginx", nginx_config(settings), settings.log_dir / "nginx")
    credentials, channel_env, _ = prepare_channels(state, root / "credentials.yml", env_in)
    env = {
        **env_in,
        **channel_env,
        "PYTHONPATH": str(root),
        "RASA_TELEMETRY_ENABLED": "false",
        "PYTHONWARNINGS": env_in.get("PYTHONWARNINGS", "ignore"),
        "LOG_LEVEL": settings.log_level,
        "LOG_LEVEL_LIBRARIES": "ERROR",
        "ACTION_SERVER_URL": f"http://127.0.0.1:{settings.action_port}/webhook",
        "TRACKER_DB_HOST": "127.0.0.1",
        "TRACKER_DB_PORT": str(settings.postgres_port),
        "TRACKER_DB_NAME": postgres.database,
        "TRACKER_DB_USER": postgres.app_user,
        "TRACKER_DB_PASSWORD": postgres.app_password,
        "REDIS_HOST": "127.0.0.1",
        "REDIS_PORT": str(settings.redis_port),
        "REDIS_PASSWORD": redis.password,
        "PROD_CREDENTIALS": str(credentials),
        "SMS_STATE_DB": env_in.get("SMS_STATE_DB", str(state / "sms.db")),
    }
    profile = RunningProfile(settings, postgres, redis, nginx, env)
    try:
        say("==> PostgreSQL (tracker store)", flush=True)
        postgres.init()
        postgres.start()
        say("==> Redis (lock store)", flush=True)
        redis.start()
        say("==> Action server", flush=True)
        start_actions(profile, root)
        say(f"==> {len(settings.rasa_ports)} Rasa replicas (about 30 s)", flush=True)
        for port in settings.rasa_ports:
            start_replica(profile, root, model, port)
        for port, process in profile.replicas.items():
            wait_ready(port, process, 300)
        say("==> Staff console and nginx", flush=True)
        profile.console = subprocess.Popen(
            [sys.executable, "-m", "assistant.console", "serve"],
            cwd=root,
            env={
                **env,
                "CONSOLE_HOST": "127.0.0.1",
                "CONSOLE_PORT": str(settings.console_port),
                "CONSOLE_DB_URL": postgres.url(),
                "CONSOLE_PROXIES_COUNT": "1",
            },
            stdout=_log(settings, "console"),
            stderr=subprocess.STDOUT,
        )
        wait_until_up(f"http://127.0.0.1:{settings.console_port}/health", profile.console, 120)
        nginx.start(settings.patient_port)
    except BaseException:
        profile.stop()
        raise
    return profile


def main() -> int:
    settings = ProdSettings.from_env(os.environ)
    started = time.monotonic()
    profile = start_profile(settings)
    print(
        f"\nProduction profile ready in {time.monotonic() - started:.0f} s.\n"
        f"  Patients (nginx -> {len(settings.rasa_ports)} Rasa replicas): "
        f"{profile.patient_url}/webhooks/rest/webhook\n"
        f"  Chat demo: {profile.patient_url}/webhooks/web/demo\n"
        f"  Staff console (nginx): {profile.staff_url}\n"
        f"  Logs: {settings.log_dir}   Secrets: {settings.state_dir / 'secrets'}\n"
        "Press Ctrl-C to stop.\n",
        flush=True,
    )
    run_until_stopped(profile.processes(), profile.stop)
    return 0


if __name__ == "__main__":
    sys.exit(main())
