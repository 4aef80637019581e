"""The soak benchmark still runs end to end: a tiny run (every kind of call once: booking,
cancelling, a message, Media Streams, an abusive caller, with PMS faults) keeps every record,
tells no caller anything the PMS did not do, and leaves no duplicates. Timings are not checked."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

BENCH = Path(__file__).resolve().parents[2] / "bench" / "soak.py"
ZEROS = ("lost_records", "phantom_outcomes", "duplicates", "worker_restarts")


def test_a_tiny_soak_keeps_every_record_and_tells_the_truth() -> None:
    done = subprocess.run(
        [sys.executable, str(BENCH), "--calls", "6", "--minutes", "0.2", "--media-seconds", "4"],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    summary = json.loads(done.stdout.strip().splitlines()[-1])
    assert {*ZEROS, "calls", "rss_growth_mb", "p99_turn_ms"} <= set(summary)
    assert summary["calls"] == 6 and summary["turns"] > 0
    assert summary["media_calls"] >= 1 and summary["abusive_calls"] >= 1
    assert summary["faults_injected"] >= 1
    assert {key: summary[key] for key in ZEROS} == dict.fromkeys(ZEROS, 0), done.stderr[-3000:]
    assert summary["breaches"] == 0 and summary["call_problems"] == 0, done.stderr[-3000:]
