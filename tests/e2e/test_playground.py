"""The playground and the connect page in Chromium, against the real /mcp; and axe-core on every page.

The app runs under gunicorn with two workers on SQLite, with the dev sign-in and the
conformance fixtures loaded next to the shipped tools. The playground calls /mcp from the
page with the session; its answers are checked as a person sees them. The connect page's
snippets are run for real (curl, the Python SDK, the TypeScript SDK) with a static token.
axe-core (tests/support/axe) is injected into each page; serious or critical findings fail.
"""

from __future__ import annotations

import json
import os
import re
import secrets
import shlex
import shutil
import subprocess
import sys
from collections import Counter
from collections.abc import Iterator
from typing import TYPE_CHECKING

import pytest
import requests

from tests.support import services
from tests.support.browser import dev_sign_in
from tests.support.conformance_suite import INSPECTOR_CWD, INSPECTOR_DIR, ensure_installed, node22
from tests.support.oauth_client import Pkce, PublicClient
from tests.support.servers import ROOT, LiveApp, sqlite_app

if TYPE_CHECKING:
    from playwright.sync_api import Browser, BrowserContext, Page

pytestmark = [pytest.mark.browser, pytest.mark.live]

AXE = ROOT / "tests" / "support" / "axe" / "node_modules" / "axe-core" / "axe.min.js"
TS_SDK = ROOT / "tests" / "support" / "inspector" / "node_modules"
PERSON = ("Grace Hopper", "grace@example.test")
MODERN = "2026-07-28"
RUN_TIMEOUT = 60


@pytest.fixture(scope="module")
def deployment(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveApp]:
    """The app under gunicorn (-w 2) with the shipped tools and the conformance fixtures."""
    tmp, token = tmp_path_factory.mktemp("playground"), secrets.token_urlsafe(32)
    tools = "app.tools,tests.mcp_fixtures"
    with sqlite_app(tmp, MCP_TOOL_PACKAGES=tools, MCP_STATIC_TOKENS=token, ADMIN_EMAILS=PERSON[1]) as app:
        yield app


def sign_in(page: Page, url: str) -> None:
    dev_sign_in(page, url, *PERSON)


@pytest.fixture(scope="module")
def signed_in(browser: Browser, deployment: LiveApp) -> Iterator[BrowserContext]:
    """One person's browser, signed in once; the clipboard may be read back."""
    context = browser.new_context(viewport={"width": 1280, "height": 800})
    context.grant_permissions(["clipboard-read", "clipboard-write"], origin=deployment.base_url)
    sign_in(context.new_page(), deployment.base_url)
    yield context
    context.close()


@pytest.fixture
def page(signed_in: BrowserContext) -> Iterator[Page]:
    """A fresh tab, its choices forgotten after; any Content-Security-Policy violation or script error fails."""
    page = signed_in.new_page()
    problems: list[str] = []
    page.on("pageerror", lambda error: problems.append(str(error)))
    page.on("console", lambda m: problems.append(m.text) if "Content Security Policy" in m.text else None)
    yield page
    if page.url.startswith("http"):
        page.evaluate("localStorage.clear()")  # a revision or client chosen here is not the next test's
    page.close()
    assert problems == []


def open_item(page: Page, deployment: LiveApp, name: str) -> None:
    page.goto(f"{deployment.base_url}/playground")
    catalog = page.get_by_role("navigation", name="Tools, resources and prompts")
    catalog.get_by_role("button", name=re.compile(rf"^{re.escape(name)}(\s|$)")).click()


def run(page: Page, verb: str = "Call tool") -> None:
    page.get_by_role("button", name=verb).click()
    page.locator("#outcome h3").wait_for()


def mcp(deployment: LiveApp, method: str) -> dict:
    """A 2026-07-28 request to /mcp with the static token."""
    meta = {"io.modelcontextprotocol/protocolVersion": MODERN, "io.modelcontextprotocol/clientCapabilities": {}}
    headers = {
        "Authorization": f"Bearer {deployment.static_token}",
        "MCP-Protocol-Version": MODERN,
        "Mcp-Method": method,
    }
    body = {"jsonrpc": "2.0", "id": 1, "method": method, "params": {"_meta": meta}}
    response = requests.post(deployment.mcp_url, json=body, headers=headers, timeout=10)
    assert response.status_code == 200, response.text
    return response.json()["result"]


def test_the_catalog_filters_as_one_types_and_names_the_revision(deployment: LiveApp, page: Page) -> None:
    page.goto(f"{deployment.base_url}/playground")
    catalog = page.get_by_role("navigation", name="Tools, resources and prompts")
    catalog.get_by_role("button", name=re.compile(r"^whoami(\s|$)")).wait_for()
    assert page.get_by_label("Protocol revision").input_value() == MODERN
    page.get_by_label("Filter").fill("temperature celsius")
    items = catalog.locator(".catalog-item").all()
    shown = [item.locator(".item-name").inner_text() for item in items if item.is_visible()]
    assert shown == ["convert_temperature"]
    page.get_by_label("Filter").fill("")
    assert catalog.get_by_role("button", name=re.compile(r"^whoami(\s|$)")).is_visible()


def test_a_skip_link_comes_first(deployment: LiveApp, page: Page) -> None:
    page.goto(f"{deployment.base_url}/")
    page.keyboard.press("Tab")
    focused = page.evaluate("document.activeElement.textContent")
    assert focused == "Skip to content" and page.get_by_role("link", name="Skip to content").is_visible()


