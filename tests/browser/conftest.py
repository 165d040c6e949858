import os

import pytest

CHROMIUM = "/usr/bin/chromium"

# Playwright's sync API runs an event loop in the test thread; the ORM calls the tests
# make between browser steps are ordinary synchronous code, so allow them.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")


@pytest.fixture(scope="session")
def browser():
    from playwright.sync_api import sync_playwright

    if not os.path.exists(CHROMIUM):
        pytest.fail(f"{CHROMIUM} is missing: install Debian's chromium (apt-get install chromium).")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM,
            args=["--no-sandbox", "--disable-gpu", "--disable-background-networking"],
        )
        yield browser
        browser.close()


@pytest.fixture
def page(browser, live_server):
    context = browser.new_context(base_url=live_server.url)
    page = context.new_page()
    page.set_default_timeout(10_000)
    page.csp_violations = []
    page.on(
        "console",
        lambda message: page.csp_violations.append(message.text) if "Content Security Policy" in message.text else None,
    )
    yield page
    context.close()


def login(page, username: str, password: str = "correct-horse-battery") -> None:
    page.goto("/accounts/login/")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Log in").click()
    page.wait_for_url(lambda url: "/accounts/login/" not in url)
    page.goto("/clients/")


def logout(page) -> None:
    page.get_by_role("button", name="Log out").click(force=True)
