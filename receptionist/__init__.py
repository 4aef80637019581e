"""The AI phone receptionist service: settings, the HTTP app and the CLI."""

__version__ = "0.1.0"