def test_the_catalog_is_what_mcp_lists(deployment: LiveApp, page: Page) -> None:
    from playwright.sync_api import expect

    page.goto(f"{deployment.base_url}/playground")
    expect(page.locator("#catalog-status")).to_contain_text("tools")
    for method, key, list_id in [("tools/list", "tools", "tools-list"), ("prompts/list", "prompts", "prompts-list")]:
        names = [item["name"] for item in mcp(deployment, method)[key]]
        assert page.locator(f"#{list_id} .item-name").all_inner_texts() == names
    resources = [item["uri"] for item in mcp(deployment, "resources/list")["resources"]]
    assert page.locator("#resources-list .item-title").all_inner_texts() == resources


def test_convert_temperature_through_the_generated_form(deployment: LiveApp, page: Page) -> None:
    open_item(page, deployment, "convert_temperature")
    detail = page.locator("#detail")
    assert detail.get_by_text("read-only", exact=True).is_visible()
    assert detail.get_by_role("combobox", name="From Unit").evaluate("e => e.required")
    assert detail.get_by_role("combobox", name="To Unit").input_value() != ""  # its default is selected
    page.get_by_label("Value").fill("100")
    page.get_by_label("From Unit").select_option("celsius")
    page.get_by_label("To Unit").select_option("fahrenheit")
    run(page)
    structured = page.locator("#outcome h4:text('Structured content') + pre").inner_text()
    assert json.loads(structured) == {"value": 212, "unit": "fahrenheit"}
    assert page.evaluate("document.activeElement.textContent") == "Result"  # focus moved to the result


def test_progress_bar_reaches_100_percent(deployment: LiveApp, page: Page) -> None:
    open_item(page, deployment, "count_slowly")
    page.get_by_label("To", exact=True).fill("4")
    page.get_by_label("Delay").fill("0.3")
    page.get_by_role("button", name="Call tool").click()
    page.wait_for_function(
        "() => { const p = document.getElementById('progress'); return p.value > 0 && p.value < p.max; }"
    )
    page.locator("#outcome h3").wait_for()
    assert page.locator("#progress").evaluate("p => [p.value, p.max]") == [4, 4]
    assert "(100%)" in page.locator("#progress-text").inner_text()
    assert page.locator("#outcome").get_by_text("Counted to 4.", exact=True).is_visible()


def test_a_late_result_stays_with_its_own_call(deployment: LiveApp, page: Page) -> None:
    """Start a slow count, open whoami and call it while the count runs: whoami answers at once, and the count's
    progress and result, arriving later, never show under whoami."""
    open_item(page, deployment, "count_slowly")
    page.get_by_label("To", exact=True).fill("3")
    page.get_by_label("Delay").fill("0.5")
    page.get_by_role("button", name="Call tool").click()
    page.wait_for_function("() => document.getElementById('progress').value > 0")
    catalog = page.get_by_role("navigation", name="Tools, resources and prompts")
    catalog.get_by_role("button", name=re.compile(r"^whoami(\s|$)")).click()
    page.get_by_role("button", name="Call tool").click()  # while the count still runs
    page.locator("#outcome h3").wait_for()
    page.wait_for_timeout(2500)  # the count has finished meanwhile
    outcome = page.locator("#outcome").inner_text()
    assert "Counted to" not in outcome and "Waiting for the server" not in outcome
    assert page.locator("#progress-box").is_hidden()
    assert "@example.test" in outcome or "Ada" in outcome, outcome


def choose_revision(page: Page, deployment: LiveApp, revision: str) -> None:
    """Open the playground speaking `revision`, its catalog loaded."""
    from playwright.sync_api import expect

    page.goto(f"{deployment.base_url}/playground")
    expect(page.locator("#catalog-status")).to_contain_text("offers you")
    page.get_by_label("Protocol revision").select_option(revision)
    expect(page.locator("#catalog-status")).to_contain_text("offers you")


def pick(page: Page, name: str) -> None:
    catalog = page.get_by_role("navigation", name="Tools, resources and prompts")
    catalog.get_by_role("button", name=re.compile(rf"^{re.escape(name)}(\s|$)")).click()


def history_entry(page: Page, number: int):
    """The history entry of call `number`, its details opened."""
    entry = page.locator("#history-list > li").filter(has_text=f"#{number} ")
    details = entry.locator("details")
    for _ in range(3):  # a view above sizes itself meanwhile and moves the history: a click may land beside it
        if details.evaluate("d => d.open"):
            break
        details.locator("summary").click()
        page.wait_for_timeout(100)
    details.get_by_role("heading", name=re.compile("^Request")).first.wait_for()  # drawn on the toggle event
    return entry


def sse_or_json(output: str) -> dict:
    """The last JSON-RPC message of an answer, sent as JSON or as an event stream."""
    data = [line[5:].strip() for line in output.splitlines() if line.startswith("data:")]
    return json.loads(data[-1] if data else output)


@pytest.mark.parametrize("revision", [MODERN, "2025-11-25"])
def test_each_call_is_in_the_history_and_copies_as_curl(deployment: LiveApp, page: Page, revision: str) -> None:
    """A call's entry shows the request as sent, the response, status and timing; its curl command, pasted into
    a shell with a token in $TOKEN, gets the same answer."""
    choose_revision(page, deployment, revision)
    pick(page, "convert_temperature")
    page.get_by_label("Value").fill("100")
    page.get_by_label("From Unit").select_option("celsius")
    page.get_by_label("To Unit").select_option("fahrenheit")
    run(page)
    entry = history_entry(page, 1)
    assert re.search(r"ok · \d+ ms", entry.locator(".call-state").inner_text())
    body = entry.inner_text()
    assert f"MCP-Protocol-Version: {revision}" in body and '"name": "convert_temperature"' in body
    assert "Response: HTTP 200" in body and '"unit": "fahrenheit"' in body
    entry.get_by_role("button", name="Copy as curl (call 1)").click()
    entry.get_by_text("Copied").wait_for()
    command = page.evaluate("navigator.clipboard.readText()")
    answer = sse_or_json(run_snippet(["bash", "-c", command], deployment))
    assert answer["result"]["structuredContent"] == {"value": 212, "unit": "fahrenheit"}, answer


