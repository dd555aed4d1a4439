"""A client generated from the live ``/api/schema/`` by a standard generator runs a working day through the API.

openapi-python-client (pinned in requirements/dev.txt) writes a Python package from the schema the server
serves; the scenario then goes through that generated code only. Every answer must have a status the schema
declares (the client raises on any other) and parse into the declared model, with no field the schema
does not name.
"""

from __future__ import annotations

import datetime as dt
import importlib
import subprocess
import sys
from pathlib import Path
from typing import Any

import attrs
import httpx
import pytest

from diagnostics.models import Component, FaultSignal
from rma.models import ProductModel
from tests.factories import ProductModelFactory

GENERATOR = Path(sys.executable).with_name("openapi-python-client")
PACKAGE = "rma_client"
CONFIG = f"project_name_override: rma-client\npackage_name_override: {PACKAGE}\npost_hooks: []\n"
PASSWORD = "correct-horse-battery"  # tests.factories.UserFactory's

pytestmark = [pytest.mark.slow, pytest.mark.django_db(transaction=True)]


def undeclared(value: Any, where: str = "answer") -> list[str]:
    """The fields of a parsed answer that the schema does not declare (kept aside by the generated models)."""
    found: list[str] = []
    if attrs.has(type(value)):
        found += [f"{where}.{name}" for name in getattr(value, "additional_properties", {})]
        for field in attrs.fields(type(value)):
            if field.name != "additional_properties":
                found += undeclared(getattr(value, field.name), f"{where}.{field.name}")
    elif isinstance(value, list):
        for index, item in enumerate(value):
            found += undeclared(item, f"{where}[{index}]")
    return found


class Generated:
    """The generated package, and calls through it that check the status and the parse."""

    def __init__(self, base_url: str):
        self.base_url = base_url
        self.models = importlib.import_module(f"{PACKAGE}.models")
        self.package = importlib.import_module(PACKAGE)

    def __getattr__(self, name: str) -> Any:
        return getattr(self.models, name)

    def client(self, token: str | None = None, *, prefix: str = "Bearer") -> Any:
        if token is None:
            return self.package.Client(base_url=self.base_url, raise_on_unexpected_status=True)
        return self.package.AuthenticatedClient(
            base_url=self.base_url, token=token, prefix=prefix, raise_on_unexpected_status=True
        )

    def call(self, operation: str, client: Any, expect: int = 200, /, **kwargs: Any) -> Any:
        """``operation`` is ``<tag>.<operation id>``, e.g. ``rmas.rma_close``; ``expect`` the status."""
        tag, name = operation.split(".")
        module = importlib.import_module(f"{PACKAGE}.api.{tag}.{name}")
        response = module.sync_detailed(client=client, **kwargs)
        assert response.status_code == expect, (operation, response.status_code, response.content[:500])
        if expect < 300:
            assert not isinstance(response.parsed, self.models.Error), operation
            assert undeclared(response.parsed) == [], (operation, undeclared(response.parsed))
        else:
            assert isinstance(response.parsed, self.models.Error), operation
        return response.parsed


@pytest.fixture
def generated(live_server, tmp_path):
    schema = httpx.get(f"{live_server.url}/api/schema/", timeout=30)
    assert schema.status_code == 200
    (tmp_path / "schema.yaml").write_text(schema.text)
    (tmp_path / "config.yaml").write_text(CONFIG)
    run = subprocess.run(
        [
            str(GENERATOR),
            "generate",
            "--path",
            str(tmp_path / "schema.yaml"),
            "--output-path",
            str(tmp_path / "client"),
            "--config",
            str(tmp_path / "config.yaml"),
        ],
        capture_output=True,
        text=True,
        timeout=300,
    )
    output = run.stdout + run.stderr
    assert run.returncode == 0, output
    assert "Warning" not in output, output  # the generator skipped nothing in the schema
    sys.path.insert(0, str(tmp_path / "client"))
    try:
        yield Generated(live_server.url)
    finally:
        sys.path.remove(str(tmp_path / "client"))
        for name in [name for name in sys.modules if name == PACKAGE or name.startswith(f"{PACKAGE}.")]:
            del sys.modules[name]


