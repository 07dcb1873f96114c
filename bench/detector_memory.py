"""``python -m bench.detector_memory``: the language detector's memory on its own.

Prints, as JSON, the resident memory (VmRSS) of a fresh Python process before and after it
loads lingua with the English and Spanish models preloaded, as the Rasa server does at start
(``assistant.language.detect.warm_up``), and its peak (VmHWM: loading the models passes
through more memory than they keep). ``make bench`` runs it in its own process, so
nothing else loaded in the benchmark's interpreter is counted.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any, Dict, Optional

from bench.common import ROOT


def status_mb(status: str, key: str) -> Optional[float]:
    """One ``kB`` field of a /proc/<pid>/status text (``VmRSS``, ``VmHWM``) in MB."""
    for line in status.splitlines():
        name, _, value = line.partition(":")
        if name == key and value.split():
            return int(value.split()[0]) / 1024
    return None


def detector_cost(
    before: Optional[float], after: Optional[float], peak: Optional[float]
) -> Dict[str, Any]:
    """The measurement as results.json keeps it: RSS before and after loading (MB), the
    detector's share (``detector_mb``) and the peak above the baseline (``peak_extra_mb``)."""

    def rounded(value: Optional[float]) -> Optional[float]:
        return None if value is None else round(value, 1)

    return {
        "before_mb": rounded(before),
        "after_mb": rounded(after),
        "peak_mb": rounded(peak),
        "detector_mb": None if before is None or after is None else round(after - before, 1),
        "peak_extra_mb": None if before is None or peak is None else round(peak - before, 1),
    }


def _own_status() -> str:
    return Path("/proc/self/status").read_text()


def measure_here() -> Dict[str, Any]:
    """Load the detector in this process and measure (call in a fresh process)."""
    from assistant.language.detect import warm_up

    if "lingua" in sys.modules:
        raise RuntimeError("lingua was already imported: the baseline would include it")
    before = status_mb(_own_status(), "VmRSS")
    warm_up()
    status = _own_status()
    return detector_cost(before, status_mb(status, "VmRSS"), status_mb(status, "VmHWM"))


def measure_detector_memory() -> Dict[str, Any]:
    """``measure_here`` in a fresh interpreter; raises with its error output if it fails."""
    done = subprocess.run(
        [sys.executable, "-m", "bench.detector_memory"],
        cwd=ROOT,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    if done.returncode != 0:
        raise RuntimeError(f"bench.detector_memory failed: {done.stderr[-1500:]}")
    result: Dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    return result


def main() -> int:
    print(json.dumps(measure_here()))
    return 0


if __name__ == "__main__":
    sys.exit(main())
