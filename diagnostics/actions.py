"""The diagnostics' actions, each declared once (see ``core.actions``).

On returns: the steps that need diagnostic facts (diagnosis, goodwill, retention and disposal of the
failed unit). On failure patterns: their lifecycle (SPEC §6, status table in ``diagnostics.lifecycle``).
On root-cause cases, diagnoses, advisories and fault signals: the engineers' work.
"""

from __future__ import annotations

from dataclasses import replace
from functools import partial
from typing import Any

from django.utils.translation import gettext_noop

from core.actions import Action, Kind, declare
from core.admin import ConfirmForm
from core.phrases import say
from diagnostics import fault_signals, lifecycle, programmes, selectors, services
from diagnostics import forms as f
from diagnostics.api import inputs
from diagnostics.api import serializers as s
from diagnostics.models import FaultSignal, Programme, Reimbursement, RootCauseCase
from rma import selectors as rma_selectors
from rma.actions import RETURN
from rma.lifecycle import APPROVE_GOODWILL, PROCESS
from rma.models import RMA, Refund

R = RMA.Status
MANAGE_PATTERN = "diagnostics.manage_pattern"
WORK_ON_CASES = "diagnostics.change_rootcausecase"
MANAGE_ADVISORIES = "diagnostics.change_advisory"
MANAGE_SIGNALS = "diagnostics.manage_faultsignal"
MANAGE_PROGRAMMES = "diagnostics.manage_programme"
APPROVE_REIMBURSEMENT = "diagnostics.approve_reimbursement"

PATTERN = Kind("pattern", argument="pattern", label="failure pattern", transitions=lifecycle.TRANSITIONS)
CASE = Kind("case", argument="case", label="root-cause case")
DIAGNOSIS = Kind("diagnosis", argument="diagnosis", label="diagnosis", status_of=lambda diagnosis: "")
ADVISORY = Kind("advisory", argument="advisory", label="advisory", status_of=lambda advisory: advisory.state)
SIGNAL = Kind("signal", argument="signal", label="fault signal")
PROGRAMME = Kind(
    "programme",
    argument="programme",
    label="service programme",
    transitions={
        Programme.Status.DRAFT: frozenset({Programme.Status.ACTIVE}),
        Programme.Status.ACTIVE: frozenset({Programme.Status.CLOSED}),
        Programme.Status.CLOSED: frozenset(),
    },
)
REIMBURSEMENT = Kind(
    "reimbursement",
    argument="reimbursement",
    label="reimbursement",
    transitions={
        Reimbursement.Status.PROPOSED: frozenset({Reimbursement.Status.APPROVED, Reimbursement.Status.DECLINED}),
        Reimbursement.Status.APPROVED: frozenset(),
        Reimbursement.Status.DECLINED: frozenset(),
    },
)


# Returns ------------------------------------------------------------------------------------------------


def _goodwill_possible(rma: RMA) -> bool:
    """Out of cover and every goodwill condition met (the goodwill panel says why when one is not)."""
    return rma.coverage == RMA.Coverage.NONE and bool(selectors.goodwill_suggestion(rma))


def _disposal_possible(rma: RMA) -> bool:
    """A retained unit once its case is closed (and then only scrapped); a unit no longer owed to the customer."""
    if rma.disposition == RMA.Disposition.RETAINED_FOR_RCA:
        return RootCauseCase.objects.filter(rma=rma, status=RootCauseCase.Status.CLOSED).exists()
    if rma.disposition != RMA.Disposition.IN_REPAIR_CENTRE:
        return False
    return rma.replacement_device_id is not None or Refund.objects.filter(rma=rma).exists()


