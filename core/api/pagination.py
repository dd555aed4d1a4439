"""List pages: by page number (``page``, ``page_size`` up to 200), or by cursor for incremental sync.

A view that names its change column (``sync_field = "updated_at"``) can be read in change order: with
``updated_since`` or ``cursor`` the list is ordered by (change time, id) ascending and each page's ``next``
carries a cursor, the position after its last row. A cursor is a position, not an offset, so rows
inserted or changed while a client pages neither shift a page (no duplicates) nor are skipped (no gaps):
a row changed after it was read comes again, later, as the change it is. Rows changed in the last
``API_SYNC_SETTLE_SECONDS`` are left for a later page, so a transaction that commits late with an earlier
time stamp is never behind a cursor already handed out. Every sync page also answers the cursor after its
last row in the ``Sync-Cursor`` header, which a client keeps to resume when ``next`` is null.
"""

from __future__ import annotations

import base64
import binascii
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.db.models import Q
from django.utils import timezone
from rest_framework.pagination import PageNumberPagination
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.utils.urls import remove_query_param, replace_query_param

from core.exceptions import InvalidInput

CURSOR = "cursor"
UPDATED_SINCE = "updated_since"
CURSOR_HEADER = "Sync-Cursor"


def cursor_encode(moment: datetime, pk: int) -> str:
    return base64.urlsafe_b64encode(f"{moment.isoformat()}|{pk}".encode()).decode().rstrip("=")


def cursor_decode(value: str) -> tuple[datetime, int]:
    try:
        text = base64.urlsafe_b64decode(value + "=" * (-len(value) % 4)).decode()
        moment_text, _, pk_text = text.rpartition("|")
        moment, pk = datetime.fromisoformat(moment_text), int(pk_text)
    except (ValueError, UnicodeError, binascii.Error):
        raise InvalidInput("This cursor is not one the API gave out.", code="invalid_cursor", field=CURSOR) from None
    if moment.tzinfo is None:
        raise InvalidInput("This cursor is not one the API gave out.", code="invalid_cursor", field=CURSOR)
    return moment, pk


class Pagination(PageNumberPagination):
    page_size = 50
    page_size_query_param = "page_size"
    max_page_size = 200

    sync: bool = False

    def paginate_queryset(self, queryset: Any, request: Request, view: Any = None) -> list | None:
        field: str = getattr(view, "sync_field", None) or ""
        self.sync = bool(field) and (CURSOR in request.query_params or UPDATED_SINCE in request.query_params)
        if not self.sync:
            return super().paginate_queryset(queryset, request, view)
        self.request = request
        self.sync_request = request
        size = self.get_page_size(request) or self.page_size
        settle = timezone.now() - timedelta(seconds=settings.API_SYNC_SETTLE_SECONDS)
        queryset = queryset.filter(**{f"{field}__lt": settle}).order_by(field, "pk")
        self.count = queryset.count()
        raw = request.query_params.get(CURSOR)
        if raw:
            moment, pk = cursor_decode(raw)
            queryset = queryset.filter(Q(**{f"{field}__gt": moment}) | Q(**{field: moment, "pk__gt": pk}))
        rows = list(queryset[: size + 1])
        self.has_next = len(rows) > size
        rows = rows[:size]
        self.cursor = cursor_encode(getattr(rows[-1], field), rows[-1].pk) if rows else raw or ""
        return rows

    def get_paginated_response(self, data: Any) -> Response:
        if not self.sync:
            return super().get_paginated_response(data)
        url = remove_query_param(self.sync_request.build_absolute_uri(), self.page_query_param)
        following = replace_query_param(url, CURSOR, self.cursor) if self.has_next else None
        headers = {CURSOR_HEADER: self.cursor} if self.cursor else {}
        return Response({"count": self.count, "next": following, "previous": None, "results": data}, headers=headers)

    def get_schema_operation_parameters(self, view: Any) -> list[dict[str, Any]]:
        parameters = super().get_schema_operation_parameters(view)
        if getattr(view, "sync_field", None):
            parameters.append(
                {
                    "name": CURSOR,
                    "required": False,
                    "in": "query",
                    "description": "Incremental sync: read in change order from this position (the `next` link of "
                    "the previous page, or its `Sync-Cursor` header). With `updated_since` or `cursor`, pages "
                    "are in change order and `page` is ignored.",
                    "schema": {"type": "string"},
                }
            )
        return parameters
