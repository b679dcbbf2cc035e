"""The web app in a real browser: Debian's chromium driven by Playwright, against the app
served by uvicorn on loopback over a copy of the small demo.

Nothing downloads a browser: the system's chromium is launched by its path. Where it is
not installed these tests skip and say why; `.ci/run` installs it first, so in CI they run.
"""

from __future__ import annotations

import shutil
import socket
import threading
import time

import pytest

from cxloop import Workspace

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
pytestmark = pytest.mark.skipif(
    CHROMIUM is None, reason="no chromium on this machine (.ci/run installs Debian's chromium)"
)
#: flags for a root user in a sandbox with no network beyond loopback
CHROMIUM_ARGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
]  # fmt: skip
HOSTILE = '<img src=x onerror="window.__xss=1"><script>window.__xss=2</script>\'"><b>'


@pytest.fixture(scope="module")
def served(small_demo, tmp_path_factory):
    """The app of a copy of the small demo, on a free loopback port; yields its address."""
    import uvicorn

    from cxloop.store.app.passwords import hash_password
    from cxloop.web import create_app

    path = tmp_path_factory.mktemp("browser") / "demo"
    shutil.copytree(small_demo.path, path, ignore=shutil.ignore_patterns("source"))
    with Workspace.open(path) as ws:
        ws.app.add_user(username="mallory", display_name=HOSTILE, role="agent", actor="test",
                        password_hash=hash_password("demo-mallory"))  # fmt: skip
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    server = uvicorn.Server(uvicorn.Config(create_app(path), host="127.0.0.1", port=port,
                                           log_level="warning"))  # fmt: skip
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not server.started and time.monotonic() < deadline:
        time.sleep(0.05)
    assert server.started, "the app did not start"
    yield f"http://127.0.0.1:{port}"
    server.should_exit = True
    thread.join(timeout=10)


@pytest.fixture(scope="module")
def browser():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield b
        b.close()


@pytest.fixture
def page(browser):
    context = browser.new_context(viewport={"width": 390, "height": 844})  # a phone's width
    page = context.new_page()
    page.dialogs = []
    page.on("dialog", lambda d: (page.dialogs.append(d.message), d.dismiss()))
    yield page
    context.close()


def sign_in(page, base: str, username: str, password: str) -> None:
    page.goto(f"{base}/login")
    page.fill("#username", username)
    page.fill("#password", password)
    page.click("button[type=submit]")


def test_each_demo_role_signs_in_and_sees_who_they_are(served, page):
    for role in ("agent", "team_leader", "manager", "head", "finance", "people_lead", "admin"):
        sign_in(page, served, role, f"demo-{role}")
        page.wait_for_url(f"{served}/")
        assert page.locator("dd").nth(1).inner_text() == role.replace("_", " ")
        page.click("text=Sign out")
        page.wait_for_url(f"{served}/login*")


def test_a_wrong_password_is_refused_and_the_page_stays_usable_on_a_phone(served, page):
    sign_in(page, served, "team_leader", "not-the-password")
    assert page.locator("p.error").is_visible()
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 390, f"the sign-in page is {width}px wide on a 390px screen"


def test_hostile_names_and_usernames_execute_nothing(served, page):
    typed = HOSTILE[:64]  # the field takes 64 characters, as the store does
    sign_in(page, served, typed, "whatever")  # echoed back into the form's value
    assert page.locator("#username").input_value() == typed
    sign_in(page, served, "mallory", "demo-mallory")
    page.wait_for_url(f"{served}/")
    assert HOSTILE in page.locator("h1").inner_text()  # shown as text, not markup
    assert page.evaluate("window.__xss") is None
    assert page.dialogs == []
