from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_http_methods
from rest_framework.authtoken.models import Token

from users import preferences, services


@login_required
@require_http_methods(["GET", "POST"])
def api_token(request: HttpRequest) -> HttpResponse:
    """Show whether the user has an API token; create, rotate or revoke it."""
    new_key = None
    if request.method == "POST":
        if request.POST.get("action") == "revoke":
            services.api_token_revoke(user=request.user)
            messages.success(request, _("API token revoked. Tools using it can no longer sign in."))
            return redirect("api_token")
        new_key = services.api_token_rotate(user=request.user).key
        messages.success(request, _("New API token created; copy it now, it is shown only once."))
    has_token = Token.objects.filter(user=request.user).exists()
    return render(request, "users/api_token.html", {"new_key": new_key, "has_token": has_token})


class PreferencesForm(forms.Form):
    language = forms.ChoiceField(label=gettext_lazy("Language"), required=False, choices=preferences.language_choices)
    time_zone = forms.ChoiceField(
        label=gettext_lazy("Time zone"),
        required=False,
        choices=preferences.time_zone_choices,
        help_text=gettext_lazy(
            "Times on every page are shown in this zone; due dates and the morning run keep the company's day."
        ),
    )


@login_required
@require_http_methods(["GET", "POST"])
def preferences_view(request: HttpRequest) -> HttpResponse:
    """Language and time zone of the signed-in user."""
    user = request.user
    form = PreferencesForm(request.POST or None, initial={"language": user.language, "time_zone": user.time_zone})
    if request.method == "POST" and form.is_valid():
        services.preferences_update(user=user, **form.cleaned_data)
        translation.activate(user.language or translation.get_language_from_request(request))
        messages.success(request, _("Preferences saved."))
        return redirect("preferences")
    return render(request, "users/preferences.html", {"form": form})
