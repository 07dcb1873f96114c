"""nginx's configuration for the production profile (``nginx_config``): what each server
listens on and passes on, its rate limits, and its error logs."""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path
from typing import Dict, List

import pytest

from assistant.ops.prod import ProdSettings, nginx_config


def blocks(text: str, opening: str) -> List[str]:
    """The bodies of the ``opening { ... }`` blocks in ``text`` (nested braces kept)."""
    found = []
    for match in re.finditer(rf"(?m)^\s*{re.escape(opening)}\s*\{{", text):
        depth, start = 1, match.end()
        position = start
        while depth:
            depth += {"{": 1, "}": -1}.get(text[position], 0)
            position += 1
        found.append(text[start : position - 1])
    return found


def without_comments(config: str) -> str:
    return re.sub(r"(?m)#.*$", "", config)


def servers(settings: ProdSettings) -> Dict[str, str]:
    patient, staff = blocks(without_comments(nginx_config(settings)), "server")
    return {"patient": patient, "staff": staff}


def locations(server: str) -> Dict[str, str]:
    """Each location's body by its match (``/webhooks/web/``, ``= /login``, ...)."""
    found = {}
    for match in re.finditer(r"(?m)^\s*location\s+([^{]+?)\s*\{", server):
        body = blocks(server[match.start() :], f"location {match.group(1)}")[0]
        found[match.group(1)] = body
    return found


@pytest.fixture
def settings(tmp_path: Path) -> ProdSettings:
    return ProdSettings(state_dir=tmp_path)


def test_the_staff_server_has_its_own_listen_address(tmp_path: Path) -> None:
    chosen = ProdSettings(
        state_dir=tmp_path,
        listen_host="192.0.2.10",
        patient_port=8443,
        staff_listen_host="10.20.0.5",
        staff_port=9443,
    )
    found = servers(chosen)
    assert re.findall(r"listen\s+([^;]+);", found["patient"]) == ["192.0.2.10:8443"]
    assert re.findall(r"listen\s+([^;]+);", found["staff"]) == ["10.20.0.5:9443"]


def test_the_staff_listen_address_comes_from_the_environment(tmp_path: Path) -> None:
    env = {"PROD_STATE_DIR": str(tmp_path), "PROD_STAFF_LISTEN_HOST": "10.20.0.5"}
    assert ProdSettings.from_env(env).staff_listen_host == "10.20.0.5"
    assert ProdSettings.from_env({"PROD_LISTEN_HOST": "0.0.0.0"}).staff_listen_host == "127.0.0.1"


@pytest.mark.parametrize("host", ["", "0.0.0.0:80; include /etc/passwd", "a b", "::1"])
def test_a_listen_address_that_would_rewrite_the_config_is_refused(
    tmp_path: Path, host: str
) -> None:
    with pytest.raises(ValueError, match="staff_listen_host"):
        ProdSettings(state_dir=tmp_path, staff_listen_host=host)


MESSAGES = ("= /webhooks/web/message", "= /webhooks/sms/webhook")


def test_patients_reach_the_web_and_sms_channels_only(settings: ProdSettings) -> None:
    patient = locations(servers(settings)["patient"])
    assert set(patient) == {*MESSAGES, "/webhooks/web/", "/webhooks/sms/", "/"}
    assert "return 404;" in patient["/"]
    # A path in proxy_pass: Rasa gets the normalised path that matched, never /webhooks/rest.
    assert "proxy_pass http://rasa_replicas/webhooks/web/;" in patient["/webhooks/web/"]
    assert "proxy_pass http://rasa_replicas/webhooks/sms/;" in patient["/webhooks/sms/"]
    assert "proxy_pass http://rasa_replicas/webhooks/web/message;" in patient[MESSAGES[0]]
    assert "proxy_pass http://rasa_replicas/webhooks/sms/webhook;" in patient[MESSAGES[1]]
    assert "/webhooks/rest" not in servers(settings)["patient"]


def _directive(body: str, name: str) -> List[str]:
    return re.findall(rf"(?m)^\s*{name}\s+([^;]+);", body)


def test_only_patient_messages_are_retried_after_reaching_a_replica(
    settings: ProdSettings,
) -> None:
    """The web and SMS messages are idempotent (the channels answer each key once), so nginx
    re-sends them to another replica even when the first one died after receiving them;
    other POSTs (a new session, a rating) are re-sent only if they never got through."""
    server = servers(settings)["patient"]
    patient = locations(server)
    for match in MESSAGES:
        (retry,) = _directive(patient[match], "proxy_next_upstream")
        assert "non_idempotent" in retry.split() and {"error", "timeout"} <= set(retry.split())
    for match in ("/webhooks/web/", "/webhooks/sms/"):
        assert _directive(patient[match], "proxy_next_upstream") == []  # the server's policy
    outside = re.sub(r"(?s)location[^{]*\{[^}]*\}", "", server)
    (default,) = _directive(outside, "proxy_next_upstream")
    assert "non_idempotent" not in default
    # Bounded: a few tries, within the provider's 15 s.
    assert _directive(outside, "proxy_next_upstream_tries") == ["3"]
    assert _directive(outside, "proxy_next_upstream_timeout") == ["12s"]
    assert _directive(outside, "proxy_read_timeout") == ["10s"]


