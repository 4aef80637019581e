"""`python -m receptionist` is the `receptionist` command."""

from receptionist.cli import app

app(prog_name="receptionist")
