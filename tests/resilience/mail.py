"""An e-mail backend for worker processes under test: slow enough to be caught mid-send, one file per e-mail."""

import os
import time
import uuid
from pathlib import Path

from django.core.mail.backends.base import BaseEmailBackend


class SlowFileBackend(BaseEmailBackend):
    """Marks the process as sending, waits ``RESILIENCE_SEND_DELAY`` seconds, then writes each e-mail to a file."""

    def send_messages(self, email_messages):
        root = Path(os.environ["RESILIENCE_MAIL_DIR"])
        marker = root / "sending" / str(os.getpid())
        for message in email_messages:
            marker.touch()
            time.sleep(float(os.environ.get("RESILIENCE_SEND_DELAY", "0.1")))
            # written whole, then renamed: a reader never sees half an e-mail
            partial = root / "sent" / f".{uuid.uuid4().hex}.part"
            partial.write_bytes(message.message().as_bytes())
            partial.rename(partial.with_name(partial.name[1:-5] + ".eml"))
            marker.unlink(missing_ok=True)
        return len(email_messages)
