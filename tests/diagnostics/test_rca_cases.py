"""Root-cause cases (SPEC §6): one for every retained unit, worked by engineers, closing it frees the unit."""

from __future__ import annotations

import datetime as dt
import threading

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.urls import reverse

from core.exceptions import ActionNotPermitted, InvalidInput, TransitionRefused
from diagnostics import selectors, services
from diagnostics.models import CaseAttachment, FailurePattern, PatternEvent, RootCauseCase
from rma import services as rma_services
from rma.models import RMA, Source
from tests.factories import FailurePatternFactory, UserFactory
from tests.helpers import image_bytes

pytestmark = pytest.mark.django_db
S = RMA.Status
D = RMA.Disposition
PNG = image_bytes()


def retain(rma, technician):
    return services.unit_retain(rma=rma, actor=technician, source=Source.ADMIN, note="Engineering wants it.")


def grant(rma, supervisor, serial="GW-1"):
    return services.goodwill_grant(
        rma=rma, actor=supervisor, source=Source.ADMIN, reason="Unknown failure.", replacement_serial=serial
    )


@pytest.fixture
def retained(build, technician):
    return retain(build(S.DIAGNOSING), technician)


@pytest.fixture
def case(retained):
    return RootCauseCase.objects.get(rma=retained)


# Opening: every retention path, exactly once ------------------------------------------------------------


def test_retaining_a_unit_opens_its_case(retained):
    case = RootCauseCase.objects.get(rma=retained)
    assert (case.device, case.status, case.engineer) == (retained.device, RootCauseCase.Status.OPEN, None)


def test_a_goodwill_grant_opens_the_case(build, supervisor):
    rma = grant(build(S.DIAGNOSING, in_warranty=False), supervisor)
    assert RootCauseCase.objects.filter(rma=rma).count() == 1


def test_goodwill_on_a_unit_already_retained_keeps_its_one_case(build, technician, supervisor):
    rma = retain(build(S.DIAGNOSING, in_warranty=False), technician)
    rma = grant(rma, supervisor)
    assert RootCauseCase.objects.filter(rma=rma).count() == 1


def test_retaining_twice_is_refused_and_opens_nothing_more(retained, technician):
    with pytest.raises(TransitionRefused) as refused:
        retain(retained, technician)
    assert refused.value.code == "already_retained"
    assert RootCauseCase.objects.filter(rma=retained).count() == 1


@pytest.mark.parametrize("status", [S.RECEIVED, S.AWAITING_CUSTOMER, S.REPLACING, S.SHIPPED, S.CLOSED])
def test_a_unit_retained_at_any_stage_gets_a_case(status, build, technician):
    rma = build(status) if status != S.SHIPPED and status != S.CLOSED else None
    if rma is None:
        # a unit replaced under warranty, kept back after the replacement shipped
        rma = build(S.REPLACING)
        rma = rma_services.rma_ship(rma=rma, actor=technician, source=Source.ADMIN, tracking_number="T-1")
        if status == S.CLOSED:
            rma = rma_services.rma_close(rma=rma, actor=technician, source=Source.ADMIN)
    rma = retain(rma, technician)
    assert rma.disposition == D.RETAINED_FOR_RCA
    assert RootCauseCase.objects.filter(rma=rma).count() == 1


