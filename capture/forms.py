from django import forms
from django.conf import settings
from django.template.defaultfilters import filesizeformat
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from capture.models import MailSecurity


class UploadEmailForm(forms.Form):
    file = forms.FileField(
        label=gettext_lazy("E-mail (.eml) or meeting invitation (.ics)"),
        help_text=gettext_lazy(
            "Save the message or the invitation from your mail program (“Save as…” or drag it out)."
        ),
    )

    def clean_file(self):
        upload = self.cleaned_data["file"]
        limit = settings.CAPTURE_MAX_MESSAGE_BYTES
        if upload.size > limit:
            raise forms.ValidationError(
                _("This file is %(size)s; the limit is %(limit)s.")
                % {"size": filesizeformat(upload.size), "limit": filesizeformat(limit)}
            )
        return upload


class FileMessageForm(forms.Form):
    client = forms.TypedChoiceField(label=gettext_lazy("Client"), coerce=int, choices=())
    remember_domain = forms.BooleanField(label=gettext_lazy("Remember this domain for this client"), required=False)

    def __init__(self, *args, clients=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["client"].choices = [(c.pk, c.name) for c in clients]


class PersonalMailboxForm(forms.Form):
    host = forms.CharField(
        label=gettext_lazy("IMAP server"), max_length=253, help_text=gettext_lazy("e.g. imap.gmail.com")
    )
    port = forms.IntegerField(label=gettext_lazy("Port"), min_value=1, max_value=65535, initial=993)
    security = forms.ChoiceField(label=gettext_lazy("Security"), choices=MailSecurity.choices, initial=MailSecurity.SSL)
    username = forms.CharField(
        label=gettext_lazy("User name"), max_length=254, help_text=gettext_lazy("Usually your e-mail address.")
    )
    password = forms.CharField(
        label=gettext_lazy("Password"),
        widget=forms.PasswordInput(render_value=False),
        help_text=gettext_lazy("An app password where your provider offers one (Gmail, Microsoft 365)."),
    )
    mailbox = forms.CharField(label=gettext_lazy("Folder"), max_length=200, initial="INBOX")
    consent = forms.BooleanField(
        label=gettext_lazy(
            "I agree that the CRM reads this mailbox and keeps only the messages exchanged with my clients' contacts."
        ),
        required=False,
    )


class OAuthMailboxForm(forms.Form):
    email = forms.EmailField(label=gettext_lazy("Your e-mail address"))
    consent = forms.BooleanField(label=PersonalMailboxForm.base_fields["consent"].label, required=True)