def test_the_replicas_share_one_zone_and_drop_a_dead_one_quickly(
    settings: ProdSettings,
) -> None:
    config = without_comments(nginx_config(settings))
    (upstream,) = blocks(config, "upstream rasa_replicas")
    assert _directive(upstream, "zone") == ["rasa_replicas 64k"]
    servers_ = _directive(upstream, "server")
    assert len(servers_) == len(settings.rasa_ports)
    assert all("max_fails=1" in s and "fail_timeout=5s" in s for s in servers_)
    assert _directive(upstream, "keepalive_timeout") == ["15s"]


def test_rate_limits_per_address(tmp_path: Path) -> None:
    chosen = ProdSettings(
        state_dir=tmp_path,
        web_rate_per_s=7,
        web_burst=31,
        sms_rate_per_s=45,
        sms_burst=190,
        login_rate_per_min=9,
        login_burst=4,
        patient_conns_per_address=33,
    )
    config = without_comments(nginx_config(chosen))
    rates = dict(re.findall(r"limit_req_zone\s+\S+\s+zone=(\w+):\S+\s+rate=(\S+);", config))
    assert rates == {"patient_web": "7r/s", "patient_sms": "45r/s", "staff_login": "9r/m"}
    assert "limit_req_zone $binary_remote_addr zone=patient_web:" in config
    assert "limit_req_zone $binary_remote_addr zone=patient_sms:" in config
    assert "limit_req_status 429;" in config and "limit_conn_status 429;" in config
    # Only sign-in POSTs count for the staff zone (an empty key is not counted).
    login_key = blocks(config, "map $request_method $staff_login_key")[0]
    assert re.search(r"POST\s+\$binary_remote_addr;", login_key)
    assert re.search(r'default\s+"";', login_key)
    patient = locations(servers(chosen)["patient"])
    for web in ("/webhooks/web/", "= /webhooks/web/message"):
        assert "limit_req zone=patient_web burst=31 nodelay;" in patient[web]
    for sms in ("/webhooks/sms/", "= /webhooks/sms/webhook"):
        assert "limit_req zone=patient_sms burst=190 nodelay;" in patient[sms]
    assert "limit_conn patient_conn 33;" in servers(chosen)["patient"]
    staff = locations(servers(chosen)["staff"])
    assert "limit_req zone=staff_login burst=4 nodelay;" in staff["= /login"]
    assert "limit_req" not in staff["/"]


def test_rate_limits_come_from_the_environment(tmp_path: Path) -> None:
    env = {
        "PROD_STATE_DIR": str(tmp_path),
        "PROD_WEB_RATE": "5",
        "PROD_WEB_BURST": "6",
        "PROD_SMS_RATE": "7",
        "PROD_SMS_BURST": "8",
        "PROD_LOGIN_RATE": "3",
        "PROD_LOGIN_BURST": "2",
        "PROD_PATIENT_CONNS": "9",
    }
    chosen = ProdSettings.from_env(env)
    assert (chosen.web_rate_per_s, chosen.web_burst) == (5, 6)
    assert (chosen.sms_rate_per_s, chosen.sms_burst) == (7, 8)
    assert (chosen.login_rate_per_min, chosen.login_burst) == (3, 2)
    assert chosen.patient_conns_per_address == 9
    with pytest.raises(ValueError, match="web_burst"):
        ProdSettings(state_dir=tmp_path, web_burst=0)


def test_the_staff_server_logs_only_critical_errors(settings: ProdSettings) -> None:
    config = without_comments(nginx_config(settings))
    log = settings.log_dir / "nginx" / "error.log"
    assert f"error_log {log} warn;" in config.split("http {")[0]
    assert re.findall(r"error_log\s+(\S+)\s+(\w+);", servers(settings)["staff"]) == [
        (str(log), "crit")
    ]
    # Neither log format carries the query string.
    assert "$request " not in config and "$request_uri" not in config and "$args" not in config


def test_every_placeholder_is_filled(settings: ProdSettings) -> None:
    config = nginx_config(settings)
    assert "${" not in config
    assert str(settings.state_dir / "nginx") in config


def test_nginx_accepts_the_configuration(tmp_path: Path) -> None:
    binary = shutil.which("nginx") or "/usr/sbin/nginx"
    if not Path(binary).exists():
        pytest.skip("nginx is not installed (scripts/ensure_prod_packages.sh installs it)")
    settings = ProdSettings(state_dir=tmp_path, staff_listen_host="127.0.0.2")
    for folder in ("nginx/tmp", "logs/nginx"):
        (tmp_path / folder).mkdir(parents=True)
    conf = tmp_path / "nginx" / "nginx.conf"
    conf.write_text(nginx_config(settings))
    error_log = str(tmp_path / "logs" / "nginx" / "error.log")
    check = subprocess.run(
        [binary, "-t", "-q", "-p", str(tmp_path / "nginx"), "-e", error_log, "-c", str(conf)],
        capture_output=True,
        text=True,
    )
    assert check.returncode == 0, check.stderr