def test_the_admin_retention_paths_open_one_case_each(client, build, technician, supervisor):
    # retain unit, then grant goodwill, both from the RMA's admin page
    rma = build(S.DIAGNOSING, in_warranty=False)
    client.force_login(technician)
    response = client.post(reverse("admin:rma_rma_act", args=[rma.pk, "retain_unit"]), {"note": "Keep it."})
    assert response.status_code == 302
    client.force_login(supervisor)
    response = client.post(
        reverse("admin:rma_rma_act", args=[rma.pk, "grant_goodwill"]),
        {"reason": "Worth analysing.", "replacement_serial": "GW-ADMIN"},
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    assert RootCauseCase.objects.filter(rma=rma).count() == 1
    other = build(S.DIAGNOSING, in_warranty=False, email="other@example.com")
    client.post(
        reverse("admin:rma_rma_act", args=[other.pk, "grant_goodwill"]),
        {"reason": "Worth analysing.", "replacement_serial": "GW-ADMIN-2"},
    )
    assert RootCauseCase.objects.filter(rma=other).count() == 1


def test_the_returns_services_cannot_retain_without_opening_a_case(build, technician):
    # the returns app's own function takes the case opener as a required argument
    rma = build(S.DIAGNOSING)
    with pytest.raises(TypeError):
        rma_services.rma_retain_unit(rma=rma, actor=technician, source=Source.ADMIN)  # type: ignore[call-arg]
    opened = []
    rma_services.rma_retain_unit(rma=rma, actor=technician, source=Source.ADMIN, on_retained=opened.append)
    assert [r.pk for r in opened] == [rma.pk]


def test_a_refused_retention_opens_no_case(build, technician):
    rma = build(S.REPAIRING)
    with pytest.raises(TransitionRefused):
        retain(rma, technician)
    assert not RootCauseCase.objects.filter(rma=rma).exists()


def test_every_retained_unit_has_a_case(build, technician, supervisor):
    retain(build(S.DIAGNOSING, email="a@example.com"), technician)
    grant(build(S.DIAGNOSING, in_warranty=False, email="b@example.com"), supervisor)
    retained = RMA.objects.filter(custody_changes__to_disposition=D.RETAINED_FOR_RCA).distinct()
    assert retained.count() == 2
    assert not retained.filter(rca_case__isnull=True).exists()


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_concurrent_retentions_open_one_case(roles, build, technician):
    rma = build(S.DIAGNOSING)
    errors: list[Exception] = []
    barrier = threading.Barrier(2)

    def attempt():
        try:
            barrier.wait()
            retain(RMA.objects.get(pk=rma.pk), technician)
        except Exception as error:
            errors.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=attempt) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert RootCauseCase.objects.filter(rma=rma).count() == 1
    assert [getattr(error, "code", error) for error in errors] == ["already_retained"]


def test_a_case_goes_to_the_owner_of_the_diagnosed_pattern(build, technician, engineer, battery):
    pattern = FailurePatternFactory(code="FP-0500", component=battery, owner=engineer)
    rma = retain(build(S.DIAGNOSING, outcome="confirmed", pattern=pattern), technician)
    case = RootCauseCase.objects.get(rma=rma)
    assert case.engineer == engineer
    assert case.assigned_at is not None


def test_a_pattern_owner_who_is_no_engineer_gets_no_case(build, technician, battery):
    pattern = FailurePatternFactory(code="FP-0501", component=battery, owner=technician)
    rma = retain(build(S.DIAGNOSING, outcome="confirmed", pattern=pattern), technician)
    assert RootCauseCase.objects.get(rma=rma).engineer is None


# Working on a case -------------------------------------------------------------------------------------


def test_assign_to_an_engineer(case, engineer):
    other = UserFactory(username="eng2", role="engineer")
    case = services.rca_case_assign(case=case, actor=engineer, engineer=other)
    assert (case.engineer, case.assigned_at is not None) == (other, True)
    case = services.rca_case_assign(case=case, actor=engineer, engineer=None)
    assert (case.engineer, case.assigned_at) == (None, None)


def test_only_engineers_are_assigned_and_assign(case, engineer, technician):
    with pytest.raises(InvalidInput) as refused:
        services.rca_case_assign(case=case, actor=engineer, engineer=technician)
    assert refused.value.code == "not_an_engineer"
    with pytest.raises(ActionNotPermitted):
        services.rca_case_assign(case=case, actor=technician, engineer=engineer)


def test_findings_are_appended_dated_and_signed(case, engineer):
    case = services.rca_case_add_findings(case=case, actor=engineer, text="X-ray: cell swollen at the tab.")
    case = services.rca_case_add_findings(case=case, actor=engineer, text="  Teardown confirms.  ")
    first, second = case.findings.split("\n\n")
    assert first.endswith("X-ray: cell swollen at the tab.")
    assert "eng" in first.splitlines()[0]
    assert second.endswith("Teardown confirms.")
    assert case.engineer == engineer  # whoever writes findings on an unassigned case takes it
    with pytest.raises(InvalidInput):
        services.rca_case_add_findings(case=case, actor=engineer, text=" ")