declare(
    Action(
        RETURN,
        "record_diagnosis",
        gettext_noop("Record diagnosis"),
        (PROCESS, "diagnostics.add_diagnosis"),
        services.diagnosis_record,
        from_statuses=frozenset({R.DIAGNOSING, R.AWAITING_CUSTOMER}),
        form=f.DiagnosisForm,
        serializer=s.DiagnoseSerializer,
        url_path="diagnose",
        description=(
            "Log a diagnosis (a received return first moves to diagnosing). `pattern` is a pattern code or null."
        ),
        api_input=inputs.diagnosis,
        refresh_label="Suggest patterns",
        lead=lambda rma: rma.status == R.DIAGNOSING and rma_selectors.diagnosis_outcome(rma) is None,
        example=lambda rma: {"component": "battery", "outcome": "cause_unknown"},
        style="primary",
        before="quote",
    ),
    Action(
        RETURN,
        "grant_goodwill",
        gettext_noop("Grant goodwill replacement"),
        APPROVE_GOODWILL,
        services.goodwill_grant,
        to_status=R.REPLACING,
        from_statuses=frozenset({R.DIAGNOSING, R.AWAITING_CUSTOMER}),
        form=f.GoodwillForm,
        serializer=s.GrantGoodwillSerializer,
        description=(
            "Grant a goodwill replacement (supervisors): the failed unit is kept for analysis and its case opens."
        ),
        offer=_goodwill_possible,
        lead=_goodwill_possible,
        permission_message="Only a supervisor can approve a goodwill replacement.",
        customer_message=say(
            "Your device is outside its warranty, but we would like to keep it to find out why it failed. "
            "A replacement is on its way to you, free of charge. Thank you for helping us improve."
        ),
        example=lambda rma: {"reason": "Unknown failure, worth analysing.", "replacement_serial": f"GW-{rma.pk}"},
        before="ship",
    ),
    Action(
        RETURN,
        "retain_unit",
        gettext_noop("Retain unit for analysis"),
        PROCESS,
        services.unit_retain,
        from_statuses=frozenset(
            {R.RECEIVED, R.DIAGNOSING, R.AWAITING_CUSTOMER, R.REPAIRING, R.REPLACING, R.SHIPPED, R.CLOSED}
        ),
        form=f.RetainForm,
        api=False,
        offer=lambda rma: rma.disposition == RMA.Disposition.IN_REPAIR_CENTRE and rma.status != R.REPAIRING,
        example=lambda rma: {"note": "Engineering wants it."},
        before="note",
    ),
    Action(
        RETURN,
        "dispose_unit",
        gettext_noop("Scrap or refurbish unit"),
        PROCESS,
        services.unit_dispose,
        from_statuses=frozenset({R.DIAGNOSING, R.AWAITING_CUSTOMER, R.REPLACING, R.SHIPPED, R.CLOSED}),
        form=f.DisposeForm,
        api=False,
        offer=_disposal_possible,
        lead=lambda rma: rma.status == R.CLOSED,
        example=lambda rma: {"disposition": RMA.Disposition.REFURBISHED_STOCK},
        before="note",
    ),
)


# Failure patterns --------------------------------------------------------------------------------------------


def _pattern_form_input(pattern, data: dict[str, Any]) -> dict[str, Any]:
    """The move's form: its reason and samples, and the fields it fills in (left as they are when blank)."""
    reason = data.pop("reason", "") or ""
    samples = data.pop("samples_wanted", None)
    fields = {key: value for key, value in data.items() if value not in (None, "") or getattr(pattern, key)}
    return {"reason": reason, "samples_wanted": samples, **fields}


def _pattern_move(
    name: str,
    label: str,
    to_status: str,
    description: str,
    *,
    from_statuses: frozenset[str] = frozenset(),
    reason_required: bool = False,
    style: str = "default",
) -> Action:
    spec = Action(
        PATTERN,
        name,
        label,
        MANAGE_PATTERN,
        partial(services.pattern_transition, action=name),
        to_status=to_status,
        from_statuses=from_statuses,
        serializer=s.PatternMoveSerializer,
        description=description,
        admin_input=_pattern_form_input,
        api_input=inputs.pattern_move,
        reason_required=reason_required,
        style=style,
        example=(lambda pattern: {"reason": "Not a pattern."}) if reason_required else None,
    )
    return replace(spec, form=f.transition_form(spec))


L = lifecycle
declare(
    _pattern_move(
        "investigate",
        "Start investigating",
        L.INVESTIGATING,
        "Start investigating a new pattern.",
        from_statuses=frozenset({L.NEW}),
        style="primary",
    ),
    _pattern_move(
        "root_cause",
        "Root cause found",
        L.ROOT_CAUSED,
        "The root cause is found: give `root_cause` (and `public_summary`).",
        style="primary",
    ),
    _pattern_move(
        "start_corrective_action",
        "Corrective action started",
        L.CORRECTIVE_ACTION,
        "A corrective action has started: give `corrective_action`.",
        style="primary",
    ),
    _pattern_move(
        "verify",
        "Fix verified",
        L.VERIFIED,
        "The fix is verified: give its effectivity (`effective_from_lot`, ...).",
        style="primary",
    ),
    _pattern_move("close", "Close", L.CLOSED, "Close a verified pattern.", from_statuses=frozenset({L.VERIFIED})),
    _pattern_move(
        "dismiss",
        "Close as not a pattern",
        L.CLOSED,
        "Close a new or investigated pattern as not a pattern, with a `reason`.",
        from_statuses=frozenset({L.NEW, L.INVESTIGATING}),
        reason_required=True,
        style="danger",
    ),
    _pattern_move(
        "reopen",
        "Reopen",
        L.INVESTIGATING,
        "Reopen the investigation, with a `reason` (and `samples_wanted`).",
        from_statuses=frozenset({L.ROOT_CAUSED, L.CORRECTIVE_ACTION, L.VERIFIED, L.CLOSED}),
        reason_required=True,
        style="danger",
    ),
)


