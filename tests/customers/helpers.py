"""Small helpers shared by the customer-page tests."""

import re

from rma.models import Source
from rma.services import rma_create

CSRF_INPUT = re.compile(rb'<input type="hidden" name="csrfmiddlewaretoken" value="[^"]*">')


def without_csrf(content: bytes) -> bytes:
    return CSRF_INPUT.sub(b"", content)


def open_return(device, *, email="owner@example.com", name="Owner", fault="It stopped charging."):
    return rma_create(
        serial_number=device.serial_number,
        customer_email=email,
        customer_name=name,
        fault_description=fault,
        actor=None,
        source=Source.PAGE,
    )


def track_path(response) -> str:
    """The secret status page a POST redirected to."""
    assert response.status_code == 303, (response.status_code, response.content[:2000])
    location = response["Location"]
    assert location.startswith("/returns/track/")
    return location


class BrokenMailServer(Exception):
    pass


class FailingEmailBackend:
    """An e-mail backend whose server is down."""

    def __init__(self, *args, **kwargs):
        pass

    def send_messages(self, messages):
        raise BrokenMailServer("connection refused by the mail server")
