"""gunicorn's logger with secret status links redacted from the access log (``logger_class`` in config/gunicorn.py)."""

from __future__ import annotations

from gunicorn.glogging import Logger

from core.logging import redact_atoms


class RedactingLogger(Logger):
    def atoms(self, resp, req, environ, request_time):
        return redact_atoms(super().atoms(resp, req, environ, request_time))
