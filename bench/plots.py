"""Charts for ``make bench`` (matplotlib, Agg backend): PNGs in ``reports/bench/``.

``python -m bench.plots [reports/bench/results.json]`` redraws them from a saved run.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any, Dict, List, Optional

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt

COLORS = {
    "ours": "#1f77b4",
    "ours, patches off": "#ff7f0e",
    "stock": "#d62728",
    "ours, 2 workers + Redis": "#2ca02c",
}
STYLES = {"p50": "-", "p95": "--", "p99": ":"}


def _systems(results: Dict[str, Any]) -> Dict[str, Dict[str, Any]]:
    names = {"ours": "ours", "ours_patches_off": "ours, patches off", "stock": "stock"}
    systems = {label: results[key] for key, label in names.items() if results.get(key)}
    lever = results.get("lever") or {}
    if lever.get("status") == "ok":
        systems["ours, 2 workers + Redis"] = lever
    return systems


def latency_chart(results: Dict[str, Any], out: Path) -> Optional[Path]:
    systems = _systems(results)
    if not systems:
        return None
    figure, axis = plt.subplots(figsize=(7, 4.5))
    for name, system in systems.items():
        levels = sorted(int(c) for c in system.get("levels", {}) if c.isdigit())
        for key, style in STYLES.items():
            values = [system["levels"][str(c)]["latency_ms"][key] for c in levels]
            axis.plot(levels, values, style, marker="o", color=COLORS[name], label=f"{name} {key}")
    axis.axhline(150, color="grey", linewidth=0.8)
    axis.annotate(
        "target: p99 @ 8 <= 150 ms",
        (32, 150),
        textcoords="offset points",
        xytext=(-4, 3),
        ha="right",
        fontsize=8,
        color="grey",
    )
    axis.set_xscale("log", base=2)
    axis.set_yscale("log")
    axis.set_xticks([1, 8, 32])
    axis.set_xticklabels(["1", "8", "32"])
    axis.set_xlabel("concurrent conversations")
    axis.set_ylabel("REST round trip (ms, log scale)")
    axis.set_title("Latency percentiles by concurrency")
    axis.legend(fontsize=7, ncol=2)
    axis.grid(True, which="both", alpha=0.3)
    return _save(figure, out / "latency.png")


def _save(figure: Any, path: Path) -> Path:
    figure.tight_layout()
    figure.savefig(path, dpi=110)
    plt.close(figure)
    return path


def throughput_chart(results: Dict[str, Any], out: Path) -> Optional[Path]:
    systems = _systems(results)
    if not systems:
        return None
    levels = ["8", "32"]
    figure, axis = plt.subplots(figsize=(7, 4.5))
    width = 0.8 / len(systems)
    for index, (name, system) in enumerate(systems.items()):
        values = [system.get("levels", {}).get(c, {}).get("msg_per_s", 0) for c in levels]
        positions = [i + index * width for i in range(len(levels))]
        bars = axis.bar(positions, values, width, label=name, color=COLORS[name])
        axis.bar_label(bars, fmt="%.1f", fontsize=8)
    axis.set_xticks([i + width * (len(systems) - 1) / 2 for i in range(len(levels))])
    axis.set_xticklabels([f"{c} concurrent" for c in levels])
    axis.set_ylabel("sustained messages per second")
    axis.set_title("Throughput (closed loop)")
    axis.legend(fontsize=8)
    axis.grid(True, axis="y", alpha=0.3)
    return _save(figure, out / "throughput.png")


def soak_chart(results: Dict[str, Any], out: Path) -> Optional[Path]:
    soak = results.get("soak")
    if not soak or not soak.get("rss_samples"):
        return None
    samples: List[Dict[str, Any]] = soak["rss_samples"]
    minutes = [s["t_s"] / 60 for s in samples]
    figure, axis = plt.subplots(figsize=(7, 4.5))
    axis.plot(minutes, [s["rasa_mb"] for s in samples], marker=".", label="Rasa server RSS")
    axis.plot(minutes, [s["action_mb"] for s in samples], marker=".", label="action server RSS")
    axis.axvline(soak["warmup_s"] / 60, color="grey", linewidth=0.8, linestyle="--")
    axis.annotate(
        "end of warm-up",
        (soak["warmup_s"] / 60, 0),
        textcoords="offset points",
        xytext=(3, 5),
        fontsize=8,
        color="grey",
    )
    axis.set_ylim(bottom=0)
    axis.set_xlabel("minutes")
    axis.set_ylabel("RSS (MB)")
    growth = soak.get("rasa_rss_growth_pct")
    axis.set_title(f"Soak at 8 concurrent conversations (Rasa RSS growth {growth} %)")
    axis.legend(fontsize=8)
    axis.grid(True, alpha=0.3)
    return _save(figure, out / "soak_rss.png")


def draw(results: Dict[str, Any], out: Path) -> List[Path]:
    out.mkdir(parents=True, exist_ok=True)
    charts = (latency_chart(results, out), throughput_chart(results, out), soak_chart(results, out))
    return [path for path in charts if path]


if __name__ == "__main__":
    source = Path(sys.argv[1] if len(sys.argv) > 1 else "reports/bench/results.json")
    for written in draw(json.loads(source.read_text()), source.parent):
        print(written)
