"""Fixtures for browser tests: a live server holding the persona world, and chromium pages.

Playwright's sync API runs an event loop in the test thread, and Django refuses database
access from a thread with a running loop (SynchronousOnlyOperation). The loop only drives
the browser; the ORM calls made here are ordinary blocking calls, so we allow them.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest

os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

ARTIFACTS = Path(__file__).resolve().parent / "artifacts"
CHROMIUM = os.environ.get("DOORSTEP_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
]
PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1280, "height": 900}
LOCAL_HOSTS = frozenset({"127.0.0.1", "localhost", "::1"})  # the live server; nothing else


@pytest.hookimpl(wrapper=True, tryfirst=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[Any]) -> Any:
    # Keep each phase's report on the item, so a fixture can tell whether the test failed.
    report = yield
    setattr(item, f"rep_{report.when}", report)
    return report


@pytest.fixture
def live_world(live_server: Any, transactional_db: None) -> Any:
    """The persona world, committed, so the live server's thread can see it."""
    from doorstep.core.testing import build_world

    return build_world()


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    from playwright.sync_api import sync_playwright

    if not Path(CHROMIUM).exists():
        pytest.fail(f"chromium not found at {CHROMIUM}: run `make browser` (Debian's chromium)")
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture
def open_page(
    browser: Any, live_server: Any, request: pytest.FixtureRequest
) -> Iterator[Callable[..., Any]]:
    """open_page(phone=False) -> a new page in a fresh context (own cookies), on the live server.

    JavaScript errors, Content-Security-Policy violations and any request that would leave
    the machine (a map tile, a font or a script from outside) on any page fail the test; a
    failing test leaves a screenshot of each of its pages in
    e2e/artifacts/failed-<test>-<n>.png.
    """
    contexts: list[Any] = []
    pages: list[Any] = []
    errors: list[str] = []

    def _open(phone: bool = False) -> Any:
        options: dict[str, Any] = {
            "base_url": live_server.url,
            "locale": "zh-CN",
            "timezone_id": "Asia/Shanghai",
            "viewport": PHONE if phone else DESKTOP,
        }
        if phone:
            options.update(device_scale_factor=2, is_mobile=True, has_touch=True)
        context = browser.new_context(**options)
        context.set_default_timeout(10_000)
        page = context.new_page()
        page.on("pageerror", lambda exc: errors.append(str(exc)))
        # A Content-Security-Policy violation is logged to the console, not thrown.
        page.on(
            "console",
            lambda msg: (
                errors.append(msg.text)
                if msg.type == "error" and "Content Security Policy" in msg.text
                else None
            ),
        )
        page.on(
            "request",
            lambda req: (
                errors.append(f"outside request: {req.url}")
                if urlsplit(req.url).scheme in ("http", "https", "ws", "wss")
                and urlsplit(req.url).hostname not in LOCAL_HOSTS
                else None
            ),
        )
        contexts.append(context)
        pages.append(page)
        return page

    yield _open

    failed = getattr(request.node, "rep_call", None)
    if failed is not None and failed.failed:
        for n, page in enumerate(pages):
            page.screenshot(path=ARTIFACTS / f"failed-{request.node.name}-{n}.png", full_page=True)
    for context in contexts:
        context.close()
    assert not errors, f"JavaScript errors: {errors}"


@pytest.fixture
def sign_in() -> Callable[[Any, str], None]:
    """sign_in(page, "street"): fill in the (Chinese) login form on the page and submit it."""
    from doorstep.core.testing import PASSWORD

    def _sign_in(page: Any, username: str) -> None:
        page.get_by_label("用户名").fill(username)
        page.get_by_label("密码").fill(PASSWORD)
        page.get_by_role("button", name="登录").click()

    return _sign_in


# Every login of the demo street (seed_demo prints them), in the order the walks take them.
DEMO_LOGINS = (
    "resident",
    "grid",
    "member",
    "volunteer",
    "community",
    "street",
    "liaison",
    "cadre",
    "owner",
    "sysadmin",
    "secadmin",
    "auditor",
)


def sign_in_demo(page: Any, username: str) -> None:
    """Sign a demo login in on the page and wait for its workbench."""
    from django.conf import settings
    from playwright.sync_api import expect

    from doorstep.core.testing import wait_for_live_requests
    from doorstep.demo.common import DEMO_PASSWORD

    # The page just left may still be fetching (the cockpit's basemap): let it finish.
    if page.url.startswith("http"):
        page.wait_for_load_state("networkidle")
    wait_for_live_requests()
    # A response still in flight when the caller cleared the cookies (the cockpit's
    # refresh) sets the old session again (sessions are saved on every request), and the
    # login page would send the old user to their workbench: drop it again, now.
    page.context.clear_cookies(name=settings.SESSION_COOKIE_NAME)
    page.goto("/accounts/login/")
    page.get_by_label("用户名").fill(username)
    page.get_by_label("密码").fill(DEMO_PASSWORD)
    page.get_by_role("button", name="登录").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("工作台")
