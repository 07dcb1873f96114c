"""The production profile's supervisor, with fake processes and a fake clock: a dead server is
restarted (one line each), live ones are left alone, a crash loop is slowed down, and
stopping restarts nothing."""

from __future__ import annotations

import os
import signal
import subprocess
from pathlib import Path
from typing import Any, Dict, List, Optional

import pytest

from assistant.ops import prod
from assistant.ops.prod import ProdSettings, RunningProfile
from assistant.ops.services import Nginx, Postgres
from assistant.ops.supervisor import Child, Supervisor


class FakeProcess:
    def __init__(self, returncode: Optional[int] = None) -> None:
        self.returncode = returncode

    def poll(self) -> Optional[int]:
        return self.returncode


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


class Starts:
    """A child's ``start``: records each call and returns a new live fake process."""

    def __init__(self) -> None:
        self.started: List[FakeProcess] = []

    def __call__(self) -> FakeProcess:
        self.started.append(FakeProcess())
        return self.started[-1]


def _supervisor(children: List[Child], clock: Clock, lines: List[str]) -> Supervisor:
    return Supervisor(children, clock=clock, say=lines.append)


def test_a_dead_replica_is_restarted_and_live_ones_are_left() -> None:
    clock, lines = Clock(), []
    live, dead = FakeProcess(), FakeProcess()
    starts = {5006: Starts(), 5007: Starts()}
    children = [
        Child("replica :5006", starts[5006], live),
        Child("replica :5007", starts[5007], dead),
    ]
    supervisor = _supervisor(children, clock, lines)
    assert supervisor.check() == []
    dead.returncode = -signal.SIGKILL
    clock.now += 3600
    assert supervisor.check() == ["replica :5007"]
    assert lines == ["replica :5007 exited (signal 9); restarting"]
    assert starts[5006].started == [] and len(starts[5007].started) == 1
    assert children[1].process is starts[5007].started[0]
    assert supervisor.check() == []  # the new one is alive: nothing more
    assert len(lines) == 1


def test_an_exit_code_is_reported_as_such() -> None:
    clock, lines = Clock(), []
    supervisor = _supervisor([Child("console :5010", Starts(), FakeProcess(1))], clock, lines)
    supervisor.check()
    assert lines == ["console :5010 exited (code 1); restarting"]


def _dies(child: Child, returncode: int) -> None:
    assert isinstance(child.process, FakeProcess)
    child.process.returncode = returncode


def test_a_crash_loop_is_backed_off_up_to_30_s_and_forgiven_after_a_good_run() -> None:
    clock, lines = Clock(), []
    child = Child("replica :5006", Starts(), FakeProcess(-signal.SIGKILL))
    supervisor = _supervisor([child], clock, lines)
    assert supervisor.check() == [child.name]  # the first death: at once
    waits: List[float] = []
    for _ in range(8):
        clock.now += 5  # it dies again within a minute of its start
        _dies(child, 1)
        died_at = clock.now
        while not supervisor.check():
            clock.now += 0.5
        waits.append(clock.now - died_at)
    assert waits == [1, 2, 4, 8, 16, 30, 30, 30]
    assert lines[0] == "replica :5006 exited (signal 9); restarting"
    assert lines[1] == "replica :5006 exited (code 1); restarting in 1 s"
    assert lines[-1] == "replica :5006 exited (code 1); restarting in 30 s"
    assert len(lines) == 9  # one line per restart
    # After a run of a minute or more, the next death is restarted at once again.
    clock.now += 60
    _dies(child, -signal.SIGKILL)
    assert supervisor.check() == [child.name]
    assert lines[-1] == "replica :5006 exited (signal 9); restarting"


def test_a_start_that_fails_is_tried_again_later() -> None:
    clock, lines = Clock(), []
    calls: List[int] = []

    def start() -> FakeProcess:
        calls.append(1)
        if len(calls) == 1:
            raise OSError("out of file descriptors")
        return FakeProcess()

    child = Child("action server :5055", start, FakeProcess(-signal.SIGKILL))
    supervisor = _supervisor([child], clock, lines)
    assert supervisor.check() == []
    assert lines[-1] == "action server :5055 did not start (OSError); trying again in 1 s"
    assert supervisor.check() == []
    clock.now += 1
    assert supervisor.check() == [child.name]
    assert len(calls) == 2


