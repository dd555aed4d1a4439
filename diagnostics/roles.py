"""The staff roles (SPEC §2) as Django groups, and the permissions each one holds.

Applied by data migrations (``roles_sync``); a migration that adds a model or a permission
calls it again so the groups stay in step with this table.
"""

from __future__ import annotations

TECHNICIAN = "technician"
SUPERVISOR = "supervisor"
ENGINEER = "engineer"

_VIEW_RETURNS = [
    "rma.view_productmodel",
    "rma.view_device",
    "rma.view_customer",
    "rma.view_rma",
    "rma.view_rmaevent",
    "rma.view_custodychange",
    "rma.view_goodwillgrant",
    "rma.view_compensation",
    "rma.view_followup",
    "rma.view_refund",
]
_VIEW_DIAGNOSTICS = [
    "diagnostics.view_component",
    "diagnostics.view_failurepattern",
    "diagnostics.view_diagnosis",
    "diagnostics.view_diagnosisattachment",
    "diagnostics.view_rootcausecase",
    "diagnostics.view_patternevent",
    "diagnostics.view_caseattachment",
    "diagnostics.view_advisory",
    "diagnostics.view_faultsignal",
    "diagnostics.view_programme",
    "diagnostics.view_reimbursement",
]

ROLE_PERMISSIONS: dict[str, list[str]] = {
    TECHNICIAN: [
        *_VIEW_RETURNS,
        *_VIEW_DIAGNOSTICS,
        "rma.add_rma",
        "rma.change_rma",
        "rma.process_rma",
        "rma.add_customer",
        "rma.change_customer",
        "rma.add_device",
        "diagnostics.add_diagnosis",
        "diagnostics.add_diagnosisattachment",
    ],
    SUPERVISOR: [
        *_VIEW_RETURNS,
        *_VIEW_DIAGNOSTICS,
        "rma.add_rma",
        "rma.change_rma",
        "rma.process_rma",
        "rma.reject_rma",
        "rma.approve_goodwill",
        "rma.approve_compensation",
        "rma.approve_refund",
        "rma.approve_quote",
        "diagnostics.approve_reimbursement",
        "rma.view_outboxmessage",
        # integrations: webhook endpoints and their delivery log (SPEC §12)
        "core.manage_webhooks",
        "core.view_webhookendpoint",
        "core.add_webhookendpoint",
        "core.change_webhookendpoint",
        "core.delete_webhookendpoint",
        "core.view_webhookdelivery",
        "rma.add_customer",
        "rma.change_customer",
        "rma.add_device",
        "rma.change_device",
        "rma.add_productmodel",
        "rma.change_productmodel",
        "diagnostics.add_diagnosis",
        "diagnostics.add_diagnosisattachment",
    ],
    ENGINEER: [
        *_VIEW_RETURNS,
        *_VIEW_DIAGNOSTICS,
        "diagnostics.add_component",
        "diagnostics.change_component",
        "diagnostics.add_failurepattern",
        "diagnostics.change_failurepattern",
        "diagnostics.add_rootcausecase",
        "diagnostics.change_rootcausecase",
        # the closed loop: pattern lifecycle, case work, advisories
        "diagnostics.manage_pattern",
        "diagnostics.add_caseattachment",
        "diagnostics.add_advisory",
        "diagnostics.change_advisory",
        # recurring-fault detection: acknowledge, link or dismiss fault signals
        "diagnostics.change_faultsignal",
        "diagnostics.manage_faultsignal",
        # service programmes: create, edit while draft, activate, close, tell the owners
        "diagnostics.add_programme",
        "diagnostics.change_programme",
        "diagnostics.manage_programme",
    ],
}


def roles_sync(apps, schema_editor=None) -> None:
    """Create the role groups and give each exactly the permissions listed above."""
    from django.contrib.auth.management import create_permissions
    from django.contrib.contenttypes.management import create_contenttypes

    for app_config in apps.get_app_configs():
        # Historical app configs of a migration have no models module; the permission helpers
        # skip such apps unless told otherwise.
        historical = getattr(app_config, "models_module", None) is None
        if historical:
            app_config.models_module = True
        create_contenttypes(app_config, apps=apps, verbosity=0)
        create_permissions(app_config, apps=apps, verbosity=0)
        if historical:
            app_config.models_module = None

    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    for role, names in ROLE_PERMISSIONS.items():
        group, _ = Group.objects.get_or_create(name=role)
        wanted = []
        for name in names:
            app_label, codename = name.split(".")
            permission = Permission.objects.filter(content_type__app_label=app_label, codename=codename).first()
            if permission is not None:
                wanted.append(permission)
        group.permissions.set(wanted)
