from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_http_methods, require_POST

from core.errors import ApplicationError
from core.forms import add_service_error
from notifications import selectors, services
from notifications.forms import PreferencesForm, WebhookForm
from notifications.models import OutboxChannel, OutboxMessage, OutboxStatus, Webhook
from notifications.webhooks import WebhookEvent


@login_required
def notification_list(request: HttpRequest) -> HttpResponse:
    if request.method == "POST":
        count = services.notifications_mark_read(user=request.user)
        messages.success(
            request,
            ngettext("%(count)d notification marked read.", "%(count)d notifications marked read.", count)
            % {"count": count},
        )
        return redirect("notifications:list")
    page = Paginator(selectors.notifications_for(user=request.user), 30).get_page(request.GET.get("page"))
    return render(request, "notifications/notification_list.html", {"page": page})


@login_required
@require_http_methods(["GET", "POST"])
def preferences(request: HttpRequest) -> HttpResponse:
    """Per kind of notification: in app, e-mail, both or off (the morning digest follows the same choices)."""
    current = selectors.preferences_of(user=request.user)
    form = PreferencesForm(request.POST or None, initial_choices=current)
    if request.method == "POST" and form.is_valid():
        try:
            services.notification_preferences_update(user=request.user, choices=form.cleaned_data)
        except ValidationError as exc:
            add_service_error(form, exc)
        else:
            messages.success(request, _("Notification settings saved."))
            return redirect("notification_settings")
    return render(request, "notifications/preferences.html", {"form": form})


def _admin(request: HttpRequest) -> None:
    if not request.user.is_admin_role:
        raise PermissionDenied


@login_required
def webhook_list(request: HttpRequest) -> HttpResponse:
    _admin(request)
    page = Paginator(selectors.webhooks_for_admin(), 30).get_page(request.GET.get("page"))
    return render(request, "notifications/webhook_list.html", {"page": page})


@login_required
@require_http_methods(["GET", "POST"])
def webhook_create(request: HttpRequest) -> HttpResponse:
    _admin(request)
    form = WebhookForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            webhook, secret = services.webhook_create(by=request.user, **form.cleaned_data)
        except (ValidationError, ApplicationError) as exc:
            add_service_error(form, exc)
        else:
            return render(request, "notifications/webhook_secret.html", {"webhook": webhook, "secret": secret})
    return render(request, "notifications/webhook_form.html", {"form": form, "webhook": None})


@login_required
@require_http_methods(["GET", "POST"])
def webhook_edit(request: HttpRequest, pk: int) -> HttpResponse:
    _admin(request)
    webhook = get_object_or_404(Webhook, pk=pk)
    form = WebhookForm.for_webhook(webhook, request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.webhook_update(webhook=webhook, by=request.user, **form.cleaned_data)
        except (ValidationError, ApplicationError) as exc:
            add_service_error(form, exc)
        else:
            messages.success(request, _("Webhook saved."))
            return redirect("notifications:webhook_detail", pk=webhook.pk)
    return render(request, "notifications/webhook_form.html", {"form": form, "webhook": webhook})


@login_required
def webhook_detail(request: HttpRequest, pk: int) -> HttpResponse:
    """The webhook and its delivery log (filter by status or event; newest first)."""
    _admin(request)
    webhook = get_object_or_404(Webhook, pk=pk)
    status = request.GET.get("status", "") if request.GET.get("status") in OutboxStatus.values else ""
    event = request.GET.get("event", "") if request.GET.get("event") in WebhookEvent.values else ""
    deliveries = selectors.webhook_deliveries(webhook=webhook, status=status, event=event)
    page = Paginator(deliveries, 50).get_page(request.GET.get("page"))
    context = {
        "webhook": webhook,
        "page": page,
        "status": status,
        "event": event,
        "statuses": OutboxStatus.choices,
        "events": WebhookEvent.choices,
    }
    return render(request, "notifications/webhook_detail.html", context)


@login_required
@require_POST
def webhook_rotate(request: HttpRequest, pk: int) -> HttpResponse:
    _admin(request)
    webhook, secret = services.webhook_secret_rotate(webhook=get_object_or_404(Webhook, pk=pk), by=request.user)
    return render(request, "notifications/webhook_secret.html", {"webhook": webhook, "secret": secret})


@login_required
@require_http_methods(["GET", "POST"])
def webhook_delete(request: HttpRequest, pk: int) -> HttpResponse:
    _admin(request)
    webhook = get_object_or_404(Webhook, pk=pk)
    if request.method == "POST":
        services.webhook_delete(webhook=webhook, by=request.user)
        messages.success(request, _("Webhook deleted."))
        return redirect("notifications:webhooks")
    return render(request, "notifications/webhook_delete.html", {"webhook": webhook})


@login_required
@require_POST
def delivery_resend(request: HttpRequest, pk: int) -> HttpResponse:
    _admin(request)
    delivery = get_object_or_404(OutboxMessage, pk=pk, channel=OutboxChannel.WEBHOOK)
    try:
        services.webhook_delivery_resend(delivery=delivery, by=request.user)
    except ApplicationError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, _("Sent again: a new delivery of the same event is on its way."))
    return redirect("notifications:webhook_detail", pk=delivery.webhook_id)