def test_stopping_restarts_nothing_and_stops_everything_once() -> None:
    lines: List[str] = []
    stopped: List[int] = []
    starts = Starts()
    handlers = {number: signal.getsignal(number) for number in (signal.SIGINT, signal.SIGTERM)}

    class SignalledProcess(FakeProcess):
        """Ctrl-C reaches the whole process group: the child dies as the supervisor is told
        to stop (here, SIGTERM sent to the test process while ``run`` waits)."""

        def poll(self) -> Optional[int]:
            if self.returncode is None:
                self.returncode = -signal.SIGTERM
                os.kill(os.getpid(), signal.SIGTERM)
                return None  # still alive at this look; dead at the next
            return self.returncode

    child = Child("replica :5006", starts, SignalledProcess())
    supervisor = Supervisor([child], say=lines.append)
    supervisor.run(lambda: stopped.append(1), interval_s=0.01)
    assert stopped == [1]
    assert starts.started == []  # the child that died on the way out was not restarted
    assert lines == ["Stopping..."]
    assert supervisor.check() == []
    assert {n: signal.getsignal(n) for n in handlers} == handlers  # the test's own again


def _profile(tmp_path: Path) -> RunningProfile:
    settings = ProdSettings(state_dir=tmp_path, rasa_ports=(5006, 5007))
    postgres = Postgres(tmp_path / "postgres", 5433, "a" * 16, "b" * 16, "c" * 16)
    nginx = Nginx(tmp_path / "nginx", "", tmp_path / "logs" / "nginx")
    env = {"PROD_CREDENTIALS": str(tmp_path / "credentials.yml"), "TRACKER_DB_PASSWORD": "x"}
    profile = RunningProfile(settings, postgres, nginx, env)
    profile.console_env = {"CONSOLE_PORT": "5010"}
    return profile


def test_the_profile_supervisor_restarts_its_servers_with_their_own_commands(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    launched: List[Dict[str, Any]] = []

    def popen(argv: List[str], **kwargs: Any) -> FakeProcess:
        launched.append({"argv": argv, **kwargs})
        return FakeProcess()

    monkeypatch.setattr(prod.subprocess, "Popen", popen)
    profile = _profile(tmp_path)
    profile.replicas = {5006: FakeProcess(), 5007: FakeProcess(-9)}
    profile.actions = FakeProcess(-9)
    profile.console = FakeProcess(-9)
    lines: List[str] = []
    supervisor = prod.supervisor(profile, tmp_path, tmp_path / "model.tar.gz")
    supervisor.say = lines.append
    assert supervisor.check() == ["replica :5007", "action server :5055", "console :5010"]
    assert lines == [
        "replica :5007 exited (signal 9); restarting",
        "action server :5055 exited (signal 9); restarting",
        "console :5010 exited (signal 9); restarting",
    ]
    replica, actions, console = launched
    assert replica["argv"][-6:-4] == ["--port", "5007"]
    assert "--model" in replica["argv"] and str(tmp_path / "model.tar.gz") in replica["argv"]
    assert replica["env"] is profile.env
    assert "TRACKER_DB_PASSWORD" not in actions["env"]  # the action server holds no secret
    assert console["env"] == profile.console_env
    # The profile knows the new processes, so stopping it stops them.
    assert profile.replicas[5007] is supervisor.children[1].process
    assert profile.actions is supervisor.children[2].process
    assert profile.console is supervisor.children[3].process
    assert len(profile.processes()) == 4
    # Each start's log is appended to, private, and closed again in this process.
    for name in ("rasa-5007", "actions", "console"):
        log = tmp_path / "logs" / f"{name}.log"
        assert log.exists() and log.stat().st_mode & 0o777 == 0o600
    assert all(entry["stdout"].closed for entry in launched)
    assert all(entry["stderr"] == subprocess.STDOUT for entry in launched)
