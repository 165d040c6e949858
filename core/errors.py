"""Errors that services raise and both HTML views and the API translate for the user."""


class ApplicationError(Exception):
    """A business rule refused the action; the message is shown to the user as is."""

    def __init__(self, message: str, *, field: str | None = None):
        super().__init__(message)
        self.message = message
        self.field = field


class ConcurrentEditError(ApplicationError):
    """Someone saved the record after this form or request was loaded (HTTP 409)."""


class NotAllowedError(ApplicationError):
    """The user may see the object but not perform this action on it (HTTP 403)."""


class IdempotencyConflictError(ApplicationError):
    """An idempotency key (a deal id, say) was reused with other parameters than its first use (HTTP 409)."""
