"""The quality gate in CI: every evaluation whose data is beside the checkout meets its pinned floor
(eval/floors.json). Skips, per evaluation, when ../shared is absent."""
from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest

pytestmark = pytest.mark.slow
_spec = importlib.util.spec_from_file_location("run_eval", Path(__file__).parents[1] / "eval" / "run_eval.py")
run_eval = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(run_eval)


@pytest.mark.parametrize("name, cmd, data", run_eval.runs(), ids=lambda v: v if isinstance(v, str) else "")
def test_floor(name, cmd, data):
    if not data.exists():
        pytest.skip(f"{data} not found")
    metrics, missed, report = run_eval.evaluate(name, cmd)
    assert not missed, f"{name} below its floors: {missed}\n{report[-2000:]}"


def test_gate_fails_below_a_floor_and_without_a_score():
    import sys

    printer = [sys.executable, "-c", "print('report'); print('SCORE f1=0.5 recall=0.99 strict_f1=0.9 actor=1 "
                                     "recipient=1 location=1 date=1 conditional=1')"]
    _, missed, _ = run_eval.evaluate("seeds_events", printer)
    assert missed == ["f1=0.5 < 0.85"]
    _, missed, _ = run_eval.evaluate("contract", [sys.executable, "-c", "print('SCORE violations=2')"])
    assert missed == ["violations=2.0 > 0"]
    _, missed, _ = run_eval.evaluate("plover_gsr", [sys.executable, "-c", "raise SystemExit(2)"])
    assert len(missed) == 2 and "no SCORE line" in missed[-1]
