import pytest

from rma.models import RMA

pytestmark = pytest.mark.django_db


def test_rma_goes_from_submitted_to_closed(flow, in_warranty_device):
    rma = flow.create(in_warranty_device)
    rma = flow.to(rma, RMA.Status.CLOSED)
    assert rma.status == RMA.Status.CLOSED
    assert rma.resolution == RMA.Resolution.REPAIRED
    actions = list(rma.events.values_list("action", flat=True))
    assert actions == ["create", "authorize", "receive", "start_diagnosis", "repair", "ship", "close"]
