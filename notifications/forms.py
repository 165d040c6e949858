"""Forms of the notification settings and of the webhooks (crispy; the services validate)."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from notifications import kinds
from notifications.models import Webhook, WebhookFormat
from notifications.webhooks import WebhookEvent


class PreferencesForm(forms.Form):
    """One choice per kind of notification: in app, e-mail, both, off."""

    def __init__(self, *args, initial_choices: dict[str, str], **kwargs) -> None:
        super().__init__(*args, **kwargs)
        for kind, label in kinds.Kind.choices:
            spec = kinds.SPECS[kind]
            self.fields[kind] = forms.ChoiceField(
                label=label,
                choices=kinds.Channel.choices,
                initial=initial_choices.get(kind, spec.default),
                help_text=_("E-mail means a section of the morning digest.") if spec.in_digest else "",
            )


class WebhookForm(forms.Form):
    name = forms.CharField(label=_("Name"), max_length=100)
    url = forms.CharField(
        label=_("URL"),
        max_length=500,
        help_text=_("http:// or https://; a public address (loopback and private networks are refused)."),
    )
    events = forms.MultipleChoiceField(
        label=_("Events"), choices=WebhookEvent.choices, widget=forms.CheckboxSelectMultiple
    )
    format = forms.ChoiceField(label=_("Format"), choices=WebhookFormat.choices, initial=WebhookFormat.JSON)
    is_active = forms.BooleanField(label=_("Active"), required=False, initial=True)

    @classmethod
    def for_webhook(cls, webhook: Webhook, data=None) -> WebhookForm:
        initial = {k: getattr(webhook, k) for k in ("name", "url", "events", "format", "is_active")}
        return cls(data, initial=initial)
