"""The follow-up after closing: asked once, answered with a POST, "still failing" opens a repeat."""

import datetime as dt

import pytest
from django.utils import timezone

from rma.models import RMA, FollowUp, OutboxMessage
from rma.services import follow_ups_queue_due, status_link_issue
from rma.tasks import follow_ups_send
from tests.customers.helpers import open_return, track_path

pytestmark = pytest.mark.django_db
S = RMA.Status


@pytest.fixture
def closed(flow, in_warranty_device):
    return flow.to(open_return(in_warranty_device), S.CLOSED)


def test_the_follow_up_goes_out_after_the_set_number_of_days_and_only_once(
    closed, settings, django_capture_on_commit_callbacks, mailoutbox
):
    settings.RMA_FOLLOW_UP_DAYS = 14
    assert follow_ups_queue_due(now=closed.closed_at + dt.timedelta(days=13)) == []
    with django_capture_on_commit_callbacks(execute=True):
        queued = follow_ups_queue_due(now=closed.closed_at + dt.timedelta(days=14, minutes=1))
    assert [f.rma_id for f in queued] == [closed.pk]
    assert follow_ups_queue_due(now=closed.closed_at + dt.timedelta(days=15)) == []
    assert OutboxMessage.objects.filter(template="rma_follow_up").count() == 1
    email = mailoutbox[-1]
    assert "still working" in email.subject
    assert "/returns/track/" in email.body
    assert closed.events.filter(action="follow_up").count() == 1


def test_the_beat_task_runs_the_follow_ups(closed, settings):
    settings.RMA_FOLLOW_UP_DAYS = 0
    assert follow_ups_send.apply().get() == 1
    assert follow_ups_send.apply().get() == 0


def test_old_history_and_imports_are_not_followed_up(closed, settings):
    settings.RMA_FOLLOW_UP_DAYS = 14
    settings.RMA_FOLLOW_UP_SLACK_DAYS = 7
    assert follow_ups_queue_due(now=closed.closed_at + dt.timedelta(days=30)) == []


def test_the_question_is_asked_on_the_page_with_post_buttons_only(client, closed):
    path = f"/returns/track/{status_link_issue(rma=closed)}/"
    body = client.get(path).content.decode()
    assert "Is your device working properly now?" in body
    assert 'method="post"' in body
    assert 'value="working"' in body and 'value="still_failing"' in body
    assert "?answer=" not in body  # no GET link a scanner could follow
    client.get(path + "?answer=still_failing")
    assert not FollowUp.objects.exists()


def test_working_is_recorded_and_thanked(client, closed):
    path = f"/returns/track/{status_link_issue(rma=closed)}/"
    response = client.post(path, {"answer": "working"})
    assert response.status_code == 303
    follow_up = FollowUp.objects.get(rma=closed)
    assert follow_up.answer == "working"
    body = client.get(path).content.decode()
    assert "Thank you for letting us know" in body
    assert "Is your device working properly now?" not in body
    again = client.post(path, {"answer": "still_failing"})
    assert again.status_code == 409
    assert not RMA.objects.filter(is_repeat=True).exists()


def test_still_failing_opens_a_linked_return_marked_repeat(
    client, closed, django_capture_on_commit_callbacks, mailoutbox
):
    path = f"/returns/track/{status_link_issue(rma=closed)}/"
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(path, {"answer": "still_failing", "description": "Dies again at 20% <b>"})
    new_path = track_path(response)
    repeat = RMA.objects.get(repeat_of=closed)
    assert repeat.is_repeat
    assert repeat.channel == RMA.Channel.WEB
    assert repeat.events.get(action="create").source == "page"
    assert repeat.fault_description == "Dies again at 20% <b>"
    assert repeat.customer == closed.customer
    assert FollowUp.objects.get(rma=closed).repeat_rma == repeat
    body = client.get(new_path).content.decode()
    assert repeat.number in body
    assert "Thank you" in body
    assert "Dies again at 20% &lt;b&gt;" in body
    assert any(repeat.number in m.subject for m in mailoutbox)
    assert FollowUp.objects.get(rma=closed).answered_at <= timezone.now()


def test_a_return_that_is_not_closed_asks_nothing(client, flow, in_warranty_device):
    rma = flow.to(open_return(in_warranty_device), S.SHIPPED)
    path = f"/returns/track/{status_link_issue(rma=rma)}/"
    assert "Is your device working properly now?" not in client.get(path).content.decode()
    assert client.post(path, {"answer": "still_failing"}).status_code == 409


def test_still_failing_when_the_device_already_has_a_new_return_open(client, closed, in_warranty_device):
    newer = open_return(in_warranty_device, email="owner@example.com")
    path = f"/returns/track/{status_link_issue(rma=closed)}/"
    response = client.post(path, {"answer": "still_failing"})
    assert response.status_code == 409
    body = response.content.decode()
    assert "This device already has a return open" in body
    assert newer.number not in body
    assert not FollowUp.objects.filter(rma=closed).exclude(answer="").exists()
