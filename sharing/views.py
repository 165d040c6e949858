"""The account manager's sharing page, and the page a client's contact opens from their link (no login: the
token in the URL and a one-time code sent to their address)."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from clients.permissions import client_can_edit, client_get_for_user
from core.errors import ApplicationError, NotAllowedError
from core.forms import add_service_error
from core.public_pages import private, speaking, too_many_requests
from reviews.services import shared_content_choose
from sharing import selectors, services
from sharing.forms import CodeForm, CommentForm, ShareForm
from sharing.models import SharedPlanLink
from sharing.services import CodeCheck, LinkState, Visitor

_VERIFIED = "sharing_verified_links"


def _share_form(client, data=None) -> ShareForm:
    contacts = list(client.contacts.filter(is_active=True).order_by("last_name", "first_name"))
    return ShareForm(data, contacts=contacts)


@login_required
@require_http_methods(["GET", "POST"])
def manage(request: HttpRequest, client_pk: int) -> HttpResponse:
    """Choose what the client sees, share it with contacts, see who opened it, revoke."""
    client = client_get_for_user(user=request.user, pk=client_pk)
    can_edit = client_can_edit(user=request.user, client=client)
    form = _share_form(client)
    if request.method == "POST":
        if not can_edit:
            raise PermissionDenied  # visible, but not theirs to share: 403
        if request.POST.get("action") == "content":
            contacts = {str(c.pk): c for c in client.contacts.all()}
            items = {}
            for item in selectors.shareable_items(client=client):
                if request.POST.get(f"item-{item.pk}-shared"):
                    items[item.pk] = contacts.get(request.POST.get(f"item-{item.pk}-contact", ""))
            indexes = [int(i) for i in request.POST.getlist("objective") if i.isdigit()]
            try:
                shared_content_choose(client=client, by=request.user, objective_indexes=indexes, items=items)
            except ApplicationError as exc:
                messages.error(request, exc.message)
            else:
                messages.success(request, _("Saved what the client sees."))
            return redirect("sharing:manage", client_pk=client.pk)
        form = _share_form(client, request.POST)
        if form.is_valid():
            try:
                created = services.shared_links_create(
                    client=client, contacts=form.chosen_contacts(), by=request.user,
                    expires_in_days=form.cleaned_data["expires_in_days"], base_url=request.build_absolute_uri("/"),
                )  # fmt: skip
            except ApplicationError as exc:
                add_service_error(form, exc)
            else:
                names = ", ".join(str(new.link.contact) for new in created)
                messages.success(request, _("Link sent to %(names)s.") % {"names": names})
                return redirect("sharing:manage", client_pk=client.pk)
    plan = getattr(client, "account_plan", None) if hasattr(client, "account_plan") else None
    context = {
        "client": client,
        "can_edit": can_edit,
        "form": form,
        "links": selectors.links_for_client(client=client),
        "objectives": list(enumerate(plan.objectives)) if plan else [],
        "items": selectors.shareable_items(client=client),
        "contacts": list(client.contacts.filter(is_active=True).order_by("last_name", "first_name")),
        "now": timezone.now(),
    }
    return render(request, "sharing/manage.html", context)


@login_required
@require_POST
def revoke(request: HttpRequest, pk: int) -> HttpResponse:
    link = SharedPlanLink.objects.filter(pk=pk).select_related("client").first()
    if link is None:
        raise Http404
    client_get_for_user(user=request.user, pk=link.client_id)  # 404 for a client the user cannot see
    try:
        services.shared_link_revoke(link=link, by=request.user)
    except NotAllowedError:
        raise PermissionDenied from None
    messages.success(request, _("Link revoked: it no longer opens the page."))
    return redirect("sharing:manage", client_pk=link.client_id)


# --- the contact's page ---------------------------------------------------------------------------------------------


def _visitor(request: HttpRequest) -> Visitor:
    return Visitor(ip_address=request.META.get("REMOTE_ADDR"), user_agent=request.META.get("HTTP_USER_AGENT", ""))


def _refused(request: HttpRequest, state: str, status: int) -> HttpResponse:
    return private(render(request, "sharing/refused.html", {"state": state}, status=status))


@require_http_methods(["GET", "POST"])
def page(request: HttpRequest, token: str) -> HttpResponse:
    if too_many_requests(request, scope="sharing"):
        return _refused(request, "busy", 429)
    state, link = services.shared_link_find(token=token)
    if state == LinkState.UNKNOWN:
        return _refused(request, state, 404)
    with speaking(link.contact.language):  # the contact's own language; blank: as their browser asks
        if state != LinkState.VALID:
            return _refused(request, state, 410)
        response = _contact_page(request, link)
        response["Content-Language"] = translation.get_language()
        return response


def _contact_page(request: HttpRequest, link: SharedPlanLink) -> HttpResponse:
    verified = link.pk in request.session.get(_VERIFIED, [])
    visitor = _visitor(request)
    code_form, comment_form = CodeForm(), CommentForm()
    action = request.POST.get("action", "")
    if request.method == "POST" and not verified:
        try:
            if action == "send_code":
                services.shared_code_send(link=link, visitor=visitor)
                messages.success(request, _("We sent a code to your e-mail address."))
                return private(redirect(request.path))
            if action == "check_code":
                code_form = CodeForm(request.POST)
                if code_form.is_valid():
                    result = services.shared_code_check(link=link, code=code_form.cleaned_data["code"], visitor=visitor)
                    if result == CodeCheck.RIGHT:
                        request.session.cycle_key()  # a new session id once the code is right
                        request.session[_VERIFIED] = [*request.session.get(_VERIFIED, []), link.pk]
                        return private(redirect(request.path))
                    code_form.add_error("code", str(CodeCheck.MESSAGES[result]))
        except ApplicationError as exc:
            if action == "check_code":
                add_service_error(code_form, exc)
            else:
                messages.error(request, exc.message)
    elif request.method == "POST":
        try:
            if action == "tick":
                item_id = int(request.POST.get("item", "0") or 0)
                services.shared_item_tick(
                    link=link, item_id=item_id, done=request.POST.get("done") == "1", visitor=visitor
                )
                return private(redirect(request.path))
            if action == "comment":
                comment_form = CommentForm(request.POST)
                if comment_form.is_valid():
                    services.shared_comment_add(link=link, text=comment_form.cleaned_data["text"], visitor=visitor)
                    messages.success(request, _("Thank you: your account manager has your comment."))
                    return private(redirect(request.path))
        except (ApplicationError, NotAllowedError, ValueError) as exc:
            messages.error(request, getattr(exc, "message", None) or _("That did not work; reload the page."))
    if not verified:
        masked = _mask(link.email)
        context = {"link": link, "masked_email": masked, "code_form": code_form, "code_sent": bool(link.code_sent_at)}
        return private(render(request, "sharing/code.html", context))
    services.shared_page_viewed(link=link, visitor=visitor)
    shared = selectors.shared_page(link=link, today=timezone.localdate())
    return private(render(request, "sharing/page.html", {"page": shared, "comment_form": comment_form}))


def _mask(email: str) -> str:
    name, _at, domain = email.partition("@")
    return f"{name[:1]}{'•' * max(len(name) - 1, 2)}@{domain}"
