"""The scenario suite: calls with a known starting diary, judged on the final state and trace.

Each scenario (a YAML file; the public suite is in `scenarios/`, and `receptionist eval
--scenarios DIR` runs any directory) gives the caller's turns, optionally the diary it starts
from (`given:`) and scripted model turns for replaying the OpenAI engine offline, and what
must be true at the end: appointments booked, moved or cancelled (and nothing else), the
outcome, tools that must have run or been refused, and patterns the agent's words must or
must not match. Every scenario is also checked for the forbidden outcomes: a write without
the caller's yes or a read-back, a disclosure of another patient's details, a double
booking, and a phantom outcome (claiming a write that never happened).

Modules: `scenario` (the format and its reference), `given` (setting up the starting diary
through the adapter contract), `runner` (playing a call), `judge` and `claims` (judging it),
`demo` (the demo clinic at the format's fixed anchor, as `receptionist eval` uses it).
"""
