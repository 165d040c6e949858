"""Glue shared by the HTML views of every app."""

from django.core.exceptions import ValidationError
from django.http import HttpRequest

from core.errors import ApplicationError


def add_service_error(form, exc: Exception) -> None:
    """Put a service refusal on the form, next to its field when the service named one."""
    if isinstance(exc, ValidationError):
        if hasattr(exc, "error_dict"):
            for field, errors in exc.message_dict.items():
                form.add_error(field if field in form.fields else None, errors)
        else:
            form.add_error(None, exc.messages)
    elif isinstance(exc, ApplicationError):
        form.add_error(exc.field if exc.field in form.fields else None, exc.message)


def service_error_text(exc: Exception) -> str:
    """A service refusal as one sentence, for a message that is not next to a field (a bulk action)."""
    if isinstance(exc, ApplicationError):
        return exc.message
    if isinstance(exc, ValidationError):
        return " ".join(exc.messages)
    return str(exc)


def is_htmx(request: HttpRequest) -> bool:
    return request.headers.get("HX-Request") == "true"
