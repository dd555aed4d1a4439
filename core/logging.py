"""Keep secret status links out of the logs."""

from __future__ import annotations

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
