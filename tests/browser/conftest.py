"""The real-browser suite: JupyterLab on 127.0.0.1, driven in headless Chromium by Playwright.

Chromium is Debian's (`apt-get install -y chromium`, which `tools/setup-machine.sh` does): Playwright's own
browsers cannot be downloaded here. Screenshots go to tests/browser/artifacts/ (gitignored) for a human to look at.
"""

from __future__ import annotations

import json
import os
import secrets
import shutil
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from lab_page import ARTIFACTS

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync"]
REPO_ROOT = Path(__file__).resolve().parents[2]
# where Jupyter finds the checkout's Voila template, explorer (Voila's lab template without its CDN assets)
JUPYTER_DATA = REPO_ROOT / "share" / "jupyter"
SERVER_START_SECONDS = 90
# No news or update toasts over the notebook in the screenshots (and no network calls for them).
LAB_SETTINGS = {"@jupyterlab/apputils-extension/notification.jupyterlab-settings":
                {"fetchNews": "false", "checkForUpdates": False}}


@dataclass(frozen=True)
class LabServer:
    url: str  # http://127.0.0.1:<port>
    token: str
    root: Path  # the server's root folder: a temporary copy of the notebooks


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def wait_until_serving(server: LabServer, process: subprocess.Popen, log: Path) -> None:
    deadline = time.monotonic() + SERVER_START_SECONDS
    while time.monotonic() < deadline:
        if process.poll() is not None:
            pytest.fail(f"JupyterLab exited with code {process.returncode}:\n{log.read_text()[-3000:]}")
        try:
            with urllib.request.urlopen(f"{server.url}/api/status?token={server.token}", timeout=5) as response:
                if response.status == 200:
                    return
        except (urllib.error.URLError, ConnectionError, TimeoutError):
            time.sleep(0.5)
    pytest.fail(f"JupyterLab did not answer within {SERVER_START_SECONDS} s:\n{log.read_text()[-3000:]}")


def write_lab_settings(folder: Path) -> None:
    for relative, settings in LAB_SETTINGS.items():
        path = folder / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(settings), encoding="utf-8")


@pytest.fixture(scope="session")
def lab_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LabServer]:
    """JupyterLab on a free port of 127.0.0.1 with token auth, serving a temporary copy of notebooks/, offline,
    with an empty Hugging Face cache and its own Jupyter config, settings and workspaces; Voila renders with the
    checkout's explorer template."""
    base = tmp_path_factory.mktemp("lab")
    root = base / "notebooks"
    shutil.copytree(REPO_ROOT / "notebooks", root)
    settings = base / "settings"
    write_lab_settings(settings)
    server = LabServer(url=f"http://127.0.0.1:{free_port()}", token=secrets.token_hex(16), root=root)
    env = {**os.environ, "HF_HUB_OFFLINE": "1", "HF_HUB_CACHE": str(base / "hf-cache"),
           "JUPYTER_CONFIG_DIR": str(base / "jupyter-config"), "IPYTHONDIR": str(base / "ipython"),
           "JUPYTER_RUNTIME_DIR": str(base / "runtime"), "TOKENIZERS_PARALLELISM": "false",
           "OMP_NUM_THREADS": "1", "JUPYTER_PATH": str(JUPYTER_DATA)}
    log = base / "jupyterlab.log"
    command = [sys.executable, "-m", "jupyter", "lab", "--no-browser", "--ServerApp.ip=127.0.0.1",
               f"--ServerApp.port={server.url.rsplit(':', 1)[1]}", "--ServerApp.port_retries=0",
               f"--IdentityProvider.token={server.token}", f"--ServerApp.root_dir={root}",
               f"--LabServerApp.user_settings_dir={settings}", f"--LabServerApp.workspaces_dir={base / 'workspaces'}",
               "--LabApp.expose_app_in_browser=True", "--JupyterNotebookApp.expose_app_in_browser=True",
               "--LabApp.news_url=",
               "--LabApp.check_for_updates_class=jupyterlab.NeverCheckForUpdate", "--LabApp.extension_manager=readonly",
               "--ServerApp.terminals_enabled=False", "--ServerApp.allow_root=True",
               "--VoilaConfiguration.template=explorer"]
    with log.open("w") as log_file:
        process = subprocess.Popen(command, cwd=root, env=env, stdout=log_file, stderr=subprocess.STDOUT)
    try:
        wait_until_serving(server, process, log)
        yield server
    finally:
        process.terminate()
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        ARTIFACTS.mkdir(exist_ok=True)
        shutil.copy(log, ARTIFACTS / "jupyterlab.log")


@pytest.fixture(scope="session")
def browser() -> Iterator[object]:
    """Headless Debian Chromium under Playwright."""
    if not CHROMIUM.is_file():
        pytest.fail(f"{CHROMIUM} is missing: the browser tests need Debian's Chromium. Run "
                    "`bash tools/setup-machine.sh` (the README's second set-up command).")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


@pytest.fixture
def page(browser, request: pytest.FixtureRequest) -> Iterator[object]:
    """A fresh 1400x1600 page; on failure its screenshot is kept as artifacts/<test>-failed.png."""
    context = browser.new_context(viewport={"width": 1400, "height": 1600})  # tall enough for a whole panel
    page = context.new_page()
    page.set_default_timeout(60_000)
    ARTIFACTS.mkdir(exist_ok=True)
    yield page
    if getattr(request.node, "failed", False):
        page.screenshot(path=str(ARTIFACTS / f"{request.node.name}-failed.png"), full_page=True)
    context.close()


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo):
    report = yield
    if report.when == "call" and report.failed:
        item.failed = True
    return report
