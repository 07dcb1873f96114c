"""What every part of ``make bench`` shares: paths, the load levels, the targets, progress lines."""

from __future__ import annotations

import time
import traceback
from pathlib import Path
from typing import Any, Callable, Dict

from assistant.dialogue_names import ENTRY_CONVERSATION_TECHNICAL_ERROR, LANGUAGE_EN, LANGUAGE_ES

ROOT = Path(__file__).resolve().parents[1]
REPORT = ROOT / "reports" / "bench.md"
OUT_DIR = ROOT / "reports" / "bench"
WORK = OUT_DIR / "work"
PERFORMANCE_DOC = ROOT / "docs" / "performance.md"  # its bench:start/end block is regenerated
HELDOUT = ROOT / "tests" / "nlu" / "heldout.yml"
HELDOUT_ES = ROOT / "tests" / "nlu" / "heldout_es.yml"  # Spanish, never trained on
# The held-out NLU sets by language: results.json keeps English under "nlu" (as before the
# Spanish work) and Spanish under "nlu_es".
HELDOUT_SETS: Dict[str, Path] = {LANGUAGE_EN: HELDOUT, LANGUAGE_ES: HELDOUT_ES}
NLU_RESULTS: Dict[str, str] = {LANGUAGE_EN: "nlu", LANGUAGE_ES: "nlu_es"}
STOCK_CONFIG = Path(__file__).resolve().with_name("stock_config.yml")
TRAINING_DATA = ("data/nlu", "data/rules", "data/stories")
HOST = "127.0.0.1"

# The server configurations (keys of results.json) and how the report names them.
OURS, PATCHES_OFF, STOCK = "ours", "ours_patches_off", "stock"
LABELS = {OURS: "ours", PATCHES_OFF: "ours, patches off", STOCK: "stock"}

LEVELS = (1, 8, 32)
# 8 conversations at a patient's pace: each reply is read before the next message, 0.5-1.5 s.
PACED_CONVERSATIONS = 8
PACED_THINK_S = 1.0
PACED_LEVEL = f"{PACED_CONVERSATIONS}-paced"
SOAK_CONCURRENCY = 8
# The load's conversations: this share is in Spanish, the rest in English (one language per
# conversation), drawn from a fixed seed so every configuration gets the same mix.
SPANISH_SHARE = 0.4
LOAD_SEED = "issue-16"
RSS_EVERY_S = 10.0
APOLOGY_ENTRY = ENTRY_CONVERSATION_TECHNICAL_ERROR
# The comparison levels measure the servers' real round trips: the REST channel's reply timeout
# (2.5 s by default, after which it sends an apology and finishes the turn in the background) is
# raised for them. The soak keeps the deployed default, so its errors are what patients see.
LEVELS_ENV: Dict[str, str] = {"REST_REPLY_TIMEOUT_S": "60"}
# The project's Rasa server with its patch layer (assistant/rasa_server/) switched off:
# stock Rasa internals under our channels, tracker store and action server.
PATCHES_OFF_ENV: Dict[str, str] = {"ASSISTANT_RASA_TUNING": "off"}
OURS_TRACKER_STORE = "assistant.stores.tracker_store.StrictSQLTrackerStore"  # as endpoints.yml

# Targets (for ours).
TARGET_P99_8_MS = 150.0
TARGET_READY_S = 20.0
TARGET_RSS_MB = 700.0
TARGET_TRAIN_S = 120.0
TARGET_THROUGHPUT_RATIO = 3.0
# Held-out strict accuracy, as the gates of tests/model/test_nlu_heldout.py.
TARGET_ACCURACY: Dict[str, float] = {LANGUAGE_EN: 0.95, LANGUAGE_ES: 0.93}


def log(message: str) -> None:
    """One progress line, with the time of day."""
    print(f"[bench {time.strftime('%H:%M:%S')}] {message}", flush=True)


def loadavg() -> str:
    """The 1, 5 and 15 minute load averages (other work on this machine shows up here)."""
    return " ".join(Path("/proc/loadavg").read_text().split()[:3])


def step(results: Dict[str, Any], name: str, action: Callable[[], Any]) -> Any:
    """Run one step; record a failure in ``results["failures"]`` (and keep going) instead of
    losing the whole run. Returns the step's result, or None if it failed."""
    try:
        return action()
    except Exception as error:  # noqa: BLE001 - the report says what failed
        traceback.print_exc()
        results.setdefault("failures", []).append(
            f"{name}: {type(error).__name__}: {str(error)[:600]}"
        )
        log(f"{name} FAILED: {error}")
        return None