def test_parameters_a_tool_mirrors_travel_in_headers(deployment: LiveApp, page: Page) -> None:
    """The page mirrors x-mcp-header parameters into Mcp-Param-* headers, base64 where the value needs it, as the
    server requires of every 2026-07-28 client."""
    open_item(page, deployment, "test_mirrored_headers")
    page.get_by_role("textbox", name="region").fill("Hello, 世界")
    page.get_by_role("spinbutton", name="priority").fill("42")
    run(page)
    outcome = page.locator("#outcome").inner_text()
    assert "region='Hello, 世界'" in outcome and "priority=42" in outcome, outcome
    sent = history_entry(page, 1).inner_text()
    assert "Mcp-Param-Region: =?base64?SGVsbG8sIOS4lueVjA==?=" in sent and "Mcp-Param-Priority: 42" in sent


@pytest.mark.parametrize("revision", [MODERN, "2025-11-25"])
def test_a_running_call_can_be_cancelled(deployment: LiveApp, page: Page, revision: str) -> None:
    """Cancel closes the call's stream (2026-07-28) or sends notifications/cancelled (2025-11-25); the outcome
    and the history say so, and nothing arrives for the call afterwards."""
    choose_revision(page, deployment, revision)
    sent: list[dict] = []
    page.on("request", lambda r: sent.append(r.post_data_json) if r.method == "POST" and r.post_data else None)
    pick(page, "count_slowly")
    page.get_by_label("To", exact=True).fill("20")
    page.get_by_label("Delay").fill("0.5")
    page.get_by_role("button", name="Call tool").click()
    page.wait_for_function("() => document.getElementById('progress').value > 0")
    page.locator("#detail").get_by_role("button", name="Cancel").click()
    page.get_by_role("heading", name="Cancelled").wait_for()
    entry = history_entry(page, 1)
    assert entry.locator(".call-state").inner_text().startswith("cancelled")
    assert entry.get_by_role("button", name="Cancel call 1").is_hidden()

    def cancels() -> list[dict]:
        return [m for m in sent if isinstance(m, dict) and m.get("method") == "notifications/cancelled"]

    if revision == MODERN:
        page.wait_for_timeout(500)
        assert cancels() == []  # closing the stream is the cancellation
    else:
        call_id = next(m["id"] for m in sent if isinstance(m, dict) and m.get("method") == "tools/call")
        for _ in range(50):
            if cancels():
                break
            page.wait_for_timeout(100)
        assert [m["params"]["requestId"] for m in cancels()] == [call_id]
    seen = entry.locator(".call-state").inner_text()
    page.wait_for_timeout(1500)
    assert entry.locator(".call-state").inner_text() == seen


def test_a_tool_with_a_view_shows_its_result_in_it(deployment: LiveApp, page: Page) -> None:
    """MCP Apps: convert_temperature's view draws the result in a frame sandboxed to scripts alone, and converts
    again through the page (a tools/call in the history, sent with the person's session)."""
    open_item(page, deployment, "convert_temperature")
    page.get_by_label("Value").fill("100")
    page.get_by_label("From Unit").select_option("celsius")
    page.get_by_label("To Unit").select_option("fahrenheit")
    page.get_by_role("button", name="Call tool").click()
    frame = page.locator("iframe.app-view")
    assert frame.get_attribute("sandbox") == "allow-scripts"
    view = page.frame_locator("iframe.app-view")
    view.get_by_text("212 °F", exact=True).wait_for()
    assert view.get_by_text("from 100 °C").is_visible()
    view.get_by_role("button", name="kelvin").click()
    view.get_by_text("373.15 K", exact=True).wait_for()
    assert "convert_temperature (from a view)" in page.locator("#history-list").inner_text()
    assert 100 < frame.bounding_box()["height"] < 900  # as tall as the view said


def test_a_view_cannot_get_out_of_its_frame(deployment: LiveApp, signed_in: BrowserContext) -> None:
    """A hostile view: no cookies, storage, page, network or top window; it reaches only the tools views may
    call. (Its own page: the blocked attempts are CSP reports, which the page fixture counts as failures.)"""
    page = signed_in.new_page()
    try:
        sent: list = []
        page.on("request", lambda r: sent.append(r.post_data_json) if r.method == "POST" and r.post_data else None)
        confirmed: list[str] = []
        page.on("dialog", lambda dialog: (confirmed.append(dialog.message), dialog.accept()))
        open_item(page, deployment, "test_escape_view")
        page.get_by_role("button", name="Call tool").click()
        asked = page.get_by_role("dialog", name="The server asks")  # a tool the view calls asks the person
        asked.get_by_text("What is your name?").wait_for()
        page.keyboard.type("Grace")
        page.keyboard.press("Enter")
        report = page.frame_locator("iframe.app-view").locator("#report")
        report.get_by_text("done").wait_for()
        lines = report.inner_text().splitlines()
        page.get_by_text("The view left its page, so it was closed.").wait_for()  # then it navigated away
        print(f"\nthe hostile view reports: {lines}")
        for blocked in ("cookies", "storage", "the page", "the network", "a tool views may not call"):
            assert f"{blocked}: blocked" in lines, lines
        assert "a tool for views: allowed reached" in lines and "a tool that asks: allowed Hello, Grace!" in lines
        assert "fullscreen: allowed inline" in lines  # the only mode the playground offers, said so
        assert confirmed == ['The view asks to call test_input_required_result_elicitation with {}.\n\nIt may change '
                             "data. Allow it?"]  # fmt: skip
        page.wait_for_timeout(500)
        assert page.url == f"{deployment.base_url}/playground"  # the top window stayed
        called = [m["params"]["name"] for m in sent if isinstance(m, dict) and m.get("method") == "tools/call"]
        assert called.count("test_for_views") == 1 and "test_not_for_views" not in called  # none for the page it left
    finally:
        page.close()


