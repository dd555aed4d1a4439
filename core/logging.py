"""Logs: secret status links kept out, a request id on every line, JSON lines for log collectors."""

from __future__ import annotations

import json
import logging
import re

SECRET_LINK = re.compile(r"(/returns/track/)[^/\s?\"']+")
REDACTED = r"\1[redacted]"


def redact(text: str) -> str:
    return SECRET_LINK.sub(REDACTED, text)


class RedactSecretLinks(logging.Filter):
    """Replaces the token of any ``/returns/track/<token>/`` in a record's message and arguments."""

    def filter(self, record: logging.LogRecord) -> bool:
        if isinstance(record.msg, str):
            record.msg = redact(record.msg)
        if isinstance(record.args, tuple):
            record.args = tuple(redact(arg) if isinstance(arg, str) else arg for arg in record.args)
        elif isinstance(record.args, dict):
            record.args = {key: redact(v) if isinstance(v, str) else v for key, v in record.args.items()}
        request = getattr(record, "request", None)
        if request is not None and SECRET_LINK.search(getattr(request, "path", "")):
            # The admin e-mail handler and error reporters print the request: hide the path there too.
            record.request = None
        return True


class RequestId(logging.Filter):
    """Adds ``request_id`` (the current request's, or empty outside a request) to every record."""

    def filter(self, record: logging.LogRecord) -> bool:
        from core.requests import current_request_id

        record.request_id = current_request_id.get()
        return True


class JsonLines(logging.Formatter):
    """One JSON object a line: time, level, logger, message, request id, and the exception if any."""

    def format(self, record: logging.LogRecord) -> str:
        entry = {
            "time": self.formatTime(record, "%Y-%m-%dT%H:%M:%S%z"),
            "level": record.levelname,
            "logger": record.name,
            "message": redact(record.getMessage()),
            "request_id": getattr(record, "request_id", ""),
        }
        status = getattr(record, "status_code", None)
        if status is not None:
            entry["status"] = status
        if record.exc_info:
            entry["exception"] = redact(self.formatException(record.exc_info))
        return json.dumps(entry, ensure_ascii=False)


def redact_atoms(atoms: dict) -> dict:
    """gunicorn's access-log fields with every secret link redacted (the request line, path, referrer, ...)."""
    return {key: redact(value) if isinstance(value, str) else value for key, value in atoms.items()}
