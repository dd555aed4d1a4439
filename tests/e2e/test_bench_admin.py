"""A repair centre's admin in a browser (SPEC §13): the RMA list shows Due and Flags at a desk's width and stays
usable on a small laptop; a return's page leads with its next step.

Screenshots go to ``tests/e2e/screenshots/bench-*.png`` at 1,280 and 1,024 px.
"""

from pathlib import Path

import pytest

from rma.models import RMA, Source
from tests.helpers import perform

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.slow]
SCREENSHOTS = Path(__file__).parent / "screenshots"
S = RMA.Status
WIDTHS = [1280, 1024]


def log_in(page, live_server, user) -> None:
    page.context.clear_cookies()
    page.goto(live_server.url + "/admin/login/")
    page.get_by_label("Username").fill(user.username)
    page.get_by_label("Password").fill("correct-horse-battery")
    page.get_by_role("button", name="Log in").click()
    page.wait_for_url("**/admin/")


def snap(page, name: str, width: int) -> None:
    SCREENSHOTS.mkdir(exist_ok=True)
    page.set_viewport_size({"width": width, "height": 800})
    page.screenshot(path=str(SCREENSHOTS / f"bench-{name}-{width}.png"), full_page=True)


def right_edge(page, selector: str) -> float:
    box = page.locator(selector).first.bounding_box()
    assert box is not None, selector
    return box["x"] + box["width"]


def test_the_rma_list_and_a_returns_page_at_desk_widths(page, live_server, build, supervisor, technician):
    supervisor.set_password("correct-horse-battery")
    supervisor.save()
    for status in [S.SUBMITTED, S.AUTHORIZED, S.RECEIVED, S.REPAIRING, S.SHIPPED]:
        build(status)
    late = build(S.DIAGNOSING, in_warranty=False)
    RMA.objects.filter(pk=late.pk).update(due_at="2020-01-01T10:00:00Z")
    diagnosed = build(S.DIAGNOSING, outcome="confirmed")
    log_in(page, live_server, supervisor)
    page.goto(live_server.url + "/admin/rma/rma/")
    for width in WIDTHS:
        page.set_viewport_size({"width": width, "height": 800})
        # Due and Flags are on screen without scrolling sideways at 1,280; at 1,024 the page still works
        results = right_edge(page, "#changelist .results")
        if width == 1280:
            assert right_edge(page, "#result_list th.column-due") <= min(results, width)
            assert right_edge(page, "#result_list th.column-flags") <= min(results, width)
        assert page.locator("#result_list tbody tr").count() == 7
        snap(page, "rma-list", width)
    page.goto(live_server.url + f"/admin/rma/rma/{diagnosed.pk}/change/")
    first = page.locator(".rma-actions a.rma-action").first
    assert first.inner_text() == "Start repair"
    for width in WIDTHS:
        snap(page, "rma-next-step", width)
    perform("retain_unit", diagnosed, actor=technician, source=Source.ADMIN)
    page.goto(live_server.url + f"/admin/rma/rma/{late.pk}/change/")
    for width in WIDTHS:
        snap(page, "rma-goodwill", width)