def test_a_tool_started_as_a_task_is_followed_to_its_result(deployment: LiveApp, page: Page) -> None:
    """Start as a task: the call answers with the task, the page polls tasks/get and shows its status, then the
    result; every request is in the call's history."""
    open_item(page, deployment, "count_slowly")
    page.get_by_label("To", exact=True).fill("3")
    page.get_by_label("Delay").fill("0.5")
    page.get_by_label("Start as a task").check()
    page.get_by_role("button", name="Call tool").click()
    page.locator("#outcome").get_by_text(re.compile(r"^Task .* working")).wait_for()
    page.locator("#outcome").get_by_text("Counted to 3.", exact=True).wait_for(timeout=RUN_TIMEOUT * 1000)
    entry = history_entry(page, 1)
    assert entry.locator(".call-state").inner_text().startswith("ok")
    assert '"resultType": "task"' in entry.inner_text() and '"method": "tasks/get"' in entry.inner_text()


def test_a_task_asks_in_the_page_and_a_tool_that_needs_a_task_gets_one(deployment: LiveApp, page: Page) -> None:
    """A task's question comes through tasks/get and is answered with tasks/update; a tool that runs only as a
    task (-32021 without) is called again as one."""
    open_item(page, deployment, "confirm_delete")
    page.get_by_role("textbox", name="filename").fill("notes.txt")
    page.get_by_label("Start as a task").check()
    page.get_by_role("button", name="Call tool").click()
    dialog = page.get_by_role("dialog", name="The server asks")
    dialog.get_by_text("Delete notes.txt?").wait_for()
    dialog.get_by_role("checkbox", name="confirm").check()
    dialog.get_by_role("button", name="Send").click()
    page.locator("#outcome").get_by_text("Deleted notes.txt.", exact=True).wait_for(timeout=RUN_TIMEOUT * 1000)
    assert '"method": "tasks/update"' in history_entry(page, 1).inner_text()
    pick(page, "failing_job")
    page.get_by_role("button", name="Call tool").click()
    failed = page.locator("#outcome").get_by_text("The job failed: the input could not be processed.", exact=True)
    failed.wait_for(timeout=RUN_TIMEOUT * 1000)
    assert '"code": -32021' in history_entry(page, 2).inner_text()


def test_a_task_can_be_cancelled(deployment: LiveApp, page: Page) -> None:
    sent: list[dict] = []
    page.on("request", lambda r: sent.append(r.post_data_json) if r.method == "POST" and r.post_data else None)
    open_item(page, deployment, "slow_compute")
    page.get_by_role("spinbutton", name="seconds").fill("60")
    page.get_by_label("Start as a task").check()
    page.get_by_role("button", name="Call tool").click()
    page.locator("#outcome").get_by_text(re.compile(r"^Task .* working")).wait_for()
    page.locator("#detail").get_by_role("button", name="Cancel").click()
    page.get_by_role("heading", name="Cancelled").wait_for()
    for _ in range(50):
        if any(isinstance(m, dict) and m.get("method") == "tasks/cancel" for m in sent):
            break
        page.wait_for_timeout(100)
    [cancel] = [m for m in sent if isinstance(m, dict) and m.get("method") == "tasks/cancel"]
    [created] = [m for m in sent if isinstance(m, dict) and m.get("method") == "tools/call"]
    assert cancel["params"]["taskId"] and created["params"]["name"] == "slow_compute"


@pytest.mark.parametrize("revision", [MODERN, "2025-11-25"])
def test_log_messages_reach_the_log_pane(deployment: LiveApp, page: Page, revision: str) -> None:
    choose_revision(page, deployment, revision)
    pick(page, "check_items")
    add = page.get_by_role("button", name="Add item to items")
    for value in ("apples", " ", "pears"):
        add.click()
        page.keyboard.type(value)
    run(page)
    log = page.locator("#log-list > li")
    assert log.all_inner_texts() == [
        "info #1 check_items: item 1: 'apples' checked",
        "warning #1 check_items: item 2 is empty: skipped",
        "info #1 check_items: item 3: 'pears' checked",
    ]
    page.get_by_role("button", name="Clear").click()
    page.get_by_label("Level").select_option("warning")
    run(page)
    page.locator("#log-list > li").first.wait_for()
    assert page.locator("#log-list > li").all_inner_texts() == ["warning #2 check_items: item 2 is empty: skipped"]


