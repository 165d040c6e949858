from django import forms
from django.utils.translation import gettext_lazy


class ShareForm(forms.Form):
    contacts = forms.MultipleChoiceField(
        label=gettext_lazy("Share with"), widget=forms.CheckboxSelectMultiple, choices=()
    )
    expires_in_days = forms.IntegerField(
        label=gettext_lazy("Link works for (days)"), min_value=1, max_value=365, initial=30
    )

    def __init__(self, *args, contacts=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.contacts = {str(c.pk): c for c in contacts}
        self.fields["contacts"].choices = [
            (str(c.pk), f"{c} ({c.email})" if c.email else f"{c} — {gettext_lazy('no e-mail address')}")
            for c in contacts
        ]

    def chosen_contacts(self):
        return [self.contacts[pk] for pk in self.cleaned_data["contacts"]]


class CodeForm(forms.Form):
    code = forms.CharField(
        label=gettext_lazy("One-time code"), max_length=12,
        widget=forms.TextInput(attrs={"inputmode": "numeric", "autocomplete": "one-time-code", "autofocus": True}),
    )  # fmt: skip


class CommentForm(forms.Form):
    text = forms.CharField(
        label=gettext_lazy("Your comment"), max_length=2000, widget=forms.Textarea(attrs={"rows": 3})
    )
