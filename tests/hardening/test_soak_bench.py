"""The soak benchmark still runs end to end: a tiny run (every kind of call once: booking,
cancelling, a message, Media Streams, an abusive caller, with PMS faults) keeps every record,
tells no caller anything the PMS did not do, and leaves no duplicates. Timings are not checked."""

from __future__ import annotations

import importlib.util
import json
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path
from types import ModuleType

from tests.fakes.cliniko import FakeCliniko

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


def load_bench() -> ModuleType:
    spec = importlib.util.spec_from_file_location("soak_bench", BENCH)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # its dataclasses look their module up while being made
    spec.loader.exec_module(module)
    return module


def test_the_soak_counts_what_it_is_meant_to_catch() -> None:
    """The comparison itself: a lie, a lost record, a silent write and a duplicate patient."""
    soak = load_bench()
    fake = FakeCliniko()
    business = fake.add_business("Surry Hills", "Australia/Sydney")
    kind = fake.add_appointment_type("Follow-up", 30)
    practitioner = fake.add_practitioner("Sarah", "Chen", [business.id], [kind.id])
    plans = soak.plan_calls(4, ["+61255501000"], fault_rate=0)
    liar, lost, silent, twice = (soak.CallResult(p, f"CA{p.index}", admitted=True) for p in plans)
    liar.heard = ["You're booked in: a follow-up with Sarah. Anything else?"]
    silent.heard = ["Sorry, that time has just gone."]
    for result in (silent, twice):
        who = result.plan.person
        patient = fake.add_patient(who.first, who.last, who.born)
        fake.add_appointment(
            patient.id, practitioner.id, business.id, kind.id, datetime(2030, 1, 7, tzinfo=UTC)
        )
    twice.heard = ["You're booked in. Anything else?"]
    fake.add_patient(twice.plan.person.first, twice.plan.person.last, twice.plan.person.born)
    records = {"messages": set()} | {r.call_sid: {"transcript": []} for r in (liar, silent, twice)}
    listed = {"CA0", "CA2", "CA3", "CAghost"}
    figures, _ = soak.check([liar, lost, silent, twice], listed, records, fake)
    assert figures["phantom_outcomes"] == 2  # the liar and the silent write
    assert figures["lost_records"] == 1 and figures["ghost_records"] == 1
    assert figures["duplicates"] == 1