# Root-cause cases ---------------------------------------------------------------------------------------------


def _case_open(case: RootCauseCase) -> bool:
    return case.status == RootCauseCase.Status.OPEN


OPEN_CASE = frozenset({RootCauseCase.Status.OPEN})
declare(
    Action(
        CASE,
        "assign",
        gettext_noop("Assign"),
        WORK_ON_CASES,
        services.rca_case_assign,
        from_statuses=OPEN_CASE,
        form=f.CaseAssignForm,
        serializer=s.CaseAssignSerializer,
        description="Give the case to an engineer (null takes it back).",
        api_input=inputs.case_assign,
        offer=_case_open,
        takes_source=False,
        example=lambda case: {"engineer": None},
    ),
    Action(
        CASE,
        "add_findings",
        gettext_noop("Add findings"),
        WORK_ON_CASES,
        services.rca_case_add_findings,
        from_statuses=OPEN_CASE,
        form=f.CaseFindingsForm,
        serializer=s.CaseFindingsSerializer,
        description="Append a dated, signed entry to the findings.",
        offer=_case_open,
        takes_source=False,
        example=lambda case: {"text": "Swollen cell, separator torn."},
    ),
    Action(
        CASE,
        "attach",
        gettext_noop("Attach a file"),
        WORK_ON_CASES,
        services.rca_case_attach,
        from_statuses=OPEN_CASE,
        form=f.CaseAttachForm,
        api=False,
        offer=_case_open,
        takes_source=False,
    ),
    Action(
        CASE,
        "close",
        gettext_noop("Close with conclusion"),
        WORK_ON_CASES,
        services.rca_case_close,
        from_statuses=OPEN_CASE,
        form=f.CaseCloseForm,
        serializer=s.CaseCloseSerializer,
        description=(
            "Close the case with its conclusion, linking a pattern (`pattern`) or creating one (`new_pattern`)."
        ),
        intro="Closing the case records what engineering concluded and lets the unit be scrapped.",
        admin_input=f.case_close_kwargs,
        api_input=inputs.case_close,
        offer=_case_open,
        example=lambda case: {"conclusion": "A one-off."},
    ),
)


# Diagnoses and advisories (admin only) -------------------------------------------------------------------------

declare(
    Action(
        DIAGNOSIS,
        "attach",
        gettext_noop("Attach a file"),
        "diagnostics.add_diagnosisattachment",
        services.diagnosis_attach,
        form=f.DiagnosisAttachForm,
        api=False,
        takes_source=False,
    ),
    Action(
        ADVISORY,
        "publish",
        gettext_noop("Publish"),
        MANAGE_ADVISORIES,
        services.advisory_publish,
        from_statuses=frozenset({"draft"}),
        form=ConfirmForm,
        api=False,
        intro="Once published, the advisory shows on the status page of every return whose unit it affects. "
        "It cannot be edited after that, only withdrawn.",
        offer=lambda advisory: advisory.published_at is None,
        takes_source=False,
        style="primary",
    ),
    Action(
        ADVISORY,
        "notify_owners",
        gettext_noop("E-mail owners of affected units"),
        MANAGE_ADVISORIES,
        services.advisory_notify_owners,
        from_statuses=frozenset({"published"}),
        form=ConfirmForm,
        api=False,
        intro="Each owner of an affected unit in service gets one e-mail with the advisory, sent in the "
        "background. Owners already e-mailed about it are not e-mailed again.",
        offer=lambda advisory: advisory.is_live,
        takes_source=False,
    ),
    Action(
        ADVISORY,
        "withdraw",
        gettext_noop("Withdraw"),
        MANAGE_ADVISORIES,
        services.advisory_withdraw,
        from_statuses=frozenset({"published"}),
        form=f.WithdrawForm,
        api=False,
        offer=lambda advisory: advisory.is_live,
        takes_source=False,
        style="danger",
    ),
)


# Fault signals ---------------------------------------------------------------------------------------------------