def test_several_calls_run_at_once_and_the_form_shows_the_latest(deployment: LiveApp, page: Page) -> None:
    open_item(page, deployment, "count_slowly")
    page.get_by_label("To", exact=True).fill("3")
    page.get_by_label("Delay").fill("0.4")
    page.get_by_role("button", name="Call tool").click()
    page.get_by_label("To", exact=True).fill("2")
    page.get_by_role("button", name="Call tool").click()
    states = page.locator("#history-list .call-state")
    page.wait_for_function("() => document.querySelectorAll('#history-list [data-status=running]').length === 2")
    page.wait_for_function("() => document.querySelectorAll('#history-list [data-status=ok]').length === 2")
    assert [s.split(" ")[0] for s in states.all_inner_texts()] == ["ok", "ok"]
    page.wait_for_timeout(500)
    assert page.locator("#outcome").get_by_text("Counted to 2.", exact=True).is_visible()
    assert "Counted to 3." not in page.locator("#outcome").inner_text()


def test_a_2025_session_that_expires_and_fails_to_reopen_recovers_on_the_next_call(
    deployment: LiveApp, page: Page
) -> None:
    """The session is gone (404) and opening a new one fails once (503): that call fails, the next one opens a
    session and succeeds."""
    choose_revision(page, deployment, "2025-11-25")
    pick(page, "whoami")
    run(page)
    faults = ["session gone", "initialize refused"]

    def fault(route) -> None:
        body = route.request.post_data_json or {}
        if faults[:1] == ["session gone"] and body.get("method") == "tools/call":
            faults.pop(0)
            return route.fulfill(status=404, json={"jsonrpc": "2.0", "id": body["id"], "error": {"code": -32001}})
        if faults == ["initialize refused"] and body.get("method") == "initialize":
            faults.pop(0)
            return route.fulfill(status=503, body="")
        return route.continue_()

    page.route("**/mcp", fault)
    page.get_by_role("button", name="Call tool").click()
    page.get_by_role("heading", name="Error").wait_for()
    assert faults == [] and "HTTP 503" in page.locator("#outcome").inner_text()
    assert "Response: HTTP 404" in history_entry(page, 2).inner_text()
    run(page)
    page.get_by_role("heading", name="Result").wait_for()
    assert history_entry(page, 3).locator(".call-state").inner_text().startswith("ok")


def test_two_questions_at_once_are_asked_in_turn(deployment: LiveApp, page: Page) -> None:
    """Two calls each ask the person a question: the dialog asks one, then the other; both calls end."""
    open_item(page, deployment, "greet_someone")
    page.get_by_role("button", name="Call tool").click()
    page.get_by_role("dialog").get_by_text("Whom should I greet?").wait_for()
    page.evaluate("document.querySelector('#elicit').close()")  # reach the form's button behind the dialog
    page.get_by_role("button", name="Call tool").click()
    page.wait_for_function("() => document.querySelectorAll('#history-list > li').length === 2")
    page.evaluate("document.querySelector('#elicit').showModal()")
    for name in ("Ada", "Grace"):
        dialog = page.get_by_role("dialog", name="The server asks")
        dialog.get_by_role("textbox", name="Name").fill(name)
        dialog.get_by_role("button", name="Send").click()
        page.wait_for_timeout(300)
    page.wait_for_function("() => document.querySelectorAll('#history-list [data-status=ok]').length === 2")
    assert page.locator("#outcome").get_by_text("Hello, Grace!", exact=True).is_visible()


def test_notifications_keep_the_focus_in_an_open_entry(deployment: LiveApp, page: Page) -> None:
    """While a call's progress arrives, its open entry grows in place: a focused Copy as curl keeps the focus."""
    open_item(page, deployment, "count_slowly")
    page.get_by_label("To", exact=True).fill("4")
    page.get_by_label("Delay").fill("0.4")
    page.get_by_role("button", name="Call tool").click()
    entry = history_entry(page, 1)
    entry.get_by_role("button", name="Copy as curl (call 1)").focus()
    page.wait_for_function("() => document.getElementById('progress').value >= 2")
    assert page.evaluate("document.activeElement.textContent") == "Copy as curl"
    assert "Notifications (" in entry.inner_text()
    page.locator("#outcome h3").wait_for()  # then the result takes the focus, as every result does
    assert "Notifications (4)" in entry.inner_text()


def test_the_revision_is_remembered_and_2025_questions_are_answered(deployment: LiveApp, page: Page) -> None:
    """Chosen once, 2025-11-25 stays chosen; there the server asks on the call's stream and the page answers
    with a POST, through the same dialog."""
    choose_revision(page, deployment, "2025-11-25")
    page.reload()
    assert page.get_by_label("Protocol revision").input_value() == "2025-11-25"
    pick(page, "greet_someone")
    page.get_by_role("button", name="Call tool").click()
    dialog = page.get_by_role("dialog", name="The server asks")
    dialog.get_by_text("Whom should I greet?").wait_for()
    page.keyboard.type("Grace")
    page.keyboard.press("Enter")
    page.locator("#outcome").get_by_text("Hello, Grace!", exact=True).wait_for()
    assert "initialize" not in history_entry(page, 1).inner_text()  # the history has the call, not the handshake
    page.get_by_label("Protocol revision").select_option(MODERN)


def test_an_elicitation_is_answered_in_the_page(deployment: LiveApp, page: Page) -> None:
    open_item(page, deployment, "test_input_required_result_elicitation")
    page.get_by_role("button", name="Call tool").click()
    dialog = page.get_by_role("dialog", name="The server asks")
    dialog.get_by_text("What is your name?").wait_for()
    assert page.evaluate("document.activeElement.id") == "elicit-name"  # the keyboard lands in the form
    page.keyboard.type("Grace")
    page.keyboard.press("Enter")
    page.locator("#outcome").get_by_text("Hello, Grace!", exact=True).wait_for()
    assert not dialog.is_visible()


