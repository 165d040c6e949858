"""Pages of e-mail capture: the To file queue, one captured message, the .eml upload. Thin: forms validate,
services write, selectors read, the access helpers of capture/permissions.py decide."""

from __future__ import annotations

import secrets

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.http import content_disposition_header
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_http_methods, require_POST

from capture import calendar, meetings, oauth, selectors, services, vcard
from capture.forms import FileMessageForm, OAuthMailboxForm, PersonalMailboxForm, UploadEmailForm
from capture.models import CalendarFeed, CaptureSource, CaptureStatus, PersonalMailbox
from capture.permissions import (
    captured_message_can_file,
    captured_message_can_set_private,
    captured_message_get_for_user,
)
from clients.models import Client, Contact
from clients.permissions import client_can_edit, client_get_for_user
from core.errors import ApplicationError, NotAllowedError
from core.forms import add_service_error


@login_required
def to_file(request: HttpRequest) -> HttpResponse:
    queue = selectors.to_file_queue(user=request.user)
    clients = selectors.fileable_clients(user=request.user)
    candidates = selectors.candidate_clients(messages=queue, user=request.user)
    rows = [
        {
            "message": m,
            "candidates": candidates.get(m.pk, []),
            "can_file": m.status == CaptureStatus.TO_FILE,
            "form": FileMessageForm(clients=clients, prefix=f"m{m.pk}"),
        }
        for m in queue
    ]
    return render(request, "capture/to_file.html", {"rows": rows, "has_clients": bool(clients)})


@login_required
def message_detail(request: HttpRequest, pk: int) -> HttpResponse:
    message = captured_message_get_for_user(user=request.user, pk=pk)
    context = {
        "message": message,
        "thread": selectors.thread_messages(message=message, user=request.user),
        "can_set_private": captured_message_can_set_private(user=request.user, message=message),
        "can_file": captured_message_can_file(user=request.user, message=message),
    }
    return render(request, "capture/message_detail.html", context)


@login_required
@require_POST
def message_file(request: HttpRequest, pk: int) -> HttpResponse:
    """File a To file message: a candidate's button (``client``) or the list of the user's clients."""
    message = captured_message_get_for_user(user=request.user, pk=pk)
    if not captured_message_can_file(user=request.user, message=message):
        raise PermissionDenied
    client_pk = request.POST.get("client") or request.POST.get(f"m{pk}-client")
    if not (client_pk and str(client_pk).isdigit()):
        messages.error(request, _("Choose the client this e-mail belongs to."))
        return redirect("capture:to_file")
    try:
        client = client_get_for_user(user=request.user, pk=int(client_pk))
    except Http404:
        messages.error(request, _("Choose the client this e-mail belongs to."))
        return redirect("capture:to_file")
    remember = request.POST.get("remember_domain") == "on" or request.POST.get(f"m{pk}-remember_domain") == "on"
    try:
        services.captured_message_file(message=message, client=client, by=request.user, remember_domain=remember)
    except ApplicationError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, _("Filed to %(client)s.") % {"client": client.name})
    return redirect("capture:to_file")


@login_required
@require_POST
def thread_private(request: HttpRequest, pk: int) -> HttpResponse:
    message = captured_message_get_for_user(user=request.user, pk=pk)
    if not captured_message_can_set_private(user=request.user, message=message):
        raise PermissionDenied
    private = request.POST.get("private", "on") != "off"
    try:
        result = services.thread_set_private(message=message, by=request.user, private=private)
    except NotAllowedError as exc:
        raise PermissionDenied(exc.message) from exc
    if private:
        text = _("The thread is private: only you and your team lead see it.")
    else:
        text = _("The thread is shared again.")
    if result.skipped:
        text += " " + ngettext(
            "%(count)s message of colleagues in it was left as it is.",
            "%(count)s messages of colleagues in it were left as they are.",
            result.skipped,
        ) % {"count": result.skipped}
    messages.success(request, text)
    return redirect("capture:message", pk=message.pk)


