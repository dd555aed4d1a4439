"""The admin's face of the action registry: one framework for every page with action buttons.

A model admin derived from ``ActionModelAdmin`` and names its ``action_kind`` shows, on each change
page, a button for every declared action of that kind that the status table allows, the user may do
and that is worth offering (``Action.offer``); each button opens the action's form, whose valid input
calls the service. A refusal from the service is shown on the form with its code. Panels on the page
and in the forms come from the admin's own methods and from other apps (``core.extensions``).
"""

from __future__ import annotations

import functools
from typing import Any

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone
from django.utils.html import format_html, format_html_join
from django.utils.translation import gettext

from core import webhooks
from core.actions import Action, registry
from core.api.tokens import token_issue, token_revoke, user_may_hold_token
from core.exceptions import DomainError
from core.extensions import ACTION_INITIAL, ACTION_PANELS, INLINES, PAGE_PANELS
from core.models import ApiToken, WebhookDelivery, WebhookEndpoint

Panel = dict[str, Any]
LEADS = 2  # how many likely next steps lead a change page  # {"title", "body", "tone": "info" | "good" | "warn"}


def person(user: Any) -> str:
    """A member of staff as people read them: the full name, else the username; "—" for nobody.

    Plain text, never a link to the user admin, which answers 403 to every role but superusers.
    """
    if user is None:
        return "—"
    return user.get_full_name() or user.get_username()


def person_column(field: str, description: str = "") -> Any:
    """A read-only column showing the user in ``field`` by name (``actor_name = person_column("actor")``)."""

    @admin.display(description=description or field.replace("_", " "))
    def column(self: Any, obj: Any) -> str:
        return person(getattr(obj, field))

    return column


class ConfirmForm(forms.Form):
    """The form of an action that needs nothing but a confirmation."""