def test_escape_cancels_an_elicitation(deployment: LiveApp, page: Page) -> None:
    open_item(page, deployment, "test_elicitation")
    page.get_by_role("textbox", name="message").fill("Who are you?")
    page.get_by_role("button", name="Call tool").click()
    page.get_by_role("dialog").get_by_text("Who are you?").wait_for()
    page.keyboard.press("Escape")
    page.locator("#outcome .content-list").get_by_text("User response: action=cancel").wait_for()


def test_read_resources_and_a_template(deployment: LiveApp, page: Page) -> None:
    open_item(page, deployment, "Static Text Resource")
    run(page, "Read resource")
    assert (
        page.locator("#outcome .resource").get_by_text("This is the content of the static text resource.").is_visible()
    )
    page.get_by_role("button", name="Resource Template test://").click()
    page.get_by_role("combobox", name="id").fill("42")
    run(page, "Read resource")
    assert page.get_by_role("heading", name="Resource test://template/42/data").is_visible()
    assert json.loads(page.locator("#outcome .resource pre").inner_text())["data"] == "Data for ID: 42"


def test_skills_are_listed_and_read(deployment: LiveApp, page: Page) -> None:
    page.goto(f"{deployment.base_url}/playground")
    skills = page.get_by_role("list", name="Skills")
    skills.get_by_role("button", name=re.compile(r"^server-tools(\s|$)")).click()
    detail = page.locator("#detail")
    assert detail.get_by_text("skill://server-tools/SKILL.md").first.is_visible()
    detail.get_by_text("Files (2)").click()
    assert detail.get_by_text("skill://server-tools/references/tools.md").is_visible()
    run(page, "Read skill")
    assert page.get_by_role("heading", name="Resource skill://server-tools/SKILL.md").is_visible()
    assert "# Using this server's tools" in page.locator("#outcome").inner_text()


def test_get_a_prompt(deployment: LiveApp, page: Page) -> None:
    open_item(page, deployment, "test_prompt_with_arguments")
    page.get_by_role("combobox", name="arg1").fill("first")
    page.get_by_role("combobox", name="arg2").fill("second")
    run(page, "Get prompt")
    outcome = page.locator("#outcome")
    assert outcome.locator(".role").inner_text().lower() == "user"
    assert outcome.get_by_text("Prompt with arguments: arg1='first', arg2='second'", exact=True).is_visible()


FORM_SCHEMA = {
    "type": "object",
    "$defs": {
        "point": {"type": "object", "properties": {"x": {"type": "integer"}, "y": {"type": "integer", "default": 0}}}
    },
    "properties": {
        "title": {"type": "string", "description": "What to call it"},
        "tags": {"type": "array", "items": {"type": "string"}},
        "points": {"type": "array", "items": {"$ref": "#/$defs/point"}},
        "origin": {"$ref": "#/$defs/point"},
        "mode": {"enum": ["fast", "slow"], "default": "slow"},
        "loud": {"type": "boolean"},
        "note": {"anyOf": [{"type": "string"}, {"type": "null"}], "default": None},
    },
    "required": ["title", "origin"],
}
BUILD_FORM = """async (schema) => {
    const { schemaFields } = await import("/static/schema-form.js");
    const fields = schemaFields(schema, "t");
    document.getElementById("detail-body").replaceChildren(fields.element);
    window.readForm = fields.read;
}"""


def test_the_form_builder_handles_arrays_objects_and_refs(deployment: LiveApp, page: Page) -> None:
    page.goto(f"{deployment.base_url}/playground")
    page.evaluate(BUILD_FORM, FORM_SCHEMA)
    page.get_by_role("textbox", name="title").fill("Trip")
    assert page.get_by_role("textbox", name="title").get_attribute("aria-describedby") == "t-title-hint"
    add_tag = page.get_by_role("button", name="Add item to tags")
    add_tag.click()
    page.keyboard.type("first")  # the new item has the focus
    add_tag.click()
    page.locator("#t-tags-2").fill("second")
    page.get_by_role("button", name="Remove item 1 of tags").click()
    assert page.evaluate("document.activeElement.textContent") == "Add item"
    page.get_by_role("button", name="Add item to points").click()
    page.locator("#t-points-1-x").fill("3")
    page.locator("#t-origin-x").fill("5")
    page.get_by_role("checkbox", name="loud").check()
    expected = {
        "title": "Trip",
        "tags": ["second"],
        "points": [{"x": 3, "y": 0}],
        "origin": {"x": 5, "y": 0},
        "mode": "slow",
        "loud": True,
    }
    assert page.evaluate("window.readForm()") == expected
    assert page.locator("#t-note").input_value() == ""  # a null default shows as empty


def test_images_audio_and_embedded_resources_are_shown(deployment: LiveApp, page: Page) -> None:
    open_item(page, deployment, "test_multiple_content_types")
    run(page)
    image = page.get_by_role("img", name="Image returned by the server (image/png)")
    assert image.evaluate("img => img.complete && img.naturalWidth") == 1
    assert page.locator("#outcome .resource code").get_by_text("test://mixed-content-resource").is_visible()
    open_item(page, deployment, "test_audio_content")
    run(page)
    page.wait_for_function("() => document.querySelector('#outcome audio').readyState > 0")  # CSP lets it load