F = FaultSignal.Status
declare(
    Action(
        SIGNAL,
        "acknowledge",
        gettext_noop("Acknowledge"),
        MANAGE_SIGNALS,
        fault_signals.fault_signal_acknowledge,
        from_statuses=frozenset({F.OPEN}),
        form=f.SignalNoteForm,
        serializer=s.SignalNoteSerializer,
        description="An engineer is looking into the signal (a family's leader: the whole family).",
        intro="You have seen the signal and are looking into it. On a family's leader, the family follows.",
        takes_source=False,
        style="primary",
    ),
    Action(
        SIGNAL,
        "link",
        gettext_noop("Link to a pattern"),
        MANAGE_SIGNALS,
        fault_signals.fault_signal_link,
        from_statuses=frozenset({F.OPEN, F.ACKNOWLEDGED, F.LINKED}),
        form=f.SignalLinkForm,
        serializer=s.SignalLinkSerializer,
        description=(
            "The signal is explained by a failure pattern (`pattern` code, same component); "
            "a family's leader links the whole family."
        ),
        intro=(
            "The failures behind the signal are this pattern; the pattern's history records the link. "
            "On a family's leader, the family follows."
        ),
        api_input=inputs.signal_link,
    ),
    Action(
        SIGNAL,
        "dismiss",
        gettext_noop("Dismiss"),
        MANAGE_SIGNALS,
        fault_signals.fault_signal_dismiss,
        from_statuses=frozenset({F.OPEN, F.ACKNOWLEDGED, F.LINKED}),
        form=f.SignalDismissForm,
        serializer=s.SignalDismissSerializer,
        description=(
            "Not a fault: say why in `reason`. The cell is not raised again; later scans keep its figures. "
            "A family's leader dismisses the whole family."
        ),
        intro=(
            "Not a fault. The cell is not raised again; later scans keep its figures up to date. "
            "On a family's leader, the family follows."
        ),
        takes_source=False,
        style="danger",
        example=lambda signal: {"reason": "A data problem."},
    ),
)


# Service programmes (SPEC §11) ------------------------------------------------------------------------------------

declare(
    Action(
        PROGRAMME,
        "upload_serials",
        "Upload serial list",
        "diagnostics.change_programme",
        programmes.programme_serials_set,
        from_statuses=frozenset({Programme.Status.DRAFT}),
        form=f.ProgrammeSerialsForm,
        api=False,
        intro="Only the serial numbers listed are covered (the other rules still apply). "
        "Uploading again replaces the list; an empty upload removes it.",
        takes_source=False,
    ),
    Action(
        PROGRAMME,
        "activate",
        "Activate",
        MANAGE_PROGRAMMES,
        programmes.programme_activate,
        to_status=Programme.Status.ACTIVE,
        form=ConfirmForm,
        description=(
            "Start the programme (draft → active): its units are covered, its notice shows on their status pages, "
            "and earlier paid repairs of the fault are proposed for reimbursement."
        ),
        intro="Once active, every unit the programme selects is covered for its period, customers can check their "
        "serial on the public page, and earlier paid repairs of the fault are proposed for reimbursement. "
        "The programme cannot be edited after that, only closed.",
        style="primary",
    ),
    Action(
        PROGRAMME,
        "notify_owners",
        "E-mail owners of eligible units",
        MANAGE_PROGRAMMES,
        programmes.programme_notify_owners,
        from_statuses=frozenset({Programme.Status.ACTIVE}),
        form=ConfirmForm,
        api=False,
        intro="Each owner of an eligible unit in service gets one e-mail, written from the programme's facts and "
        "sent in the background on the bulk queue. Owners already e-mailed about it are not e-mailed again.",
    ),
    Action(
        PROGRAMME,
        "close",
        "Close",
        MANAGE_PROGRAMMES,
        programmes.programme_close,
        to_status=Programme.Status.CLOSED,
        form=f.ProgrammeCloseForm,
        serializer=s.ProgrammeCloseSerializer,
        description="End the programme (active → closed): no new cover; returns it already covers keep it.",
        style="danger",
    ),
    Action(
        REIMBURSEMENT,
        "approve",
        "Approve reimbursement",
        APPROVE_REIMBURSEMENT,
        programmes.reimbursement_approve,
        to_status=Reimbursement.Status.APPROVED,
        form=f.ReimbursementDecisionForm,
        api=False,
        intro="The customer is paid back what they paid for the repair, is e-mailed, and sees it on their status page.",
        permission_message="Only a supervisor can approve a reimbursement.",
        style="primary",
    ),
    Action(
        REIMBURSEMENT,
        "decline",
        "Decline",
        APPROVE_REIMBURSEMENT,
        programmes.reimbursement_decline,
        to_status=Reimbursement.Status.DECLINED,
        form=f.ReimbursementDecisionForm,
        api=False,
        reason_required=True,
        permission_message="Only a supervisor can decide on a reimbursement.",
        style="danger",
    ),
)