class ReadOnlyInline(admin.TabularInline):
    """A list of rows on a change page that nobody edits there (timelines, histories, files)."""

    extra = 0
    can_delete = False
    show_change_link = False

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class RecordAdmin(admin.ModelAdmin):
    """Rows the services write and nobody edits by hand: listed and read, never added, changed or deleted."""

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class ActionModelAdmin(admin.ModelAdmin):
    """Action buttons and forms on a model admin's change page, derived from the action registry."""

    action_kind: str = ""
    action_source: str = "admin"
    change_form_template = "admin/core/change_form.html"
    change_list_template = "admin/core/change_list.html"
    action_form_template = "admin/core/action_form.html"

    # The admin's own contributions (other apps add theirs through core.extensions) ------------------

    def page_panels(self, request: HttpRequest, obj: Any) -> list[Panel]:
        """Boxes on the change page above the fields."""
        return []

    def action_panels(self, request: HttpRequest, obj: Any, action: Action, form: forms.Form) -> list[Panel]:
        """Boxes inside an action's form, above its fields."""
        return []

    def action_initial(self, request: HttpRequest, obj: Any, action: Action) -> dict[str, Any]:
        """Initial values of an action's form."""
        return {}

    def action_form_kwargs(self, request: HttpRequest, obj: Any, action: Action) -> dict[str, Any]:
        """Extra keyword arguments of an action's form (beyond ``initial``)."""
        return {}

    def action_heading(self, obj: Any) -> str:
        """A line about the object above an action's form."""
        return ""

    # Derived -------------------------------------------------------------------------------------------

    def _opts(self):
        return self.model._meta

    def _url_name(self, what: str) -> str:
        opts = self._opts()
        return f"{opts.app_label}_{opts.model_name}_{what}"

    def declared_actions(self) -> list[Action]:
        return [action for action in registry.of(self.action_kind) if action.form is not None]

    def all_page_panels(self, request: HttpRequest, obj: Any) -> list[Panel]:
        panels = list(self.page_panels(request, obj))
        for provider in PAGE_PANELS(self.action_kind):
            panels.extend(provider(request, obj))
        return panels

    def offered_actions(self, request: HttpRequest, obj: Any) -> list[Action]:
        """The actions the table allows, the user may do and that can succeed here, in declared order."""
        return [
            action
            for action in self.declared_actions()
            if action.allowed_for(obj) and action.may(request.user) and action.offer(obj)
        ]

    def action_buttons(self, request: HttpRequest, obj: Any) -> list[dict[str, str]]:
        """The next step first: at most ``LEADS`` likely next actions, then the others, destructive ones last.

        Leading buttons are styled ``primary``, the rest ``default``; a ``danger`` action keeps its style
        and never leads.
        """
        offered = self.offered_actions(request, obj)
        leads = [action for action in offered if action.style != "danger" and action.lead(obj)][:LEADS]
        others = [action for action in offered if action not in leads and action.style != "danger"]
        dangers = [action for action in offered if action.style == "danger"]
        return [
            {
                "label": gettext(action.label),
                "url": reverse(f"admin:{self._url_name('act')}", args=[obj.pk, action.name]),
                "style": style,
                "name": action.name,
            }
            for group, style in ((leads, "primary"), (others, "default"), (dangers, "danger"))
            for action in group
        ]

    def get_inlines(self, request, obj):
        return [*INLINES(self.action_kind), *super().get_inlines(request, obj)]

    def get_urls(self):
        admin_site = self.admin_site
        return [
            path(
                "<path:object_id>/act/<str:action_name>/",
                admin_site.admin_view(self.action_view),
                name=self._url_name("act"),
            ),
            *super().get_urls(),
        ]

    def change_view(self, request, object_id, form_url="", extra_context=None):
        extra_context = dict(extra_context or {})
        obj = self.get_object(request, object_id)
        if obj is not None:
            extra_context["action_buttons"] = self.action_buttons(request, obj)
            extra_context["changelist_url"] = reverse(f"admin:{self._url_name('changelist')}")
            extra_context["page_panels"] = self.all_page_panels(request, obj)
        return super().change_view(request, object_id, form_url, extra_context)

    def action_object(self, request: HttpRequest, object_id: str) -> Any:
        return get_object_or_404(self.get_queryset(request), pk=object_id)

    def action_view(self, request: HttpRequest, object_id: str, action_name: str) -> HttpResponse:
        obj = self.action_object(request, object_id)
        action = next((a for a in self.declared_actions() if a.name == action_name), None)
        if action is None or not self.has_view_permission(request, obj):
            raise PermissionDenied
        refusal: DomainError | None = None
        if not action.may(request.user):
            if request.method != "POST":
                raise PermissionDenied
            try:  # a POST from someone the declaration does not allow is answered 403, saying why
                action.check_permission(request.user, self.action_source)
            except DomainError as error:
                refusal = error
        change_url = reverse(f"admin:{self._url_name('change')}", args=[obj.pk])
        refresh = request.method == "POST" and bool(action.refresh_label) and "_refresh" in request.POST
        initial = dict(self.action_initial(request, obj, action))
        for provider in ACTION_INITIAL(self.action_kind):
            initial.update(provider(request, obj, action))
        if refresh:  # drawn again from what was typed, unbound: no errors for what is not filled in yet
            initial = {**request.POST.dict(), **initial}
        data = request.POST if request.method == "POST" and not refresh else None
        assert action.form is not None  # declared_actions() keeps only actions with a form
        form = action.form(
            data, request.FILES or None, initial=initial, **self.action_form_kwargs(request, obj, action)
        )
        if refusal is not None:
            form.is_valid()
            form.add_error(None, f"{refusal.message} ({refusal.code})")
        elif data is not None and form.is_valid():
            try:
                action.perform_admin(obj, actor=request.user, source=self.action_source, cleaned=form.cleaned_data)
            except DomainError as error:
                if error.field and error.field in form.fields:
                    form.add_error(error.field, error.message)
                else:
                    form.add_error(None, f"{error.message} ({error.code})")
            else:
                self.log_change(request, obj, action.label)  # the History page lists what was done here
                self.message_user(
                    request,
                    gettext("%(object)s: %(action)s done.") % {"object": obj, "action": gettext(action.label)},
                    messages.SUCCESS,
                )
                return HttpResponseRedirect(change_url)
        panels = list(self.action_panels(request, obj, action, form))
        for provider in ACTION_PANELS(self.action_kind):
            panels.extend(provider(request, obj, action, form))
        opts = self._opts()
        context = {
            **self.admin_site.each_context(request),
            "opts": opts,
            "title": f"{gettext(action.label)}: {obj}",
            "object": obj,
            "action": action,
            "form": form,
            "heading": self.action_heading(obj),
            "page_panels": self.all_page_panels(request, obj),
            "form_panels": panels,
            "change_url": change_url,
            "changelist_url": reverse(f"admin:{self._url_name('changelist')}"),
        }
        return TemplateResponse(request, self.action_form_template, context, status=403 if refusal else 200)


# Integrations: API tokens, webhook endpoints and their delivery log -----------------------------------


class ApiTokenForm(forms.ModelForm):
    class Meta:
        model = ApiToken
        fields = ["user", "name", "expires_at"]

    def clean(self):
        cleaned = super().clean()
        user, expires_at = cleaned.get("user"), cleaned.get("expires_at")
        if user is not None and not user_may_hold_token(user):
            self.add_error("user", "API tokens are issued only to active staff with a role.")
        if expires_at is not None and expires_at <= timezone.now():
            self.add_error("expires_at", "A token must expire in the future.")
        return cleaned


