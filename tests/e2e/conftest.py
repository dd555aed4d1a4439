"""Browser tests in headless Chromium (the Debian ``chromium`` package), driven by Playwright."""

import os
from pathlib import Path

import pytest

CHROMIUM = Path("/usr/bin/chromium")
SCREENSHOTS = Path(__file__).parent / "screenshots"
WIDTHS = {"phone": (390, 844), "desktop": (1280, 900)}

# Playwright's synchronous API keeps an event loop in this thread; the ORM calls made between page
# loads are ordinary synchronous code.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

if not CHROMIUM.exists():
    pytest.skip("needs /usr/bin/chromium (apt-get install -y chromium)", allow_module_level=True)

sync_api = pytest.importorskip("playwright.sync_api")


@pytest.fixture(scope="session")
def browser():
    with sync_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=str(CHROMIUM),
            args=["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"],
        )
        yield browser
        browser.close()


@pytest.fixture
def page(browser):
    context = browser.new_context(viewport={"width": 1280, "height": 900}, locale="en-GB")
    page = context.new_page()
    page.set_default_timeout(15_000)
    yield page
    context.close()


@pytest.fixture
def shoot():
    """``shoot(page, name)`` saves full-page screenshots at phone and desktop widths, and checks that
    the page never scrolls sideways on a phone."""
    SCREENSHOTS.mkdir(exist_ok=True)

    def take(page, name):
        original = page.viewport_size
        for label, (width, height) in WIDTHS.items():
            page.set_viewport_size({"width": width, "height": height})
            overflow = page.evaluate("document.documentElement.scrollWidth - document.documentElement.clientWidth")
            assert overflow <= 0, f"{name} scrolls sideways by {overflow}px at {width}px"
            page.screenshot(path=str(SCREENSHOTS / f"{name}-{label}.png"), full_page=True)
        page.set_viewport_size(original)

    return take