def test_attachments_are_stored_under_generated_names(case, engineer):
    upload = SimpleUploadedFile("../../etc/passwd photo.PNG", PNG, content_type="image/png")
    attachment = services.rca_case_attach(case=case, actor=engineer, file=upload, kind="photo")
    assert attachment.original_name == "passwd photo.PNG"  # the upload keeps only the base name
    assert attachment.file.name.startswith("rca-cases/")
    assert attachment.file.name.endswith(".png")
    assert "passwd" not in attachment.file.name
    assert (attachment.content_type, attachment.size, attachment.uploaded_by) == ("image/png", len(PNG), engineer)
    log = services.rca_case_attach(
        case=case, actor=engineer, file=SimpleUploadedFile("dmesg.log", b"[0.1] battery: fault\n"), kind="log"
    )
    assert (log.content_type, log.file.name[-4:]) == ("text/plain", ".log")


@pytest.mark.parametrize(
    ("name", "content", "code"),
    [
        ("empty.txt", b"", "attachment_empty"),
        ("tool.exe", b"MZ\x90\x00\x03\x00\x00\x00\x04\x00", "attachment_type_not_allowed"),
        ("photo.jpg", b"<script>alert(1)</script>\x00", "attachment_type_not_allowed"),
    ],
)
def test_attachments_are_checked(name, content, code, case, engineer):
    with pytest.raises(InvalidInput) as refused:
        services.rca_case_attach(case=case, actor=engineer, file=SimpleUploadedFile(name, content), kind="photo")
    assert refused.value.code == code
    assert not CaseAttachment.objects.exists()


def test_attachments_have_a_size_limit(case, engineer, settings):
    settings.DIAGNOSTICS_ATTACHMENT_MAX_BYTES = 100
    with pytest.raises(InvalidInput) as refused:
        services.rca_case_attach(case=case, actor=engineer, file=SimpleUploadedFile("big.png", PNG * 2), kind="photo")
    assert refused.value.code == "attachment_too_large"


# Closing --------------------------------------------------------------------------------------------


def test_close_linking_an_existing_pattern(case, engineer, battery):
    pattern = FailurePatternFactory(code="FP-0600", component=battery)
    case = services.rca_case_close(case=case, actor=engineer, conclusion="Known separator defect.", pattern=pattern)
    assert (case.status, case.pattern, case.closed_by, case.engineer) == ("closed", pattern, engineer, engineer)
    assert case.closed_at is not None
    event = PatternEvent.objects.get(pattern=pattern, action="case_concluded")
    assert event.data == {"rma": case.rma.number, "case": case.pk, "created": False}


def test_close_creating_a_new_pattern(case, engineer, battery):
    case = services.rca_case_close(
        case=case,
        actor=engineer,
        conclusion="A new failure: the tab weld cracks.",
        new_pattern={"title": "Cracked tab weld", "component": battery, "symptoms": "Dies suddenly."},
    )
    pattern = case.pattern
    assert (pattern.title, pattern.component, pattern.status, pattern.owner) == (
        "Cracked tab weld",
        battery,
        FailurePattern.Status.NEW,
        engineer,
    )
    assert pattern.code.startswith("FP-")
    assert [e.action for e in PatternEvent.objects.filter(pattern=pattern)] == ["create", "case_concluded"]


def test_close_refusals(case, engineer, technician, battery):
    pattern = FailurePatternFactory(code="FP-0601", component=battery)
    with pytest.raises(InvalidInput) as refused:
        services.rca_case_close(case=case, actor=engineer, conclusion="  ")
    assert refused.value.code == "conclusion_required"
    with pytest.raises(InvalidInput) as refused:
        services.rca_case_close(
            case=case, actor=engineer, conclusion="x", pattern=pattern, new_pattern={"title": "y", "component": battery}
        )
    assert refused.value.code == "pattern_ambiguous"
    with pytest.raises(ActionNotPermitted):
        services.rca_case_close(case=case, actor=technician, conclusion="x")
    services.rca_case_close(case=case, actor=engineer, conclusion="One-off: a manufacturing slip.")
    with pytest.raises(TransitionRefused) as refused:
        services.rca_case_close(case=case, actor=engineer, conclusion="Again")
    assert refused.value.code == "case_closed"
    for work in (
        lambda: services.rca_case_add_findings(case=case, actor=engineer, text="late"),
        lambda: services.rca_case_assign(case=case, actor=engineer, engineer=engineer),
    ):
        with pytest.raises(TransitionRefused):
            work()