def test_errors_are_shown(deployment: LiveApp, page: Page) -> None:
    open_item(page, deployment, "test_error_handling")
    run(page)
    error = page.locator("#outcome .error-box")
    assert error.get_by_text("This tool intentionally returns an error for testing", exact=True).is_visible()
    open_item(page, deployment, "test_missing_capability")  # the page declares no sampling
    run(page)
    assert "HTTP 400, JSON-RPC error -32021" in page.locator("#outcome .error-box").inner_text()


def test_a_403_from_mcp_is_shown(deployment: LiveApp, page: Page) -> None:
    open_item(page, deployment, "whoami")
    refusal = {"jsonrpc": "2.0", "id": 1, "error": {"code": -32600, "message": "Insufficient scope: this needs mcp x"}}
    page.route("**/mcp", lambda route: route.fulfill(status=403, json=refusal))
    run(page)
    box = page.locator("#outcome .error-box")
    assert box.get_by_text("Insufficient scope: this needs mcp x").is_visible()
    assert "HTTP 403" in box.inner_text()


def snippets(page: Page) -> dict[str, str]:
    """Each snippet's text by its element id (guide-slug-n)."""
    return {code.get_attribute("id"): code.inner_text() for code in page.locator("pre code").all()}


def test_connect_snippets_name_this_server(deployment: LiveApp, page: Page) -> None:
    page.goto(f"{deployment.base_url}/connect")
    assert page.get_by_label("MCP server URL").input_value() == deployment.mcp_url
    found = snippets(page)
    assert deployment.mcp_url in page.locator("#inspector").inner_text()
    assert all(deployment.mcp_url in text for key, text in found.items() if not key.startswith("inspector-1"))
    desktop = json.loads(found["claude-desktop-1"])["mcpServers"]["flask-mcp-server"]
    assert desktop == {"command": "npx", "args": ["-y", "mcp-remote", deployment.mcp_url]}
    assert json.loads(found["cursor-1"]) == {"mcpServers": {"flask-mcp-server": {"url": deployment.mcp_url}}}
    vscode = {"servers": {"flask-mcp-server": {"type": "http", "url": deployment.mcp_url}}}
    assert json.loads(found["vscode-1"]) == vscode
    page.get_by_role("tab", name="Python SDK").click()
    page.get_by_role("button", name="Copy client.py for Python SDK").click()
    page.locator("#python-1-copied").get_by_text("Copied").wait_for()
    assert page.evaluate("navigator.clipboard.readText()") == found["python-1"]


def test_connect_shows_one_client_at_a_time_and_remembers_it(deployment: LiveApp, page: Page) -> None:
    """One tab per client; the arrow keys move between them; the choice survives a reload; code is coloured and
    copies as plain text."""
    page.goto(f"{deployment.base_url}/connect")
    tabs = page.get_by_role("tablist", name="Your client")
    assert page.locator(".guide:visible").count() == 1
    tabs.get_by_role("tab", name="Cursor").click()
    assert page.get_by_role("tabpanel", name="Cursor").is_visible()
    assert page.locator(".guide:visible").count() == 1
    page.keyboard.press("ArrowRight")
    assert page.evaluate("document.activeElement.textContent") == "VS Code"
    assert page.get_by_role("tabpanel", name="VS Code").is_visible()
    page.reload()
    assert tabs.get_by_role("tab", name="VS Code").get_attribute("aria-selected") == "true"
    assert page.locator("#vscode-1 .tok-key").first.inner_text() == '"servers"'
    page.goto(f"{deployment.base_url}/connect#curl")
    curl = page.get_by_role("tabpanel", name="curl")
    assert curl.is_visible() and curl.locator(".tok-keyword").first.inner_text() == "curl"
    assert page.evaluate("document.documentElement.scrollHeight") < 2000
    curl.get_by_role("button", name="Copy List the tools for curl").click()
    curl.get_by_text("Copied").wait_for()
    assert page.evaluate("navigator.clipboard.readText()") == page.locator("#curl-1").text_content()


def run_snippet(command: list[str], deployment: LiveApp, cwd: str | None = None) -> str:
    environ = {**os.environ, "TOKEN": deployment.static_token}
    done = subprocess.run(command, env=environ, cwd=cwd, capture_output=True, text=True, timeout=RUN_TIMEOUT)
    assert done.returncode == 0, done.stderr
    return done.stdout


def test_connect_snippets_work(deployment: LiveApp, page: Page, tmp_path) -> None:
    page.goto(f"{deployment.base_url}/connect")
    found = snippets(page)
    python = run_snippet([sys.executable, "-c", found["python-1"]], deployment)
    assert "'convert_temperature'" in python
    if shutil.which("curl"):
        listed = json.loads(run_snippet(["bash", "-c", found["curl-1"]], deployment))
        assert "convert_temperature" in [tool["name"] for tool in listed["result"]["tools"]]
        called = json.loads(run_snippet(["bash", "-c", found["curl-2"]], deployment))
        assert called["result"]["isError"] is False and "static token" in json.dumps(called["result"])
    services.require(services.have_node() and TS_SDK.exists(), "the TypeScript SDK in tests/support/inspector")
    (tmp_path / "client.mjs").write_text(found["typescript-1"])
    (tmp_path / "node_modules").symlink_to(TS_SDK)
    assert "'convert_temperature'" in run_snippet(["node", "client.mjs"], deployment, cwd=str(tmp_path))


