"""Browser fixtures: one headless Chromium per session, a fresh context per test.

The parent conftest skips these tests when /usr/bin/chromium is missing; under REQUIRE_BROWSER=1
they run instead, and the browser fixture fails them with a message saying what is missing.
"""

import os
import re
import shutil
from io import StringIO
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from django.core.management import call_command

# Playwright's sync API keeps an asyncio event loop running in the test's thread, and Django's
# async-safety guard then refuses every ORM call the test makes (demo loading, fixtures,
# assertions on rows). Those calls really are synchronous and nothing else touches this
# thread's connection, so the guard is a false alarm here.
os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
ROOT = Path(__file__).resolve().parents[2]
AXE = ROOT / "node_modules" / "axe-core" / "axe.min.js"
STYLESHEET = "/static/css/regionhub.css"

DEMO_PASSWORD = "regionhub-demo"
ADMIN = "admin@regionhub.example"
COORDINATOR_TELFORD = "coordinator.telford@regionhub.example"
MEMBER = "member@regionhub.example"

# Short enough that a broken page fails fast instead of eating the run's time budget.
TIMEOUT_MS = 10_000


@pytest.fixture(scope="session")
def browser():
    # Reached without Chromium only under REQUIRE_BROWSER=1; say why instead of a launch trace.
    if shutil.which(CHROMIUM) is None:
        pytest.fail(f"REQUIRE_BROWSER=1 but {CHROMIUM} is missing (apt-get install chromium)")
    if not AXE.exists():
        pytest.fail(f"{AXE.relative_to(ROOT)} is missing: run `npm ci`")
    if not (ROOT / "build" / "static" / STYLESHEET.removeprefix("/static/")).exists():
        pytest.fail("build/static has no stylesheet: run `make assets`")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True
        )
        yield browser
        browser.close()


class PageProblems:
    """What went wrong behind the page's back: server errors, broken assets, script errors."""

    def __init__(self):
        self.server_errors: list[str] = []
        self.broken_assets: list[str] = []
        self.script_errors: list[str] = []

    def on_response(self, response):
        path = urlsplit(response.url).path
        if response.status >= 500:
            self.server_errors.append(f"{response.status} {response.url}")
        elif path.startswith("/static/") and response.status not in (200, 304):
            self.broken_assets.append(f"{response.status} {response.url}")

    def on_request_failed(self, request):
        if urlsplit(request.url).path.startswith("/static/"):
            self.broken_assets.append(f"failed {request.url}: {request.failure}")

    def on_page_error(self, error):
        self.script_errors.append(str(error))

    def report(self) -> str:
        lines = []
        for title, items in (
            ("Server errors", self.server_errors),
            ("Static files not served", self.broken_assets),
            ("JavaScript errors", self.script_errors),
        ):
            if items:
                lines.append(f"{title}:")
                lines.extend(f"  {item}" for item in items)
        return "\n".join(lines)


@pytest.fixture
def page(browser, live_server):
    context = browser.new_context(base_url=live_server.url, locale="en-GB")
    context.set_default_timeout(TIMEOUT_MS)
    page = context.new_page()
    problems = PageProblems()
    page.on("response", problems.on_response)
    page.on("requestfailed", problems.on_request_failed)
    page.on("pageerror", problems.on_page_error)
    yield page
    context.close()
    # A 500 behind a redirect or an asset that silently 404s would not fail any assertion.
    report = problems.report()
    assert not report, report


@pytest.fixture
def demo():
    call_command("load_demo", stdout=StringIO())


# Helpers ---------------------------------------------------------------------------------------


def format_violations(url: str, violations: list[dict]) -> str:
    lines = [f"axe-core found {len(violations)} accessibility violation(s) on {url}:"]
    for v in violations:
        targets = [", ".join(node["target"]) for node in v["nodes"][:3]]
        more = len(v["nodes"]) - len(targets)
        lines.append(f"- {v['id']} ({v['impact']}): {v['help']}")
        lines.append(f"    {v['helpUrl']}")
        for target in targets:
            lines.append(f"    at {target}")
        # axe's own explanation, e.g. the colours and ratio measured, for the first element.
        summary = (v["nodes"][0].get("failureSummary") or "").strip()
        if summary:
            lines.extend(f"    | {line.strip()}" for line in summary.splitlines()[:4])
        if more > 0:
            lines.append(f"    and {more} more element(s)")
    return "\n".join(lines)


def check_axe(page) -> None:
    """Assert axe-core finds no violations on the page as it stands now."""
    if not page.evaluate("() => typeof window.axe !== 'undefined'"):
        page.add_script_tag(path=str(AXE))
    violations = page.evaluate("async () => (await axe.run()).violations")
    assert not violations, format_violations(page.url, violations)


def visit(page, path: str, *, status: int = 200):
    """Open a page, check its status and its accessibility; return the response."""
    response = page.goto(path)
    assert response is not None, f"no response for {path}"
    assert response.status == status, f"{path} answered {response.status}, expected {status}"
    check_axe(page)
    return response


def submit(page, button_name: str, *, status: int = 200):
    """Press a form's submit button, wait for the page it leads to, and check that page."""
    with page.expect_navigation() as navigation:
        page.get_by_role("button", name=button_name, exact=True).click()
    response = navigation.value
    assert response is not None
    assert response.status == status, f"{response.url} answered {response.status}"
    check_axe(page)
    return response


def check_error_summary(page, *messages: str):
    """The GOV.UK error summary: focused, listing each message, each linking to its place."""
    from playwright.sync_api import expect

    summary = page.locator(".govuk-error-summary")
    expect(summary).to_be_visible()
    expect(summary).to_be_focused()
    expect(summary).to_contain_text("There is a problem")
    expect(page).to_have_title(re.compile(r"^Error: "))
    for message in messages:
        link = summary.get_by_role("link", name=message, exact=True)
        expect(link).to_have_count(1)
        target = link.get_attribute("href")
        assert target and target.startswith("#"), f"{message!r} links to {target!r}"
        expect(page.locator(target), f"{message!r} links to a missing {target}").to_have_count(1)
    return summary


def sign_in(page, email: str, password: str = DEMO_PASSWORD) -> None:
    visit(page, "/accounts/sign-in/")
    page.get_by_label("Email address").fill(email)
    page.get_by_label("Password").fill(password)
    submit(page, "Sign in")
    assert not re.search(r"/accounts/sign-in/", urlsplit(page.url).path), (
        f"sign-in as {email} did not succeed"
    )