# The scrap guard, end to end ----------------------------------------------------------------------------


def test_a_retained_unit_can_be_scrapped_only_after_its_case_closes(build, technician, supervisor, engineer):
    # given a goodwill replacement: the customer's unit kept, the replacement shipped, the return closed
    rma = grant(build(S.DIAGNOSING, in_warranty=False), supervisor)
    rma = rma_services.rma_ship(rma=rma, actor=technician, source=Source.ADMIN, tracking_number="T-9")
    rma = rma_services.rma_close(rma=rma, actor=technician, source=Source.ADMIN)
    dispose = {"rma": rma, "actor": technician, "source": Source.ADMIN}
    # then it cannot be scrapped while engineering works on it, nor ever refurbished
    with pytest.raises(TransitionRefused) as refused:
        services.unit_dispose(**dispose, disposition=D.SCRAPPED)
    assert refused.value.code == "analysis_open"
    with pytest.raises(TransitionRefused) as refused:
        services.unit_dispose(**dispose, disposition=D.REFURBISHED_STOCK)
    assert refused.value.code == "unit_retained"
    # nor shipped back
    assert RMA.objects.get(pk=rma.pk).disposition == D.RETAINED_FOR_RCA
    # when the engineer closes the case
    services.rca_case_close(case=rma.rca_case, actor=engineer, conclusion="Separator defect; see FP-0012.")
    # then the unit can be scrapped, and the custody history says so
    rma = services.unit_dispose(**dispose, disposition=D.SCRAPPED, note="Analysis done.")
    assert rma.disposition == D.SCRAPPED
    assert list(rma.custody_changes.values_list("to_disposition", flat=True)) == [
        D.IN_REPAIR_CENTRE,
        D.RETAINED_FOR_RCA,
        D.SCRAPPED,
    ]


def test_the_scrap_guard_in_the_admin(client, retained, technician, engineer):
    client.force_login(technician)
    url = reverse("admin:rma_rma_act", args=[retained.pk, "dispose_unit"])
    response = client.post(url, {"disposition": D.SCRAPPED})
    assert response.status_code == 200
    assert "analysis_open" in response.content.decode()
    services.rca_case_close(case=retained.rca_case, actor=engineer, conclusion="Done.")
    assert client.post(url, {"disposition": D.SCRAPPED}).status_code == 302
    assert RMA.objects.get(pk=retained.pk).disposition == D.SCRAPPED


# The queue ------------------------------------------------------------------------------------------


def test_the_queue_is_oldest_first_with_ages(build, technician, engineer, clock):
    start = clock.set(dt.datetime(2031, 1, 13, 10, tzinfo=dt.UTC))
    old = retain(build(S.DIAGNOSING, email="old@example.com"), technician)
    clock.advance(days=9)
    new = retain(build(S.DIAGNOSING, email="new@example.com"), technician)
    done = retain(build(S.DIAGNOSING, email="done@example.com"), technician)
    services.rca_case_close(case=done.rca_case, actor=engineer, conclusion="Done.")
    services.rca_case_assign(case=new.rca_case, actor=engineer, engineer=engineer)
    clock.advance(days=3)
    queue = list(selectors.rca_case_queue())
    assert [case.rma_id for case in queue] == [old.pk, new.pk]
    assert [case.age.days for case in queue] == [12, 3]
    assert queue[0].opened_at == start
    assert [c.rma_id for c in selectors.rca_case_queue(engineer=engineer)] == [new.pk]
    assert [c.rma_id for c in selectors.rca_case_queue(unassigned=True)] == [old.pk]


def test_the_queue_reads_in_one_query(build, technician, django_assert_num_queries):
    for n in range(3):
        retain(build(S.DIAGNOSING, email=f"q{n}@example.com"), technician)
    with django_assert_num_queries(1):
        rows = [(c.rma.number, c.device.product_model.sku, c.engineer, c.pattern) for c in selectors.rca_case_queue()]
    assert len(rows) == 3