def test_the_inspector_command_works(deployment: LiveApp, page: Page, tmp_path) -> None:
    """The connect page's Inspector CLI command, run as copied. `npx` is a shim on PATH that runs the pinned
    @modelcontextprotocol/inspector-cli (what the inspector package hands --cli to) instead of downloading it."""
    services.require(services.have_node(), "Node.js and npm (for MCP Inspector's CLI)")
    page.goto(f"{deployment.base_url}/connect")
    command = snippets(page)["inspector-cli-1"]
    assert command.startswith("npx @modelcontextprotocol/inspector --cli "), command
    ensure_installed(INSPECTOR_DIR)
    cli = INSPECTOR_CWD / "cli.js"
    shim = tmp_path / "npx"
    shim.write_text(f'#!/bin/sh\nshift\ncd {shlex.quote(str(INSPECTOR_CWD))} && exec {node22()} {cli} "$@"\n')
    shim.chmod(0o755)
    listed = json.loads(run_snippet(["bash", "-c", f"PATH={tmp_path}:$PATH\n{command}"], deployment))
    assert "convert_temperature" in [tool["name"] for tool in listed["tools"]]


def axe(page: Page, name: str, report: dict[str, Counter]) -> None:
    """Run axe-core on the page as it is; note the findings by impact."""
    page.add_script_tag(path=AXE)
    violations = page.evaluate("async () => (await axe.run()).violations")
    report[name] = Counter(violation["impact"] for violation in violations)
    for violation in violations:
        print(f"axe {name}: {violation['impact']} {violation['id']}: {violation['help']}")
    for violation in violations:
        if violation["impact"] in ("serious", "critical"):
            targets = [node["target"] for node in violation["nodes"]][:3]
            report.setdefault("failures", Counter())[f"{name}: {violation['id']} {targets}"] += 1


def open_consent(page: Page, deployment: LiveApp) -> str:
    """Register a public client and open its authorization request; return its redirect URI."""
    redirect_uri = f"http://127.0.0.1:{services.free_port()}/callback"
    client = PublicClient.register(deployment.base_url, redirect_uri, "Axe Client", resource=deployment.mcp_url)
    page.route(f"{redirect_uri}**", lambda route: route.fulfill(content_type="text/html", body="<p>ok"))
    page.goto(client.authorization_url(deployment.base_url, Pkce(verifier="v" * 43, state="s")))
    page.get_by_role("heading", name="Allow Axe Client to use this server?").wait_for()
    return redirect_uri


def test_no_serious_accessibility_findings(browser: Browser, deployment: LiveApp) -> None:
    """axe-core on every page, in the states people see: serious and critical findings fail."""
    services.require(AXE.exists(), f"axe-core at {AXE} (make test installs it)")
    context = browser.new_context(bypass_csp=True)  # axe is injected as an inline script
    page, report = context.new_page(), {}
    page.goto(f"{deployment.base_url}/auth/dev")
    axe(page, "sign-in", report)
    sign_in(page, deployment.base_url)
    page.goto(f"{deployment.base_url}/")
    axe(page, "home", report)
    open_item(page, deployment, "convert_temperature")
    page.get_by_label("Value").fill("20")
    page.get_by_label("From Unit").select_option("celsius")
    run(page)
    history_entry(page, 1)  # the history entry open: request, response, Copy as curl
    axe(page, "playground", report)
    open_item(page, deployment, "test_input_required_result_elicitation")
    page.get_by_role("button", name="Call tool").click()
    page.get_by_role("dialog").wait_for()
    axe(page, "playground-dialog", report)
    page.goto(f"{deployment.base_url}/connect#python")
    axe(page, "connect", report)
    page.goto(f"{deployment.base_url}/account/tokens")
    page.get_by_label("Name").fill("axe")
    page.get_by_role("button", name="Create token").click()
    axe(page, "tokens", report)
    redirect_uri = open_consent(page, deployment)
    axe(page, "consent", report)
    page.get_by_label("Remember my choice for this application").check()  # so connected apps lists it
    page.get_by_role("button", name="Allow", exact=True).click()
    page.wait_for_url(f"{redirect_uri}?**")
    page.goto(f"{deployment.base_url}/account/apps")
    axe(page, "connected-apps", report)
    page.goto(f"{deployment.base_url}/account/activity")
    page.get_by_role("cell", name="convert_temperature").first.wait_for()  # the calls made above, from the log
    axe(page, "activity", report)
    page.goto(f"{deployment.base_url}/admin/")
    page.locator("svg.chart").first.wait_for()  # the same calls, drawn per tool
    axe(page, "operator", report)
    page.emulate_media(color_scheme="dark")  # the same pages as a system in dark mode shows them
    dark = (("home", "/"), ("connect", "/connect"), ("tokens", "/account/tokens"), ("apps", "/account/apps"))
    dark += (("activity", "/account/activity"), ("operator", "/admin/"))
    for name, path in dark:
        page.goto(f"{deployment.base_url}{path}")
        axe(page, f"{name}-dark", report)
    open_item(page, deployment, "convert_temperature")
    page.get_by_label("Value").fill("-500")
    page.get_by_label("From Unit").select_option("celsius")
    run(page)  # an error, in the error box's colours
    history_entry(page, 1)
    open_item(page, deployment, "check_items")
    page.get_by_role("button", name="Add item to items").click()
    page.keyboard.type("milk")
    run(page)  # a log message in the log pane
    axe(page, "playground-dark", report)
    context.close()
    failures = report.pop("failures", Counter())
    for name, counts in report.items():
        print(f"axe {name}: " + ", ".join(f"{counts[i]} {i}" for i in ("critical", "serious", "moderate", "minor")))
    assert not failures, list(failures)
