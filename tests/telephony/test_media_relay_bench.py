"""The media relay benchmark still runs end to end (a tiny run: its figures are not checked
here, only that every frame made the trip and the summary has its keys)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

BENCH = Path(__file__).resolve().parents[2] / "bench" / "media_relay.py"


def test_the_media_relay_bench_runs_and_prints_its_summary() -> None:
    done = subprocess.run(
        [sys.executable, str(BENCH), "--calls", "2", "--seconds", "1"],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    lines = done.stdout.strip().splitlines()
    summary = json.loads(lines[-1])
    assert {"n2_p99_ms", "n2_cpu_pct_per_call", "largest_n_p99_under_20ms"} <= set(summary)
    # Both directions carried frames: 2 calls x 1 s x 50 frames a second each way.
    frames = int(lines[0].split("(")[-1].split()[0])
    assert frames >= 2 * 2 * 40
