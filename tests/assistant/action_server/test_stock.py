"""rasa-sdk's own action server (``rasa run actions``) refuses to start in this project: it
has no authentication and its errors echo the tracker (assistant.action_server.stock)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from rasa_sdk.plugin import plugin_manager
from sanic import Sanic

from assistant.action_server.stock import REFUSAL, StockServerRefusal, init_hooks
from assistant.ops.processes import free_port

ROOT = Path(__file__).resolve().parents[3]


def test_rasa_sdk_finds_the_refusal_and_it_stops_the_stock_server() -> None:
    manager = plugin_manager()  # imports the project's rasa_sdk_plugins (ROOT is on sys.path)
    assert any(isinstance(plugin, StockServerRefusal) for plugin in manager.get_plugins())
    with pytest.raises(SystemExit) as stopped:
        manager.hook.attach_sanic_app_extensions(app=Sanic("stock_action_server_test"))
    assert stopped.value.code == REFUSAL


def test_init_hooks_registers_one_plugin() -> None:
    import pluggy

    manager = pluggy.PluginManager("rasa_sdk")
    init_hooks(manager)
    assert len(manager.get_plugins()) == 1


def test_rasa_run_actions_stops_with_one_line() -> None:
    env = {name: os.environ[name] for name in ("PATH", "HOME") if name in os.environ}
    done = subprocess.run(
        [str(Path(sys.executable).with_name("rasa")), "run", "actions", "--port", str(free_port())],
        cwd=ROOT,
        env={**env, "ACTION_SERVER_TOKEN": "a" * 32, "RASA_TELEMETRY_ENABLED": "false"},
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 1
    assert done.stderr.splitlines()[-1] == REFUSAL
    assert "Action endpoint is up and running" not in done.stdout + done.stderr
