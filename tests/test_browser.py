"""The explorer in a real browser: JupyterLab on a free localhost port, notebooks/00_explore
opened in headless Chromium (Debian's package, driven by Playwright without a browser
download), a search, a click on a matrix cell and an override round trip. Screenshots go to
build/. `make test` installs Chromium when it is missing and requires this test to run."""

from __future__ import annotations

import contextlib
import os
import re
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.request

import pytest

from conftest import ROOT, SEEDS

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
BUILD = ROOT / "build"

pytestmark = pytest.mark.browser


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture
def lab(tmp_path):
    """JupyterLab serving a copy of the explore notebook, on a copy of the example project."""
    try:
        import playwright  # noqa: F401
    except ImportError:
        playwright = None
    if CHROMIUM is None or playwright is None:
        if os.environ.get("BROWSER_TESTS") == "required":
            pytest.fail("chromium or playwright is missing: `make test` installs them")
        pytest.skip("chromium or playwright is missing (`make test` installs them)")
    project = tmp_path / "project"
    shutil.copytree(SEEDS, project)
    (tmp_path / "lab").mkdir()
    shutil.copy(ROOT / "notebooks" / "00_explore.ipynb", tmp_path / "lab")
    settings = tmp_path / "jupyter" / "lab" / "user-settings" / "@jupyterlab" / "apputils-extension"
    settings.mkdir(parents=True)
    (settings / "notification.jupyterlab-settings").write_text('{"fetchNews": "false"}')
    port, token = _free_port(), secrets.token_hex(16)
    env = dict(os.environ, ANALYSIS_PROJECT=str(project), ANALYSIS_CACHE=str(tmp_path / "cache"),
               JUPYTER_CONFIG_DIR=str(tmp_path / "jupyter"), JUPYTER_RUNTIME_DIR=str(tmp_path / "rt"))
    server = subprocess.Popen(
        [sys.executable, "-m", "jupyterlab", "--no-browser", f"--port={port}", "--ip=127.0.0.1",
         f"--IdentityProvider.token={token}", f"--ServerApp.root_dir={tmp_path / 'lab'}",
         "--ServerApp.open_browser=False", "--allow-root"],
        env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
    base = f"http://127.0.0.1:{port}"
    try:
        for _ in range(120):
            try:
                urllib.request.urlopen(f"{base}/api/status?token={token}", timeout=1)
                break
            except OSError:
                time.sleep(0.5)
        else:
            pytest.fail("JupyterLab did not start in 60 s")
        yield {"url": f"{base}/lab/tree/00_explore.ipynb?token={token}", "project": project}
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        try:
            server.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(server.pid, signal.SIGKILL)


def _timing(page, step: str) -> int:
    """The latency the explorer reported for its last `step`, in ms."""
    span = page.locator(f".explore-status .explore-timing[data-step='{step}']")
    span.wait_for(timeout=30_000)
    return int(span.get_attribute("data-ms"))


def test_search_click_through_and_override_in_jupyterlab(lab):
    from playwright.sync_api import expect, sync_playwright

    BUILD.mkdir(exist_ok=True)
    overrides = lab["project"] / "overrides.yaml"
    before = overrides.read_text(encoding="utf-8")
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM,
                                    args=["--no-sandbox", "--disable-gpu"])
        page = browser.new_page(viewport={"width": 1500, "height": 1100})
        page.goto(lab["url"])
        page.locator(".jp-Notebook").first.wait_for(timeout=90_000)
        expect(page.locator(".jp-StatusBar-TextItem", has_text="Idle").first).to_be_visible(
            timeout=90_000)  # the kernel is ready
        search = page.locator(".explore-search input")
        for attempt in range(3):  # a keypress sent while the kernel connects can be lost
            page.locator(".jp-Notebook .jp-CodeCell .jp-InputArea-editor").first.click()
            page.keyboard.press("Shift+Enter")  # runs the explorer's cell
            try:
                search.wait_for(timeout=45_000)
                break
            except Exception:
                page.screenshot(path=str(BUILD / f"explore_start_{attempt}.png"))
        search.wait_for(timeout=5_000)

        search.fill("OpenAI")
        search.press("Enter")
        results = page.locator(".explore-results")
        expect(results).to_contain_text("OpenAI", timeout=30_000)
        search_ms = _timing(page, "search")
        # the filters narrow every view: in the ASR podcast, the misrecognised spelling
        page.locator(".explore-filter-events select").select_option(label="Monica 播客（ASR）")
        expect(results).to_contain_text("open eye", timeout=30_000)
        filter_ms = _timing(page, "filters")
        page.locator(".explore-filter-events select").select_option([])
        page.screenshot(path=str(BUILD / "explore_search.png"), full_page=True)

        cell = page.locator(".explore-cell:not([disabled])").first
        cell.scroll_into_view_if_needed()
        cell.click()
        quotes = page.locator(".explore-cell-units .explore-quote")
        expect(quotes.first).to_be_visible(timeout=30_000)
        assert quotes.first.locator("mark").count() >= 1  # the matched words are marked
        cell_ms = _timing(page, "cell")
        quotes.first.scroll_into_view_if_needed()
        page.screenshot(path=str(BUILD / "explore_cell.png"), full_page=True)

        page.locator(".explore-unit").first.click()
        expect(page.locator(".explore-unit-view")).to_contain_text("话题", timeout=30_000)
        unit_ms = _timing(page, "unit")
        view = page.locator(".explore-unit-view").inner_text()
        choice = page.locator(".explore-override-topic-choice select")
        missing = next(label for label in choice.locator("option").all_inner_texts()
                       if label not in view)  # a topic the unit is not coded with
        choice.select_option(label=missing)
        page.locator(".explore-override-topic").click()
        expect(page.locator(".explore-status")).to_contain_text("overrides.yaml", timeout=60_000)
        override_ms = _timing(page, "override")
        expect(page.locator(".explore-unit-view")).to_contain_text(missing)
        expect(page.locator(".explore-unit-view")).to_contain_text("override")
        page.screenshot(path=str(BUILD / "explore_override.png"), full_page=True)
        browser.close()
    after = overrides.read_text(encoding="utf-8")
    assert after.startswith(before.rstrip("\n")) and len(after) > len(before)
    assert re.search(r'"topic": "[a-z_]+", "remove": false', after[len(before) - 1:])
    (BUILD / "explore_latency.txt").write_text(
        f"search {search_ms} ms, filters {filter_ms} ms, cell {cell_ms} ms, unit {unit_ms} ms, "
        f"override {override_ms} ms "
        "(example project, in the kernel)\n", encoding="utf-8")


