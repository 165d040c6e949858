"""The playbook editor (the playbook and its ordered steps), and the small forms of a run. No logic: services decide."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from clients.models import ContactRole
from flags.models import TriggerRule
from flags.permissions import rule_visibility_q
from playbooks import templating
from playbooks.models import Anchor, OwnerRole, Playbook, StepKind, Trigger
from users.models import Team, User


class PlaybookForm(forms.Form):
    version = forms.IntegerField(widget=forms.HiddenInput, required=False)
    name = forms.CharField(label=_("Name"), max_length=120)
    description = forms.CharField(label=_("What it is for"), required=False, widget=forms.Textarea(attrs={"rows": 2}))
    team = forms.ModelChoiceField(
        label=_("Team"), queryset=Team.objects.all(), required=False, empty_label=_("Global (every team)")
    )
    trigger = forms.ChoiceField(label=_("Starts"), choices=Trigger.choices)
    rules = forms.ModelMultipleChoiceField(
        label=_("Rules whose flags start it"), queryset=TriggerRule.objects.none(), required=False
    )
    days_before_renewal = forms.IntegerField(label=_("Days before the renewal"), min_value=1, max_value=365, initial=90)
    resolves_flag = forms.BooleanField(
        label=_("Completing the last step resolves the flag"), required=False, initial=True
    )
    is_active = forms.BooleanField(label=_("Active"), required=False, initial=True)

    def __init__(self, *args, user: User, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["rules"].queryset = TriggerRule.objects.filter(rule_visibility_q(user)).order_by("name")
        if not user.is_admin_role:
            # A lead's playbooks belong to their team.
            self.fields["team"].queryset = Team.objects.filter(pk=user.team_id)
            self.fields["team"].empty_label = None
            self.fields["team"].initial = user.team_id

    def playbook_data(self) -> dict:
        data = self.cleaned_data
        team = data.get("team")
        return {
            "name": data["name"],
            "description": data.get("description", ""),
            "team_id": team.pk if team else None,
            "trigger": data["trigger"],
            "days_before_renewal": data.get("days_before_renewal") or 90,
            "resolves_flag": data.get("resolves_flag", False),
            "is_active": data.get("is_active", False),
        }


class StepForm(forms.Form):
    kind = forms.ChoiceField(label=_("Kind"), choices=StepKind.choices)
    title = forms.CharField(label=_("Title"), max_length=200)
    owner_role = forms.ChoiceField(label=_("Who"), choices=OwnerRole.choices)
    offset_days = forms.IntegerField(label=_("Due after, days"), min_value=0, max_value=365, initial=0)
    anchor = forms.ChoiceField(label=_("Counted"), choices=Anchor.choices, initial=Anchor.PREVIOUS)
    contact_role = forms.ChoiceField(
        label=_("E-mail to the contact who is"), choices=[("", "—"), *ContactRole.choices], required=False
    )
    email_subject = forms.CharField(label=_("E-mail subject"), max_length=200, required=False)
    email_body = forms.CharField(
        label=_("E-mail text"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("Fields: %(fields)s") % {"fields": ", ".join(f"{{{name}}}" for name in templating.PLACEHOLDERS)},
    )

    def clean(self):
        data = super().clean()
        if data.get("kind") == StepKind.EMAIL:
            if not data.get("contact_role"):
                self.add_error("contact_role", _("Choose whom the e-mail goes to."))
            if not data.get("email_subject"):
                self.add_error("email_subject", _("Give the e-mail a subject."))
            if not (data.get("email_body") or "").strip():
                self.add_error("email_body", _("Write the e-mail."))
        for field in ("email_subject", "email_body"):
            unknown = templating.unknown_placeholders(data.get(field) or "")
            if unknown:
                self.add_error(
                    field,
                    _("Unknown field(s): %(names)s.") % {"names": ", ".join(f"{{{name}}}" for name in unknown)},
                )
        return data


class BaseStepFormSet(forms.BaseFormSet):
    def clean(self):
        super().clean()
        if any(self.errors):
            return
        if not self.ordered_steps():
            raise forms.ValidationError(_("Add at least one step."))

    def ordered_steps(self) -> list[dict]:
        kept = [f for f in self.forms if f.cleaned_data and not f.cleaned_data.get("DELETE")]
        kept.sort(key=lambda f: (f.cleaned_data.get("ORDER") is None, f.cleaned_data.get("ORDER") or 0))
        return [{k: v for k, v in f.cleaned_data.items() if k not in {"ORDER", "DELETE"}} for f in kept]


StepFormSet = forms.formset_factory(
    StepForm, formset=BaseStepFormSet, extra=0, can_order=True, can_delete=True, max_num=30, validate_max=True
)


def step_initial(steps) -> list[dict]:
    return [
        {
            "kind": s.kind,
            "title": s.title,
            "owner_role": s.owner_role,
            "offset_days": s.offset_days,
            "anchor": s.anchor,
            "contact_role": s.contact_role,
            "email_subject": s.email_subject,
            "email_body": s.email_body,
            "ORDER": s.position,
        }
        for s in steps
    ]


class ReasonForm(forms.Form):
    reason = forms.CharField(
        label=_("Why"), max_length=2000, widget=forms.Textarea(attrs={"rows": 3, "autofocus": True})
    )


class SendForm(forms.Form):
    to = forms.EmailField(label=_("To"))
    subject = forms.CharField(label=_("Subject"), max_length=300)
    body = forms.CharField(label=_("Text"), widget=forms.Textarea(attrs={"rows": 10}))


class StartForm(forms.Form):
    playbook = forms.ModelChoiceField(label=_("Playbook"), queryset=Playbook.objects.none())
    flag = forms.IntegerField(widget=forms.HiddenInput, required=False)

    def __init__(self, *args, playbooks, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["playbook"].queryset = playbooks
