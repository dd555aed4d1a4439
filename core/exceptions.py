"""Domain errors. Each carries a stable ``code`` that the API and admin show as-is."""

from __future__ import annotations


class DomainError(Exception):
    """A request that the domain refuses. ``http_status`` is what the API answers."""

    code = "refused"
    http_status = 409

    def __init__(self, message: str, *, code: str | None = None, field: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        if code is not None:
            self.code = code
        self.field = field

    def __str__(self) -> str:
        return self.message


class TransitionRefused(DomainError):
    """The lifecycle table or a precondition of the action does not allow the move."""

    code = "transition_not_allowed"


class GoodwillNotAllowed(DomainError):
    """One of the goodwill conditions does not hold; ``code`` names which one."""

    code = "goodwill_not_allowed"


class ActionNotPermitted(DomainError):
    """The actor lacks the permission the action needs."""

    code = "permission_denied"
    http_status = 403


class NotFound(DomainError):
    code = "not_found"
    http_status = 404


class InvalidInput(DomainError):
    """The request is well-formed but its values make no sense for the domain."""

    code = "invalid"
    http_status = 400


class ImportFileInvalid(InvalidInput):
    """A file that cannot be imported at all (no header, a required column missing): no row was read."""

    code = "import_file_invalid"
