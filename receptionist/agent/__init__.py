"""The receptionist agent: tools with guardrails, call scripts, date resolution and engines."""
