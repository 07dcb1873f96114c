"""The benchmark's report: the three server configurations in one table (with the patch
layer's own effect as a ratio) and the generated block of docs/performance.md."""

from __future__ import annotations

from pathlib import Path
from typing import Any, Dict, List

import pytest

from bench import run_bench
from bench.report import (
    BLOCK_END,
    BLOCK_START,
    caveats,
    markdown,
    performance_block,
    replace_block,
    update_performance_doc,
)
from bench.table import HEADER, table_rows


def _level(p50: float, p99: float, msg_per_s: float, cpu_rasa: float) -> Dict[str, Any]:
    return {
        "msg_per_s": msg_per_s,
        "errors": 0,
        "slower_than_2500_ms": 0,
        "cpu_ms_per_msg": {"rasa": cpu_rasa, "action": 1.0},
        "latency_ms": {"p50": p50, "p95": p99 * 0.8, "p99": p99},
        "loadavg_before": "0.50 0.40 0.30",
    }


def _system(scale: float) -> Dict[str, Any]:
    levels = {
        str(c): _level(10.0 * scale * c, 30.0 * scale * c, 100.0 / scale, 8.0 * scale)
        for c in (1, 8, 32)
    }
    levels["8-paced"] = _level(12.0 * scale, 40.0 * scale, 7.0, 8.0 * scale)
    return {
        "ready_rasa_s": 10.0 * scale,
        "ready_total_s": 12.0 * scale,
        "levels": levels,
        "rss_after_load": {"rasa_mb": 500.0, "action_mb": 90.0},
        "model_mb": 20.0,
    }


@pytest.fixture
def results() -> Dict[str, Any]:
    return {
        "meta": {
            "started": "2026-01-02 03:04:05",
            "mode": "full",
            "cpus": 2,
            "cpu_model": "Test CPU",
            "loadavg_start": "0.50 0.40 0.30",
            "loadavg_end": "0.60 0.50 0.40",
            "total_min": 61.0,
        },
        "training": {"ours_s": 100.0, "stock_s": 900.0},
        "nlu": {"ours": {"accuracy": 0.95}, "stock": {"accuracy": 0.80}},
        "ours": _system(1.0),
        "ours_patches_off": _system(2.0),  # twice as slow: the patches halve the latency
        "stock": _system(4.0),
        "failures": [],
        "caveats": [],
    }


def _row(rows: List[Any], start: str) -> Any:
    return next(row for row in rows if row.measure.startswith(start))


def test_the_table_shows_the_patch_layers_own_effect(results: Dict[str, Any]) -> None:
    rows = table_rows(results)
    p99 = _row(rows, "REST latency p99 @ 8 concurrent")
    assert (p99.ours, p99.patches_off, p99.stock) == ("240 ms", "480 ms", "960 ms")
    assert p99.vs_patches_off == "0.500x" and p99.vs_stock == "0.250x"
    # NLU and training do not apply to the patches-off run (same model): blank, not n/a.
    nlu = _row(rows, "NLU accuracy")
    assert nlu.patches_off == "" and nlu.vs_patches_off == "" and nlu.vs_stock != ""
    assert "ours, patches off" in HEADER and "ours / patches off" in HEADER
    assert "| ours, patches off |" in markdown(results)


def test_a_run_without_the_patches_off_configuration_reads_n_a(results: Dict[str, Any]) -> None:
    del results["ours_patches_off"]  # an older results.json, or --skip-patches-off
    row = _row(table_rows(results), "Sustained msg/s @ 8")
    assert row.patches_off == "n/a" and row.vs_patches_off == "n/a" and row.ours == "100.0"


def _doc(tmp_path: Path, block: str = "old figures\n") -> Path:
    doc = tmp_path / "performance.md"
    doc.write_text(
        "# Performance\n\nIntro.\n\n"
        f"{BLOCK_START}\n{block}{BLOCK_END}\n\n## Log of runs\n\n- 2025: something\n"
    )
    return doc


def test_the_performance_doc_block_is_replaced_and_nothing_else(
    tmp_path: Path, results: Dict[str, Any]
) -> None:
    doc = _doc(tmp_path)
    notes: List[str] = []
    assert update_performance_doc(results, doc, notes.append)
    text = doc.read_text()
    assert "old figures" not in text
    assert text.startswith("# Performance\n\nIntro.\n\n" + BLOCK_START + "\n")
    assert text.endswith(f"{BLOCK_END}\n\n## Log of runs\n\n- 2025: something\n")
    block = text.split(BLOCK_START)[1].split(BLOCK_END)[0]
    assert "2026-01-02 03:04:05" in block and "2 CPU cores" in block
    assert "| ours / stock | ours / patches off |" in block
    assert "0.500x" in block  # p99 @ 8: ours / patches off
    assert "NLU accuracy" in block and "Full training from scratch" in block
    # Running again gives the same file (the block is replaced, not appended).
    assert update_performance_doc(results, doc, notes.append)
    assert doc.read_text() == text


def test_a_doc_without_the_markers_is_left_alone_with_a_note(
    tmp_path: Path, results: Dict[str, Any]
) -> None:
    doc = tmp_path / "performance.md"
    doc.write_text("# Performance\n\nNo generated block here.\n")
    notes: List[str] = []
    assert not update_performance_doc(results, doc, notes.append)
    assert doc.read_text() == "# Performance\n\nNo generated block here.\n"
    assert len(notes) == 1 and "left alone" in notes[0] and BLOCK_START in notes[0]
    assert not update_performance_doc(results, tmp_path / "missing.md", notes.append)
    assert not (tmp_path / "missing.md").exists()


def test_a_quick_run_leaves_the_doc_alone(tmp_path: Path, results: Dict[str, Any]) -> None:
    doc = _doc(tmp_path)
    before = doc.read_text()
    results["meta"]["mode"] = "quick"
    notes: List[str] = []
    assert not update_performance_doc(results, doc, notes.append)
    assert doc.read_text() == before and "only a full run" in notes[0]


def test_markers_in_the_wrong_order_are_not_a_block() -> None:
    assert replace_block(f"{BLOCK_END}\nx\n{BLOCK_START}\n", "new") is None
    assert replace_block(f"a\n{BLOCK_START}\n{BLOCK_END}\n", "new\n") == (
        f"a\n{BLOCK_START}\nnew\n{BLOCK_END}\n"
    )


def test_the_block_mentions_failures(results: Dict[str, Any]) -> None:
    results["failures"] = ["load stock: RuntimeError: boom"]
    assert "1 step(s) failed" in performance_block(results)


def test_the_command_line_keeps_its_options(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as done:
        run_bench.main(["--help"])
    assert done.value.code == 0
    text = capsys.readouterr().out
    for option in ("--quick", "--soak-s", "--skip-stock-train", "--skip-lever", "--report-only"):
        assert option in text
    assert "SOAK_S" in text and "--skip-patches-off" in text and "ASSISTANT_RASA_TUNING" in text
    args = run_bench.parse_args(["--quick", "--skip-lever"])
    assert args.quick and args.skip_lever and not args.skip_patches_off


def test_the_caveats_say_whether_the_switch_was_taken(results: Dict[str, Any]) -> None:
    results["ours_patches_off"]["switch_in_log"] = True
    assert any("log confirms ASSISTANT_RASA_TUNING=off" in note for note in caveats(results))
    results["ours_patches_off"]["switch_in_log"] = False
    assert any("may have been ignored" in note for note in caveats(results))
