"""Who acts: a signed-in member of staff, or nobody (a customer on the public pages, a task, an import)."""

from __future__ import annotations

from django.contrib.auth.models import AnonymousUser, User

Actor = User | AnonymousUser | None


def staff_actor(actor: Actor) -> User | None:
    """The user to record on a row: None for anonymous customers, tasks and imports."""
    if actor is None or isinstance(actor, AnonymousUser) or not actor.is_authenticated:
        return None
    return actor