@contextlib.contextmanager
def widget_notebook(lab, name: str, code: str, progress_css: str):
    """A notebook of one cell (`code`) in the lab's folder, opened in Chromium and run until
    the widget's progress line (`progress_css`) shows; yields (page, progress)."""
    import nbformat
    from playwright.sync_api import expect, sync_playwright

    notebook = nbformat.v4.new_notebook()
    notebook.cells = [nbformat.v4.new_code_cell(code)]
    notebook.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3",
                                       "language": "python"}
    nbformat.write(notebook, str(lab["project"].parent / "lab" / f"{name}.ipynb"))
    BUILD.mkdir(exist_ok=True)
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM,
                                    args=["--no-sandbox", "--disable-gpu"])
        page = browser.new_page(viewport={"width": 1500, "height": 1100})
        page.goto(lab["url"].replace("00_explore.ipynb", f"{name}.ipynb"))
        page.locator(".jp-Notebook").first.wait_for(timeout=90_000)
        expect(page.locator(".jp-StatusBar-TextItem", has_text="Idle").first).to_be_visible(
            timeout=90_000)
        progress = page.locator(progress_css)
        for attempt in range(3):  # a keypress sent while the kernel connects can be lost
            page.locator(".jp-Notebook .jp-CodeCell .jp-InputArea-editor").first.click()
            page.keyboard.press("Shift+Enter")
            try:
                progress.wait_for(timeout=45_000)
                break
            except Exception:
                page.screenshot(path=str(BUILD / f"{name}_start_{attempt}.png"))
        try:
            yield page, progress
        finally:
            browser.close()


