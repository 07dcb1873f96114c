"""Restart the production profile's servers when they die (``make run-prod``).

A Rasa replica killed by the kernel (out of memory) or by a crash must come back by itself,
as systemd's ``Restart=always`` brings back the units of a multi-machine deployment. nginx
OSS has only passive health checks: after a failed request it skips the replica for its
``fail_timeout`` (5 s) and then tries it again, so while a replica is down its share of the
traffic goes to the others and nothing needs telling when it is back.

``Supervisor.check`` looks at each child once: a dead one is started again (without waiting
for it to be ready, so one slow replica does not hold up the others), at once the first
time, then after 1 s, 2 s, 4 s ... up to 30 s while it keeps dying within a minute of its
start. One line per restart goes to stdout. ``Supervisor.run`` calls ``check`` until Ctrl-C
or SIGTERM, then stops everything.
"""

from __future__ import annotations

import signal
import time
from dataclasses import dataclass
from typing import Callable, List, Optional, Protocol, Sequence

STOP_SIGNALS = (signal.SIGINT, signal.SIGTERM)


class Process(Protocol):
    """What the supervisor needs of a child (``subprocess.Popen`` has it)."""

    @property
    def returncode(self) -> Optional[int]: ...

    def poll(self) -> Optional[int]: ...


@dataclass
class Child:
    """One supervised server: ``start`` launches a new one and returns at once."""

    name: str  # as the restart line says it: "replica :5006"
    start: Callable[[], Process]
    process: Optional[Process] = None
    started_at: float = 0.0
    restarts_in_a_row: int = 0  # restarts whose process then died within ``stable_s``
    restart_at: Optional[float] = None  # while dead: when it is started again


def how_it_ended(process: Optional[Process]) -> str:
    if process is None or process.returncode is None:
        return "not running"
    code = process.returncode
    return f"signal {-code}" if code < 0 else f"code {code}"


class Supervisor:
    def __init__(
        self,
        children: Sequence[Child],
        *,
        clock: Callable[[], float] = time.monotonic,
        say: Callable[[str], None] = lambda line: print(line, flush=True),
        stable_s: float = 60.0,
        first_delay_s: float = 1.0,
        max_delay_s: float = 30.0,
    ) -> None:
        self.children = list(children)
        self.clock = clock
        self.say = say
        self.stable_s = stable_s
        self.first_delay_s = first_delay_s
        self.max_delay_s = max_delay_s
        self.stopping = False
        now = clock()
        for child in self.children:
            child.started_at = now if child.started_at == 0.0 else child.started_at

    def delay(self, restarts_in_a_row: int) -> float:
        """How long a child waits before its next start: none after a good run, then
        ``first_delay_s`` doubling to ``max_delay_s``."""
        if restarts_in_a_row <= 0:
            return 0.0
        return float(min(self.max_delay_s, self.first_delay_s * 2 ** (restarts_in_a_row - 1)))

    def check(self) -> List[str]:
        """Restart each child that is dead and due; the names of those restarted."""
        restarted: List[str] = []
        for child in self.children:
            if self.stopping:
                break
            if child.process is not None and child.process.poll() is None:
                continue
            now = self.clock()
            if child.restart_at is None:  # just found dead
                if now - child.started_at >= self.stable_s:
                    child.restarts_in_a_row = 0
                wait = self.delay(child.restarts_in_a_row)
                child.restart_at = now + wait
                when = f" in {wait:g} s" if wait else ""
                self.say(f"{child.name} exited ({how_it_ended(child.process)}); restarting{when}")
            if now < child.restart_at:
                continue
            child.restarts_in_a_row += 1
            try:
                child.process = child.start()
            except OSError as error:  # e.g. out of file descriptors: try again later
                wait = self.delay(child.restarts_in_a_row)
                child.restart_at = now + wait
                why = type(error).__name__
                self.say(f"{child.name} did not start ({why}); trying again in {wait:g} s")
                continue
            child.started_at = now
            child.restart_at = None
            restarted.append(child.name)
        return restarted

    def request_stop(self) -> None:
        """No more restarts; ``run`` returns after stopping everything."""
        self.stopping = True

    def run(self, stop_all: Callable[[], None], interval_s: float = 0.5) -> None:
        """``check`` every ``interval_s`` until Ctrl-C, SIGTERM or ``request_stop``; then
        ``stop_all``. The signal handlers only set a flag: Ctrl-C also reaches the children
        (one process group), and none of them is restarted once it is set."""

        def on_signal(_signum: int, _frame: object) -> None:
            self.request_stop()

        previous = {number: signal.signal(number, on_signal) for number in STOP_SIGNALS}
        try:
            while not self.stopping:
                self.check()
                time.sleep(interval_s)
        finally:
            self.request_stop()
            self.say("Stopping...")
            stop_all()
            for number, handler in previous.items():
                signal.signal(number, handler)