@admin.register(ApiToken)
class ApiTokenAdmin(admin.ModelAdmin):
    """Integration tokens: the key is shown once when a token is added; afterwards it can only be revoked."""

    form = ApiTokenForm
    list_display = ["name", "user", "prefix", "created_at", "expires_at", "last_used_at", "revoked_at"]
    list_filter = [("revoked_at", admin.EmptyFieldListFilter)]
    list_select_related = ["user"]
    search_fields = ["name", "=prefix", "user__username"]
    autocomplete_fields = ["user"]
    actions = ["revoke"]
    show_full_result_count = False

    def get_readonly_fields(self, request, obj=None):
        if obj is None:
            return []
        return ["user", "name", "prefix", "created_at", "expires_at", "last_used_at", "revoked_at"]

    def get_fields(self, request, obj=None):
        return self.get_readonly_fields(request, obj) or ["user", "name", "expires_at"]

    def has_delete_permission(self, request, obj=None):
        return False  # revoked, never deleted: the list keeps who had access when

    def save_model(self, request, obj, form, change):
        if change:
            return
        token, key = token_issue(user=obj.user, name=obj.name, expires_at=obj.expires_at)
        obj.pk = token.pk
        obj.__dict__.update({k: v for k, v in token.__dict__.items() if not k.startswith("_")})
        messages.warning(request, f"The key of “{token.name}”, shown this once (store it now): {key}")

    @admin.action(description="Revoke the selected tokens", permissions=["change"])
    def revoke(self, request, queryset):
        for token in queryset:
            token_revoke(token)
        self.message_user(request, f"{queryset.count()} token(s) revoked.")


class EndpointForm(forms.ModelForm):
    url = forms.URLField(max_length=500, assume_scheme="https")
    events = forms.MultipleChoiceField(
        choices=[("*", "Every event"), *[(name, name) for name in webhooks.EVENT_TYPES]],
        widget=forms.CheckboxSelectMultiple,
    )

    class Meta:
        model = WebhookEndpoint
        fields = ["url", "events", "active", "description"]

    def clean_url(self):
        url = self.cleaned_data["url"]
        try:
            webhooks.target_check(url)
        except DomainError as error:
            raise forms.ValidationError(error.message, code=error.code) from error
        return url


@admin.register(WebhookEndpoint)
class WebhookEndpointAdmin(admin.ModelAdmin):
    """Where events are sent; the page lists the endpoint's recent deliveries and failures."""

    form = EndpointForm
    list_display = ["url", "events", "active", "created_at"]
    list_filter = ["active"]
    search_fields = ["url", "description"]
    readonly_fields = ["recent_deliveries"]
    show_full_result_count = False

    def get_fields(self, request, obj=None):
        fields = ["url", "events", "active", "description"]
        return [*fields, "recent_deliveries"] if obj is not None else fields

    def save_model(self, request, obj, form, change):
        values = {name: form.cleaned_data[name] for name in ("url", "events", "active", "description")}
        if change:
            webhooks.endpoint_update(WebhookEndpoint.objects.get(pk=obj.pk), **values)
            return
        created = webhooks.endpoint_create(created_by=request.user, **values)
        obj.pk = created.pk
        messages.warning(request, f"The signing secret of {created.url}, shown this once: {created.secret}")

    @admin.display(description="Recent deliveries")
    def recent_deliveries(self, obj):
        rows = list(obj.deliveries.order_by("-created_at", "-id")[:20])
        if not rows:
            return "None yet."
        link = reverse("admin:core_webhookdelivery_changelist") + f"?endpoint__id__exact={obj.pk}"
        table = format_html_join(
            "",
            "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
            (
                (
                    row.created_at.strftime("%Y-%m-%d %H:%M:%S"),
                    row.event_type,
                    row.get_status_display(),
                    row.attempts,
                    row.response_status or "",
                    row.last_error,
                )
                for row in rows
            ),
        )
        return format_html(
            "<table><tr><th>Created</th><th>Event</th><th>Status</th><th>Attempts</th><th>Answer</th>"
            '<th>Last error</th></tr>{}</table><p><a href="{}">All deliveries of this endpoint</a></p>',
            table,
            link,
        )


@admin.register(WebhookDelivery)
class WebhookDeliveryAdmin(RecordAdmin):
    """Each event sent to each endpoint: whether it arrived, how often it was tried, the last error."""

    list_display = [
        "created_at",
        "event_type",
        "endpoint",
        "status",
        "attempts",
        "response_status",
        "sent_at",
        "last_error",
    ]
    list_filter = ["status", "event_type", "endpoint"]
    list_select_related = ["endpoint"]
    search_fields = ["=event_id"]
    readonly_fields = [
        "endpoint",
        "event_id",
        "event_type",
        "status",
        "attempts",
        "response_status",
        "last_error",
        "created_at",
        "next_attempt_at",
        "claimed_at",
        "sent_at",
        "body",
    ]
    actions = ["retry"]
    show_full_result_count = False

    def has_retry_permission(self, request):
        return request.user.has_perm("core.manage_webhooks")

    @admin.action(description="Deliver the selected failed deliveries again", permissions=["retry"])
    def retry(self, request, queryset):
        ids = list(queryset.filter(status=WebhookDelivery.Status.FAILED).values_list("pk", flat=True))
        WebhookDelivery.objects.filter(pk__in=ids).update(
            status=WebhookDelivery.Status.PENDING, attempts=0, next_attempt_at=timezone.now(), last_error=""
        )
        for delivery_id in ids:
            transaction.on_commit(functools.partial(webhooks.DELIVERIES.dispatch, delivery_id))
        self.message_user(request, f"{len(ids)} failed deliveries queued again.")