def test_labelling_view_in_jupyterlab(lab):
    """Drawn units labelled in the browser: tick a topic, choose a stance, save; skip; undo;
    the answers land in evaluation/labels.yaml with the labeller's name."""
    import yaml
    from playwright.sync_api import expect

    from analysis.cli import main

    project = lab["project"]
    assert main(["--project", str(project), "validate", "draw", "4"]) == 0
    with widget_notebook(lab, "label", "from analysis.explorer import label_units\n"
                         "label_units(labeller=\"browser\")", ".label-progress") as (page, progress):
        expect(progress).to_contain_text("0 / 4", timeout=30_000)
        first = page.locator(".label-unit [data-unit]").get_attribute("data-unit")
        page.locator(".label-topic-models input").check()
        page.locator(".label-stance-open_source button", has_text="+1").click()
        page.locator(".label-save").click()
        expect(progress).to_contain_text("1 / 4", timeout=30_000)
        page.locator(".label-skip").click()
        expect(progress).to_contain_text("已跳过", timeout=30_000)
        page.locator(".label-undo").click()
        expect(progress).to_contain_text("已撤销", timeout=30_000)
        second = page.locator(".label-unit [data-unit]").get_attribute("data-unit")
        page.locator(".label-unit").hover()  # keyboard shortcuts: "2" ticks 模型与技术, Enter saves
        page.keyboard.press("2")
        expect(page.locator(".label-topic-models input")).to_be_checked(timeout=30_000)
        page.keyboard.press("Enter")
        expect(progress).to_contain_text("2 / 4", timeout=30_000)
        page.screenshot(path=str(BUILD / "label_view.png"), full_page=True)
    labels = yaml.safe_load((project / "evaluation" / "labels.yaml").read_text(encoding="utf-8"))
    assert [(i["unit_id"], i["labeller"], i["topics"], i["stances"]) for i in labels["items"]] == [
        (first, "browser", ["models"], {"open_source": 1}), (second, "browser", ["models"], {})]


def test_review_queue_in_jupyterlab(lab):
    """Suggested stances answered in the browser: confirm by button, reject by key, skip and
    undo; the answers land in overrides.yaml with the reviewer's name."""
    import yaml
    from playwright.sync_api import expect

    project = lab["project"]
    with widget_notebook(lab, "review", "from analysis import review_stances\n"
                         "review_stances(reviewer=\"browser\")", ".review-progress") as (page, progress):
        expect(progress).to_contain_text("0 answered", timeout=30_000)
        unit = page.locator(".review-unit [data-unit]")
        first = (unit.get_attribute("data-unit"), unit.get_attribute("data-target"))
        page.locator(".review-confirm").click()
        expect(progress).to_contain_text("1 answered", timeout=30_000)
        second = (unit.get_attribute("data-unit"), unit.get_attribute("data-target"))
        page.locator(".review-unit").hover()  # keyboard: x rejects
        page.keyboard.press("x")
        expect(progress).to_contain_text("2 answered", timeout=30_000)
        page.locator(".review-skip").click()
        expect(progress).to_contain_text("已跳过", timeout=30_000)
        page.locator(".review-undo").click()
        expect(progress).to_contain_text("已撤销", timeout=30_000)
        page.screenshot(path=str(BUILD / "review_view.png"), full_page=True)
    entries = [e for e in yaml.safe_load((project / "overrides.yaml").read_text(encoding="utf-8"))
               ["overrides"] if e.get("by") == "browser"]
    assert [(e["target"], e["note"]) for e in entries] == [(first[1], "review: confirm"),
                                                           (second[1], "review: reject")]
    assert entries[1]["stance"] is None and entries[0]["stance"] in (-1, 0, 1)
