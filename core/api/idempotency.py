"""``Idempotency-Key`` on creating POSTs: the same key within ``API_IDEMPOTENCY_HOURS`` gets the first answer.

The key's row is inserted in the same transaction as the creation. A concurrent retry with the same key
waits on the row's unique index until the first request commits (then replays its answer) or rolls back
(then runs itself): one creation, whatever the number of retries. A key sent again with another body or
path is refused (409 ``idempotency_key_reused``). An answer that is an error is not kept: the failed
request rolled back, and a retry runs again.
"""

from __future__ import annotations

import functools
import hashlib
import json
from collections.abc import Callable
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.utils.encoders import JSONEncoder

from core.api.schema import HEADER
from core.exceptions import DomainError, InvalidInput
from core.models import IdempotencyKey

REPLAYED_HEADER = "Idempotent-Replayed"


class IdempotencyKeyReused(DomainError):
    code = "idempotency_key_reused"
    http_status = 409


def _fingerprint(request: Request) -> str:
    body = json.dumps(request.data, sort_keys=True, cls=JSONEncoder, default=str)
    return hashlib.sha256(f"{request.method}\n{request.path}\n{body}".encode()).hexdigest()


def idempotent(create: Callable[..., Response]) -> Callable[..., Response]:
    """Decorate a viewset's ``create`` so that it honours ``Idempotency-Key``."""

    @functools.wraps(create)
    def wrapper(view: Any, request: Request, *args: Any, **kwargs: Any) -> Response:
        key = request.headers.get(HEADER)
        if key is None:
            return create(view, request, *args, **kwargs)
        key = key.strip()
        if not key or len(key) > 255:
            raise InvalidInput(f"{HEADER} must be 1 to 255 characters.", code="idempotency_key_invalid", field=HEADER)
        fingerprint = _fingerprint(request)
        user_id: int = request.user.pk or 0  # creating routes need a signed-in user
        with transaction.atomic():
            IdempotencyKey.objects.filter(user_id=user_id, key=key, created_at__lt=_cutoff()).delete()
            try:
                with transaction.atomic():
                    record = IdempotencyKey.objects.create(
                        user_id=user_id, key=key, path=request.path, fingerprint=fingerprint, status_code=0, body={}
                    )
            except IntegrityError:  # the same key: committed by the first request (we waited for it)
                first = IdempotencyKey.objects.get(user_id=user_id, key=key)
                if first.fingerprint != fingerprint:
                    raise IdempotencyKeyReused(
                        f"This {HEADER} was used for another request; use a new key for a new request.",
                        field=HEADER,
                    ) from None
                return Response(first.body, status=first.status_code, headers={REPLAYED_HEADER: "true"})
            response = create(view, request, *args, **kwargs)
            record.status_code = response.status_code
            record.body = json.loads(json.dumps(response.data, cls=JSONEncoder))
            record.save(update_fields=["status_code", "body"])
            return response

    return wrapper


def _cutoff():
    return timezone.now() - timedelta(hours=settings.API_IDEMPOTENCY_HOURS)


def idempotency_keys_expire() -> int:
    """Forget keys older than ``API_IDEMPOTENCY_HOURS`` (Celery beat, hourly)."""
    return IdempotencyKey.objects.filter(created_at__lt=_cutoff()).delete()[0]
