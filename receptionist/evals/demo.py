"""Scenario files against the demo clinic, as `receptionist eval` runs them.

Each trial gets a fresh copy of the demo diary (seeded once, anchored on Monday 2 March 2026,
the clock fixed at 8 am Sydney that day) and the demo clinic's script, whatever the local
settings say, so a directory of scenario files means the same thing on every machine.
"""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

from diary import Diary, FixedClock
from diary.db import write_session
from diary.seed import DEMO_PATIENTS, seed_demo_clinic
from receptionist.agent.engines import Engine
from receptionist.agent.runtime import demo_pms
from receptionist.agent.script import demo_script
from receptionist.agent.toolbox import Clinic
from receptionist.evals.runner import CaseResult, run_scenario
from receptionist.evals.scenario import Scenario
from receptionist.settings import Settings

# Fixed by the scenario format: every scenario file is written against this diary and clock.
EVAL_ANCHOR = date(2026, 3, 2)
EVAL_NOW = datetime(2026, 3, 2, 8, 0, tzinfo=ZoneInfo("Australia/Sydney"))

EngineFor = Callable[[Clinic], Engine]


@dataclass
class Tally:
    """Trials passed per scenario, and the summary `receptionist eval --json` prints."""

    k: int
    passes: dict[str, int] = field(default_factory=dict)

    def add(self, result: CaseResult) -> None:
        """Count one trial."""
        name = result.scenario.name
        self.passes[name] = self.passes.get(name, 0) + result.passed

    @property
    def failed(self) -> list[str]:
        """Scenarios that failed at least one of their k trials, by name."""
        return sorted(name for name, n in self.passes.items() if n < self.k)

    def summary(self) -> dict[str, object]:
        """`passed` counts cases that passed all k trials (pass^k); `rate` is passed/total."""
        total = len(self.passes)
        passed = total - len(self.failed)
        return {
            "passed": passed,
            "total": total,
            "rate": round(passed / total, 3) if total else 0.0,
            "failed": self.failed,
        }


async def run_on_demo(
    scenarios: Sequence[Scenario],
    engine_for: EngineFor,
    settings: Settings,
    *,
    k: int = 1,
    report: Callable[[CaseResult, int], None] | None = None,
) -> Tally:
    """Run each scenario k times on a fresh demo diary; `report` hears each trial."""
    tally = Tally(k)
    with tempfile.TemporaryDirectory() as scratch:
        template = Path(scratch) / "template.db"
        seeded = Diary.open(f"sqlite:///{template}")
        with write_session(seeded.engine) as db:
            seed_demo_clinic(db, EVAL_ANCHOR)
        seeded.close()
        # A random slot secret per trial: a scenario must never depend on a slot id's spelling.
        unsigned = settings.model_copy(update={"slot_secret": None})
        for number, scenario in enumerate(scenarios):
            for trial in range(k):
                path = Path(scratch) / f"case-{number}-{trial}.db"
                shutil.copy(template, path)
                clock = FixedClock(EVAL_NOW)
                diary = Diary.open(f"sqlite:///{path}", clock)
                pms = demo_pms(unsigned, diary)
                try:
                    result = await run_scenario(
                        scenario,
                        pms,
                        demo_script(),
                        engine_for,
                        now=clock.now,
                        people=DEMO_PATIENTS,
                    )
                finally:
                    await pms.aclose()
                    diary.close()
                    path.unlink()
                tally.add(result)
                if report is not None:
                    report(result, trial)
    return tally