@login_required
@require_http_methods(["GET", "POST"])
def upload(request: HttpRequest, client_pk: int) -> HttpResponse:
    client: Client = client_get_for_user(user=request.user, pk=client_pk)
    if not client_can_edit(user=request.user, client=client):
        raise PermissionDenied
    form = UploadEmailForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        raw = form.cleaned_data["file"].read()
        if meetings.looks_like_icalendar(raw):
            return _upload_invitation(request, form=form, raw=raw, client=client)
        try:
            result = services.message_capture(raw=raw, source=CaptureSource.UPLOAD, by=request.user, client=client)
        except ApplicationError as exc:
            add_service_error(form, exc)
        else:
            captured = result.message
            if captured.status == CaptureStatus.FAILED:
                form.add_error("file", captured.get_reason_display())
            elif not result.created and captured.client_id != client.pk:
                form.add_error("file", _("This e-mail was captured before and is not filed on this client."))
            else:
                text = _("E-mail added to the timeline.") if result.created else _("This e-mail was already captured.")
                messages.success(request, text)
                return redirect("clients:detail", pk=client.pk)
    return render(request, "capture/upload.html", {"form": form, "client": client})


def _upload_invitation(request: HttpRequest, *, form, raw: bytes, client: Client) -> HttpResponse:
    try:
        results = services.invitation_upload(raw=raw, client=client, by=request.user)
    except ApplicationError as exc:
        form.add_error("file", exc.message)
        return render(request, "capture/upload.html", {"form": form, "client": client})
    logged = sum(1 for r in results if r.outcome == "logged")
    scheduled = sum(1 for r in results if r.outcome in {"scheduled", "moved"})
    cancelled = sum(1 for r in results if r.outcome == "cancelled")
    if logged:
        messages.success(request, _("Meeting logged on the timeline."))
    if scheduled:
        messages.success(request, _("Meeting noted; it will be logged on the timeline once it has taken place."))
    if cancelled:
        messages.info(request, _("The meeting was cancelled and will not be logged."))
    if not (logged or scheduled or cancelled):
        messages.info(request, _("Nothing new in this invitation: the meeting is already known."))
    return redirect("clients:detail", pk=client.pk)


@login_required
@require_http_methods(["GET", "POST"])
def calendar_settings(request: HttpRequest) -> HttpResponse:
    """Create, replace or revoke the user's private calendar feed; the URL is shown once."""
    feed_url = None
    if request.method == "POST":
        if request.POST.get("action") == "revoke":
            services.calendar_feed_revoke(user=request.user)
            messages.success(request, _("Calendar feed revoked: calendars subscribed to it stop updating."))
            return redirect("capture:calendar")
        token = services.calendar_feed_rotate(user=request.user)
        feed_url = request.build_absolute_uri(reverse("capture:calendar_feed", args=[token]))
        messages.success(request, _("New calendar feed created; copy its address now, it is shown only once."))
    feed = CalendarFeed.objects.filter(user=request.user).first()
    return render(request, "capture/calendar_settings.html", {"feed": feed, "feed_url": feed_url})


def calendar_feed(request: HttpRequest, token: str) -> HttpResponse:
    """The feed itself: no login (calendar apps cannot sign in); the secret in the URL is the key."""
    user = services.calendar_feed_open(token=token)
    if user is None:
        raise Http404(_("No such calendar feed."))
    with translation.override(user.language or translation.get_language()):
        entries = calendar.entries_for(user=user, today=timezone.localdate())
        body = calendar.feed_ics(
            entries=entries, name=_("Account CRM: %(name)s") % {"name": user}, base_url=request.build_absolute_uri("/")
        )
    response = HttpResponse(body, content_type="text/calendar; charset=utf-8")
    response["Cache-Control"] = "private, max-age=300"
    response["X-Robots-Tag"] = "noindex"
    return response


@login_required
def client_vcards(request: HttpRequest, client_pk: int) -> HttpResponse:
    """Every stakeholder still at the client, as one .vcf an address book imports."""
    client = client_get_for_user(user=request.user, pk=client_pk)
    contacts = client.contacts.filter(is_active=True).select_related("client").order_by("last_name", "first_name")
    response = HttpResponse(vcard.contacts_vcard(contacts), content_type="text/vcard; charset=utf-8")
    response["Content-Disposition"] = content_disposition_header(True, f"{client.name} stakeholders.vcf")
    return response


