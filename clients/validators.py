"""Field validators of the clients models: a sentence on the field, in the form and in the API's 400."""

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

from core.search import phone_digits, phone_is_impossible

MAX_CADENCE_DAYS = 365


def validate_phone(value: str) -> None:
    if value and len(phone_digits(value)) < 3:
        raise ValidationError(_("Enter a phone number with its digits, e.g. +49 30 1234567."), code="invalid_phone")
    if value and phone_is_impossible(value):
        raise ValidationError(
            _("This is not a phone number any country uses: check the country code and the number of digits."),
            code="invalid_phone",
        )
