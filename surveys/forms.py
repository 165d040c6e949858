from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from surveys.models import SurveyKind, SurveySchedule

DATE_INPUT = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


class _ContactsForm(forms.Form):
    contacts = forms.MultipleChoiceField(label=_("Ask"), widget=forms.CheckboxSelectMultiple, choices=())

    def __init__(self, *args, contacts=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.contacts = {str(c.pk): c for c in contacts}
        self.fields["contacts"].choices = [
            (str(c.pk), f"{c} ({c.email})" if c.email else _("%(contact)s — no e-mail address") % {"contact": c})
            for c in contacts
        ]

    def chosen_contacts(self):
        return [self.contacts[pk] for pk in self.cleaned_data["contacts"]]


class SendForm(_ContactsForm):
    kind = forms.ChoiceField(label=_("Survey"), choices=SurveyKind.choices, initial=SurveyKind.NPS)
    open_days = forms.IntegerField(label=_("Open for (days)"), min_value=1, max_value=90, initial=21)
    field_order = ["kind", "contacts", "open_days"]


class ScheduleForm(_ContactsForm):
    kind = forms.ChoiceField(label=_("Survey"), choices=SurveyKind.choices, initial=SurveyKind.NPS)
    every_months = forms.TypedChoiceField(
        label=_("Every"), coerce=int, choices=SurveySchedule._meta.get_field("every_months").choices, initial=3
    )
    next_on = forms.DateField(label=_("Next survey on"), widget=DATE_INPUT)
    is_active = forms.BooleanField(label=_("Active"), required=False, initial=True)
    field_order = ["kind", "contacts", "every_months", "next_on", "is_active"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["next_on"].initial = timezone.localdate()


class AnswerForm(forms.Form):
    score = forms.TypedChoiceField(label=_("Your score"), coerce=int, choices=(), widget=forms.RadioSelect)
    comment = forms.CharField(label=_("The main reason for your score (optional)"), required=False, max_length=2000,
                              widget=forms.Textarea(attrs={"rows": 3}))  # fmt: skip

    def __init__(self, *args, low: int, high: int, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["score"].choices = [(n, str(n)) for n in range(low, high + 1)]