@login_required
def contact_vcard(request: HttpRequest, pk: int) -> HttpResponse:
    contact = Contact.objects.select_related("client").filter(pk=pk).first()
    if contact is None:
        raise Http404(_("No such contact."))
    client_get_for_user(user=request.user, pk=contact.client_id)  # 404 when the client is not theirs to see
    response = HttpResponse(vcard.contact_vcard(contact), content_type="text/vcard; charset=utf-8")
    response["Content-Disposition"] = content_disposition_header(True, f"{contact.full_name}.vcf")
    return response


@login_required
@require_http_methods(["GET", "POST"])
def personal_mailbox(request: HttpRequest) -> HttpResponse:
    """Connect, replace or disconnect the user's own mailbox (read with their consent)."""
    current = PersonalMailbox.objects.filter(user=request.user).first()
    if request.method == "POST" and request.POST.get("action") == "disconnect":
        services.personal_mailbox_disconnect(user=request.user)
        messages.success(request, _("Mailbox disconnected; its password is forgotten. Mail already filed stays."))
        return redirect("capture:personal_mailbox")
    initial = {"host": current.host, "port": current.port, "security": current.security, "username": current.username,
               "mailbox": current.mailbox} if current else None  # fmt: skip
    form = PersonalMailboxForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            services.personal_mailbox_connect(user=request.user, **form.cleaned_data)
        except ApplicationError as exc:
            add_service_error(form, exc)
        else:
            messages.success(request, _("Mailbox connected: new mail with your clients' contacts will be filed."))
            return redirect("capture:personal_mailbox")
    context = {"form": form, "mailbox": current, "oauth_form": OAuthMailboxForm(), "providers": oauth.providers()}
    return render(request, "capture/personal_mailbox.html", context)


_OAUTH_SESSION_KEY = "capture_oauth"


@login_required
@require_POST
def personal_mailbox_oauth_start(request: HttpRequest) -> HttpResponse:
    """Send the user to their provider's sign-in page (authorization code with PKCE); their address and consent
    wait in the session for the callback."""
    provider = oauth.providers().get(request.POST.get("provider", ""))
    form = OAuthMailboxForm(request.POST)
    if provider is None or not form.is_valid():
        messages.error(request, _("Give your e-mail address and tick the consent box to sign in."))
        return redirect("capture:personal_mailbox")
    verifier, challenge = oauth.pkce_pair()
    state = secrets.token_urlsafe(24)
    request.session[_OAUTH_SESSION_KEY] = {
        "state": state, "verifier": verifier, "provider": provider.key, "email": form.cleaned_data["email"],
    }  # fmt: skip
    redirect_uri = request.build_absolute_uri(reverse("capture:personal_mailbox_oauth_callback"))
    return redirect(
        oauth.authorization_url(
            provider, state=state, challenge=challenge, redirect_uri=redirect_uri, login_hint=form.cleaned_data["email"]
        )
    )


@login_required
def personal_mailbox_oauth_callback(request: HttpRequest) -> HttpResponse:
    """The provider sends the user back here with a code (or an error); the state must be the one we sent."""
    pending = request.session.pop(_OAUTH_SESSION_KEY, None)
    state = request.GET.get("state", "")
    if not pending or not state or not secrets.compare_digest(state, pending["state"]):
        messages.error(request, _("This sign-in did not start here or has expired; try again."))
        return redirect("capture:personal_mailbox")
    if request.GET.get("error") or not request.GET.get("code"):
        messages.error(request, _("The sign-in was cancelled; the mailbox is not connected."))
        return redirect("capture:personal_mailbox")
    provider = oauth.providers().get(pending["provider"])
    redirect_uri = request.build_absolute_uri(reverse("capture:personal_mailbox_oauth_callback"))
    try:
        if provider is None:
            raise oauth.OAuthError(_("This sign-in provider is not set up here."))
        tokens = oauth.exchange_code(
            provider, code=request.GET["code"], verifier=pending["verifier"], redirect_uri=redirect_uri,
            now=timezone.now(),
        )  # fmt: skip
        services.personal_mailbox_connect_oauth(
            user=request.user, provider_key=provider.key, email=pending["email"], tokens=tokens, consent=True
        )
    except (oauth.OAuthError, ApplicationError) as exc:
        messages.error(request, str(getattr(exc, "message", exc)))
        return redirect("capture:personal_mailbox")
    messages.success(request, _("Mailbox connected: new mail with your clients' contacts will be filed."))
    return redirect("capture:personal_mailbox")