def test_a_generated_client_runs_a_working_day(generated, supervisor, engineer, today):
    g = generated
    ProductModelFactory(sku="PHN-1", warranty_months=12, goodwill_window_months=6)
    anonymous = g.client()

    # Signing in: the token goes after Bearer, as generated clients send it; Token still works.
    sign_in = g.AuthTokenRequest(username=supervisor.username, password=PASSWORD)
    sup = g.client(g.call("auth.auth_token_create", anonymous, body=sign_in).token)
    eng_token = g.call("auth.auth_token_create", anonymous, body=g.AuthTokenRequest("eng", PASSWORD)).token
    eng = g.client(eng_token)
    assert g.call("rmas.rmas_list", g.client(eng_token, prefix="Token")).count == 0
    assert g.call("rmas.rmas_list", anonymous, 401).code == "not_authenticated"
    assert g.call("rmas.rmas_list", g.client("wrong"), 401).code == "authentication_failed"

    # Components and devices.
    g.call("components.components_create", eng, 201, body=g.ComponentCreateRequest(code="battery", name="Battery"))
    g.call("components.components_partial_update", eng, code="battery", body=g.PatchedComponentRenameRequest("Cell"))
    assert [c.code for c in g.call("components.components_list", eng).results] == ["battery"]
    old = g.call(
        "devices.devices_create",
        sup,
        201,
        body=g.DeviceCreateRequest(
            serial_number="SN-OLD-1",
            model_sku="PHN-1",
            lot="L1",
            shipped_on=today - dt.timedelta(days=365 + 60),
            firmware_version="1.0",
        ),
    )
    young = g.call(
        "devices.devices_create",
        sup,
        201,
        body=g.DeviceCreateRequest(serial_number="SN-NEW-1", model_sku="PHN-1", shipped_on=today - dt.timedelta(90)),
    )
    assert old.rmas == [] and young.warranty_ends_on > today
    assert g.call("devices.devices_list", sup, shipped_after=today - dt.timedelta(days=100)).count == 1
    bad = g.call("devices.devices_create", sup, 400, body=g.DeviceCreateRequest(serial_number="X", model_sku="NOPE"))
    assert bad.code == "unknown_model"

    # An out-of-warranty return: diagnosis, goodwill (a supervisor), ship, close.
    opened = g.call(
        "rmas.rmas_create",
        sup,
        201,
        body=g.RMACreateRequest(
            serial_number="SN-OLD-1", customer_email="ann@example.com", fault_description="Dead after an update."
        ),
    )
    number = opened.number
    assert opened.status == g.RMAStatusEnum.SUBMITTED and opened.resolution.value == ""
    open_page = g.call("rmas.rmas_list", sup, reported_after=today, status=[g.RmasListStatusItem.SUBMITTED])
    assert [rma.number for rma in open_page.results] == [number]
    g.call("rmas.rma_authorize", sup, number=number, body=g.AuthorizeRequest())
    g.call("rmas.rma_receive", sup, number=number, body=g.ReceiveRequest(inbound_tracking="IN-1"))
    diagnosed = g.call(
        "rmas.rma_record_diagnosis",
        sup,
        number=number,
        body=g.DiagnoseRequest(component="battery", outcome=g.OutcomeEnum.CAUSE_UNKNOWN, symptoms="dead"),
    )
    assert diagnosed.status == g.RMAStatusEnum.DIAGNOSING and diagnosed.goodwill_eligible is True
    reason = "Unknown failure, worth analysing."
    goodwill = g.GrantGoodwillRequest(reason=reason, replacement_serial="SN-GW-1")
    refused = g.call("rmas.rma_grant_goodwill", eng, 403, number=number, body=goodwill)
    assert refused.code == "permission_denied"
    granted = g.call("rmas.rma_grant_goodwill", sup, number=number, body=goodwill)
    assert granted.coverage == g.CoverageEnum.GOODWILL and granted.replacement_serial == "SN-GW-1"
    g.call("rmas.rma_ship", sup, number=number, body=g.ShipRequest(tracking_number="OUT-1"))
    closed = g.call("rmas.rma_close", sup, number=number, body=g.CloseRequest())
    assert closed.status == g.RMAStatusEnum.CLOSED and closed.resolution.value != ""
    again = g.call("rmas.rma_authorize", sup, 409, number=number, body=g.AuthorizeRequest())
    assert again.code == "transition_not_allowed"

    # An in-warranty return left open in repair, and one cancelled.
    second = g.call(
        "rmas.rmas_create",
        sup,
        201,
        body=g.RMACreateRequest(serial_number="SN-NEW-1", customer_email="bo@example.com", fault_description="Hot."),
    ).number
    g.call("rmas.rma_authorize", sup, number=second, body=g.AuthorizeRequest(instructions="Use the box."))
    g.call("rmas.rma_receive", sup, number=second)
    g.call(
        "rmas.rma_record_diagnosis",
        sup,
        number=second,
        body=g.DiagnoseRequest(component="battery", outcome=g.OutcomeEnum.CONFIRMED, pattern=None),
    )
    assert g.call("rmas.rma_repair", sup, number=second).status == g.RMAStatusEnum.REPAIRING
    duplicate = g.RMACreateRequest(serial_number="SN-NEW-1", customer_email="bo@example.com", fault_description="2")
    assert g.call("rmas.rmas_create", sup, 409, body=duplicate).code == "open_rma_exists"
    sold = g.DeviceCreateRequest(serial_number="SN-NEW-2", model_sku="PHN-1", shipped_on=today)
    g.call("devices.devices_create", sup, 201, body=sold)
    third = g.call(
        "rmas.rmas_create",
        sup,
        201,
        body=g.RMACreateRequest(serial_number="SN-NEW-2", customer_email="cy@example.com", fault_description="Off."),
    ).number
    g.call("rmas.rma_cancel", sup, number=third, body=g.OptionalReasonRequest(reason="Sent in twice."))
    invalid = g.RMACreateRequest(serial_number="SN-NEW-1", customer_email="not-an-e-mail", fault_description="x")
    assert g.call("rmas.rmas_create", sup, 400, body=invalid).code == "invalid"

    everything = g.call("rmas.rmas_list", eng, page_size=50)
    assert {rma.number for rma in everything.results} == {number, second, third}
    assert {rma.resolution.value for rma in everything.results if rma.number == second} == {""}
    assert len(g.call("rmas.rmas_retrieve", eng, number=number).events) >= 6
    history = g.call("devices.devices_retrieve", eng, serial_number="SN-NEW-1").rmas
    assert [rma.number for rma in history] == [second] and history[0].resolution.value == ""
    diagnoses = g.call("diagnoses.diagnoses_list", eng, rma=number).results
    assert g.call("diagnoses.diagnoses_retrieve", eng, id=diagnoses[0].id).component == "battery"

    # Failure patterns: created, investigated, root-caused, fixed, verified, closed; another dismissed.
    pattern = g.call(
        "failure_patterns.failure_patterns_create",
        eng,
        201,
        body=g.PatternCreateRequest(title="Swollen cell", component="battery", affected_lots=["L1"]),
    ).code
    g.call(
        "failure_patterns.failure_patterns_partial_update",
        eng,
        code=pattern,
        body=g.PatchedPatternFieldsRequest(affected_firmware=["1.0"], affected_models=["PHN-1"]),
    )
    g.call("failure_patterns.pattern_investigate", eng, code=pattern, body=g.PatternMoveRequest())
    other = g.call(
        "failure_patterns.failure_patterns_create",
        eng,
        201,
        body=g.PatternCreateRequest(title="Loose connector", component="battery"),
    ).code

    # The root-cause case the goodwill grant opened: assigned, findings, closed onto the pattern.
    case = g.call("rca_cases.rca_cases_list", eng, status=g.RcaCasesListStatus.OPEN).results[0]
    assert case.rma == number and case.engineer is None
    g.call("rca_cases.case_assign", eng, id=case.id, body=g.CaseAssignRequest(engineer="eng"))
    g.call("rca_cases.case_add_findings", eng, id=case.id, body=g.CaseFindingsRequest(text="Separator torn."))
    done = g.call(
        "rca_cases.case_close", eng, id=case.id, body=g.CaseCloseRequest(conclusion="Swollen cell.", pattern=pattern)
    )
    assert done.status == g.CaseStatusEnum.CLOSED and done.pattern == pattern
    assert g.call("rca_cases.rca_cases_retrieve", eng, id=case.id).engineer == "eng"

    moves = [
        ("pattern_root_cause", g.PatternMoveRequest(root_cause="Separator.", public_summary="A cell may swell.")),
        ("pattern_start_corrective_action", g.PatternMoveRequest(corrective_action="New supplier.")),
        ("pattern_verify", g.PatternMoveRequest(effective_from_lot="L2")),
        ("pattern_close", g.PatternMoveRequest()),
    ]
    for operation, body in moves:
        g.call(f"failure_patterns.{operation}", eng, code=pattern, body=body)
    closed_pattern = g.call("failure_patterns.failure_patterns_retrieve", eng, code=pattern)
    assert closed_pattern.status == g.PatternStatusEnum.CLOSED and closed_pattern.affected_lots == ["L1"]
    g.call("failure_patterns.pattern_dismiss", eng, code=other, body=g.PatternMoveRequest(reason="A one-off."))
    assert g.call("failure_patterns.failure_patterns_list", eng).count == 2

    # Fault signals as the detection scan leaves them: one on a whole model (no lot, no firmware), one in a lot.
    figures = {"observed": 9, "expected": 2.5, "units_in_service": 1500, "rate_ratio": 3.6, "statistic": 8.1}
    signals = [
        FaultSignal.objects.create(
            cell=cell,
            product_model=ProductModel.objects.get(sku="PHN-1"),
            component=Component.objects.get(code="battery"),
            lot=lot,
            firmware_version=None,
            threshold=6.0,
            first_detected_on=today,
            evidence_as_of=today,
            **figures,
        )
        for cell, lot in (("model", None), ("lot", "L1"))
    ]
    listed = g.call("fault_signals.fault_signals_list", eng, since=today - dt.timedelta(days=7))
    assert {signal.lot for signal in listed.results} == {None, "L1"}
    g.call("fault_signals.signal_acknowledge", eng, id=signals[0].pk, body=g.SignalNoteRequest(note="Looking."))
    linked = g.call(
        "fault_signals.signal_link", eng, id=signals[0].pk, body=g.SignalLinkRequest(pattern=pattern, note="Same.")
    )
    assert linked.status == g.FaultSignalStatusEnum.LINKED
    g.call("fault_signals.fault_signals_retrieve", eng, id=signals[1].pk)

    # Every report, as JSON and as CSV.
    since = today - dt.timedelta(days=365)
    for report, options in [
        ("pareto", {}),
        ("pareto", {"by": "component"}),
        ("failure_rates", {"by": "lot"}),
        ("failure_rates", {"by": "firmware"}),
        ("trend", {}),
        ("life", {}),
        ("life", {"by": "component"}),
        ("no_fault_found", {}),
        ("repeats", {}),
        ("goodwill", {}),
        ("fault_signals", {}),
    ]:
        name = report.title().replace("_", "")
        json_options = {"by": getattr(g, f"Reports{name}By")(options["by"])} if options else {}
        csv_options = {"by": getattr(g, f"Reports{name}CsvBy")(options["by"])} if options else {}
        answer = g.call(f"reports.reports_{report}", eng, date_from=since, model="PHN-1", **json_options)
        assert answer.report == report.replace("_", "-")
        table = g.call(f"reports.reports_{report}_csv", eng, date_from=since, date_to=today, **csv_options)
        assert table.splitlines()[0].split(",") == answer.columns
    points = g.call("reports.reports_life_csv", eng, table=g.ReportsLifeCsvTable.POINTS)
    assert points.splitlines()[0].startswith("key,age_days")
    goodwill_report = g.call("reports.reports_goodwill", eng)
    assert goodwill_report.grants == 1 and goodwill_report.compensation.service_credit == "0.00"
    wrong = g.call("reports.reports_pareto", eng, 400, date_from=today, date_to=today - dt.timedelta(days=1))
    assert wrong.code == "invalid"
