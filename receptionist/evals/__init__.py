"""The scenario suite: calls with a known starting diary, judged on the final state and trace.

Each scenario (a YAML file in `scenarios/`) gives the caller's turns, scripted model turns for
replaying the OpenAI engine offline, and what must be true at the end: appointments booked,
moved or cancelled (and nothing else), the outcome, tools that must have run or refused, and
the forbidden outcomes every scenario checks (a write without the caller's yes, a disclosure
before identification, a double booking, a wrong date). Wording is never judged.
"""
