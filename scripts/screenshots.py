"""Screenshots for the README: the chat widget on its demo page and the staff console's inbox.

    make screenshots                  # or: .venv/bin/python scripts/screenshots.py [--out DIR]

Starts what it needs on free loopback ports, in a temporary folder (nothing in ``.state/`` is
touched): the action server, the Rasa server with the current model (trained first if none
matches the data, a few minutes) and the staff console, all over one SQLite tracker store.
Then, with Playwright and Debian's chromium (``scripts/ensure_chromium.sh`` installs it):

- ``widget.png``: the demo page at a phone's size, with the widget open on a short
  conversation ("what is immunotherapy?", then the infusion center's hours);
- ``console.png``: the console's inbox at a laptop's size, logged in as a throwaway admin, over
  that conversation and the synthetic sample corpus (``assistant/console/sample_corpus.py``:
  invented names and fictional 555-01xx numbers only).

Both go to ``docs/images/`` unless ``--out`` says otherwise. Everything started is stopped
and the temporary folder removed at the end.
"""

from __future__ import annotations

import argparse
import os
import secrets
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Dict, List

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:  # run as a file: make the project importable
    sys.path.insert(0, str(ROOT))

from playwright.sync_api import Browser, ViewportSize, sync_playwright  # noqa: E402

from assistant.ops.processes import free_port, wait_for_http  # noqa: E402
from assistant.ops.run import (  # noqa: E402
    RunSettings,
    start_servers,
    stop,
    write_local_endpoints,
)
from assistant.ops.train import ensure_model  # noqa: E402

QUESTIONS = ("what is immunotherapy?", "what are the infusion center hours")
SAMPLE_CONVERSATIONS = 120
SAMPLE_DAYS = 7
ADMIN = "screenshot.admin"
PHONE: ViewportSize = {"width": 390, "height": 844}
LAPTOP: ViewportSize = {"width": 1440, "height": 900}
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-sync"]


def chromium_path() -> str:
    path = shutil.which("chromium") or shutil.which("chromium-browser")
    if not path:
        sys.exit("Debian's chromium is needed: run scripts/ensure_chromium.sh")
    return path


def start_assistant(workdir: Path, model: Path) -> tuple[List[subprocess.Popen], int, int]:
    """Action server, Rasa server and console on free ports, over ``workdir/tracker.db``.
    Returns the processes and the Rasa and console ports."""
    action_port, rasa_port, console_port = free_port(), free_port(), free_port()
    endpoints = write_local_endpoints(workdir, action_port)
    settings = RunSettings(
        host="127.0.0.1",
        rasa_port=rasa_port,
        action_port=action_port,
        endpoints=str(endpoints),
        credentials=str(ROOT / "credentials.yml"),
        state_dir=str(workdir),
        console_port=console_port,
    )
    log = workdir / "servers.log"
    extra = {"REST_TOKEN": secrets.token_hex(24), "TWILIO_AUTH_TOKEN": ""}
    processes = start_servers(ROOT, model, settings, extra_env=extra, log=log)
    return processes, rasa_port, console_port


def console_command(env: Dict[str, str], *args: str, stdin: str = "") -> None:
    """``python -m assistant.console ARGS`` against the screenshot's database."""
    subprocess.run(  # noqa: S603 - our own interpreter and module
        [sys.executable, "-m", "assistant.console", *args],
        cwd=ROOT,
        env=env,
        input=stdin,
        capture_output=True,
        text=True,
        timeout=300,
        check=True,
    )


def widget_screenshot(browser: Browser, rasa_port: int, path: Path) -> None:
    context = browser.new_context(viewport=PHONE, device_scale_factor=2)
    page = context.new_page()
    page.set_default_timeout(30_000)
    page.goto(f"http://127.0.0.1:{rasa_port}/webhooks/web/demo")
    page.get_by_test_id("cc-toggle").click()
    page.get_by_test_id("cc-input").wait_for(state="visible")
    for question in QUESTIONS:
        count = page.locator("[data-role=bot]").count()
        page.get_by_test_id("cc-input").fill(question)
        page.get_by_test_id("cc-send").click()
        page.wait_for_function(
            "n => document.querySelectorAll('[data-role=bot]').length > n", arg=count
        )
        page.get_by_test_id("cc-typing").wait_for(state="hidden")
    page.wait_for_timeout(500)  # let the log finish scrolling
    page.screenshot(path=str(path))
    context.close()


def console_screenshot(browser: Browser, console_url: str, password: str, path: Path) -> None:
    context = browser.new_context(viewport=LAPTOP, base_url=console_url)
    page = context.new_page()
    page.set_default_timeout(30_000)
    page.goto("/login")
    page.get_by_label("User name", exact=True).fill(ADMIN)
    page.get_by_label("Password", exact=True).fill(password)
    page.get_by_role("button", name="Log in").click()
    page.wait_for_url("**/inbox")
    # The console indexes new conversations every few seconds: wait until all are listed.
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        total = page.locator(".listhead strong").first.inner_text().replace(",", "")
        if total.isdigit() and int(total) > SAMPLE_CONVERSATIONS:
            break
        time.sleep(2)
        page.reload()
    page.screenshot(path=str(path))
    context.close()


def main(argv: List[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=ROOT / "docs" / "images")
    args = parser.parse_args(argv)
    args.out.mkdir(parents=True, exist_ok=True)
    executable = chromium_path()
    model = ensure_model(ROOT)
    with tempfile.TemporaryDirectory(prefix="screenshots-") as folder:
        workdir = Path(folder)
        print("==> Starting the action server, the Rasa server and the console", flush=True)
        processes, rasa_port, console_port = start_assistant(workdir, model)
        try:
            env = {
                **os.environ,
                "PYTHONPATH": str(ROOT),
                "CONSOLE_DB_URL": f"sqlite:///{workdir / 'tracker.db'}",
            }
            password = secrets.token_urlsafe(18)
            console_command(env, "users", "add", ADMIN, "--role", "admin", stdin=password + "\n")
            console_url = f"http://127.0.0.1:{console_port}"
            wait_for_http(f"{console_url}/health", 60, what="the staff console")
            with sync_playwright() as driver:
                browser = driver.chromium.launch(
                    executable_path=executable, headless=True, args=CHROMIUM_ARGS
                )
                try:
                    print("==> Widget: a short conversation on the demo page", flush=True)
                    widget_screenshot(browser, rasa_port, args.out / "widget.png")
                    print("==> Console: the inbox over the synthetic sample corpus", flush=True)
                    console_command(
                        env,
                        "sample-data",
                        "--conversations",
                        str(SAMPLE_CONVERSATIONS),
                        "--days",
                        str(SAMPLE_DAYS),
                    )
                    console_screenshot(browser, console_url, password, args.out / "console.png")
                finally:
                    browser.close()
        finally:
            stop(processes)
    for name in ("widget.png", "console.png"):
        path = args.out / name
        print(f"Wrote {path.relative_to(ROOT) if path.is_relative_to(ROOT) else path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
