"""Who may call what: each view names the Django permission every action needs (SPEC §2); the routes of
declared actions need what their declaration says (``core.actions``).

The roles are the groups of ``diagnostics.roles``; a permission here is one of theirs. An action a
view does not list is refused, so a new action cannot be reached by accident.
"""

from __future__ import annotations

from rest_framework.permissions import BasePermission


class ActionPermission(BasePermission):
    """Grants an action when the user holds every permission the view lists for it in ``action_permissions``.

    The services check again (an engineer who cannot move returns is refused there too); this answers
    403 before any work is done. Unauthenticated requests get 401 from the authentication classes.
    """

    message = "You do not have permission to do this."

    def has_permission(self, request, view) -> bool:
        user = request.user
        if not user or not user.is_authenticated or not user.is_active:
            return False
        if getattr(view, request.method.lower(), None) is None:
            return True  # no such method here: DRF answers 405 Method Not Allowed
        action = getattr(view, "action", None) or request.method.lower()
        if action == "metadata":
            action = "list"
        permissions_for = getattr(view, "permissions_for", None)
        if permissions_for is not None:  # declared actions (core.api.actions) and the viewset's own methods
            wanted = permissions_for(action)
        else:
            wanted = getattr(view, "action_permissions", {}).get(action)
            if isinstance(wanted, str):
                wanted = (wanted,)
        if wanted is None:
            return False
        return user.has_perms(wanted)
