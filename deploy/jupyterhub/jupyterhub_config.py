"""JupyterHub on one VM for an explorer workshop (The Littlest JupyterHub style: systemd, one system account per
learner, SystemdSpawner).

    sudo jupyterhub -f deploy/jupyterhub/jupyterhub_config.py

Needs, on the VM: ``pip install jupyterhub jupyterhub-systemdspawner`` and this repository's set-up (README), ``npm
install -g configurable-http-proxy``, and the checkpoints in a shared Hugging Face cache (``python -m explorer
prefetch --notebooks``, or ``unpack`` a pack) made read-only for learners (``chmod -R a+rX,a-w``). Settings, from
the environment when the hub starts:

- ``EXPLORER_HF_CACHE``: the shared cache (default ``/srv/hf-cache``); every kernel gets it as ``HF_HUB_CACHE``,
  with ``HF_HUB_OFFLINE=1``, so nothing is downloaded in the room and nothing is written to the cache;
- ``EXPLORER_NOTEBOOKS``: the notebooks copied to each learner's home at each spawn (default: this repository's
  ``notebooks/``); a file the learner already has is kept, so their edits survive a restart;
- ``EXPLORER_MEM_LIMIT``: each learner's memory limit (default ``2G``, a Binder session's). SystemdSpawner
  enforces it: it runs each server as a transient systemd unit with ``MemoryMax`` (the kernel's cgroup memory
  controller kills what goes over). JupyterHub's own LocalProcessSpawner does not enforce it (it only passes
  ``MEM_LIMIT`` to the server); ``bench/workshop.py`` uses that spawner, so its learners have no limit.

Learners log in with a shared workshop password (``EXPLORER_WORKSHOP_PASSWORD``; put TLS in front, or use your
institution's authenticator instead). Their system accounts are ``jupyter-<name>``, created on first spawn.
"""

import os
import pwd
import shutil
import subprocess
from pathlib import Path

SHARED_CACHE = os.environ.get("EXPLORER_HF_CACHE", "/srv/hf-cache")
NOTEBOOKS = Path(os.environ.get("EXPLORER_NOTEBOOKS", Path(__file__).resolve().parents[2] / "notebooks"))
LEARNER_NOTEBOOKS = "explorer-notebooks"  # the folder in each learner's home


def learner_home(spawner) -> Path:
    """The learner's home: the spawner's own when it has one (SimpleLocalProcessSpawner, used by
    bench/workshop.py), else the system account's, created the first time (as TLJH does)."""
    if getattr(spawner, "home_dir", None):
        return Path(spawner.home_dir)
    account = f"jupyter-{spawner.user.name}"
    try:
        return Path(pwd.getpwnam(account).pw_dir)
    except KeyError:
        subprocess.run(["useradd", "--create-home", account], check=True)
        return Path(pwd.getpwnam(account).pw_dir)


def copy_notebooks(spawner) -> None:
    """pre_spawn_hook: the workshop notebooks (every series: notebooks/, notebooks/ko/, ...) into the learner's
    home; files the learner has are kept."""
    home = learner_home(spawner)
    target = home / LEARNER_NOTEBOOKS
    target.mkdir(parents=True, exist_ok=True)  # SimpleLocalProcessSpawner makes the home only when it starts
    owner = home.stat()
    for notebook in sorted(NOTEBOOKS.rglob("*.ipynb")):
        copy = target / notebook.relative_to(NOTEBOOKS)
        copy.parent.mkdir(parents=True, exist_ok=True)
        if not copy.exists():
            shutil.copyfile(notebook, copy)
    if os.geteuid() == 0:  # the hub runs as root on a VM: the learner owns their copies
        for path in [target, *target.rglob("*")]:
            os.chown(path, owner.st_uid, owner.st_gid)


c = get_config()  # noqa: F821 - provided by JupyterHub when it reads this file

c.JupyterHub.authenticator_class = "shared-password"
c.SharedPasswordAuthenticator.user_password = os.environ.get("EXPLORER_WORKSHOP_PASSWORD", "")
c.JupyterHub.spawner_class = "systemdspawner"
c.SystemdSpawner.username_template = "jupyter-{USERNAME}"
c.SystemdSpawner.unit_name_template = "jupyter-{USERNAME}-singleuser"
c.SystemdSpawner.default_shell = "/bin/bash"
c.SystemdSpawner.readonly_paths = [SHARED_CACHE]  # read-only for the learners whatever its permissions say
c.Spawner.mem_limit = os.environ.get("EXPLORER_MEM_LIMIT", "2G")
c.Spawner.environment = {
    "HF_HUB_CACHE": SHARED_CACHE,
    "HF_HUB_OFFLINE": "1",
    "TOKENIZERS_PARALLELISM": "false",  # no tokenizer thread pool per kernel on a shared machine
}
c.Spawner.pre_spawn_hook = copy_notebooks
c.Spawner.notebook_dir = "~"
c.Spawner.default_url = f"/lab/tree/{LEARNER_NOTEBOOKS}/00-explorer.ipynb"
c.Spawner.http_timeout = 120  # 30-100 kernels starting together on a few cores take longer than the default 30 s
c.Spawner.start_timeout = 300
c.JupyterHub.shutdown_on_logout = True  # memory goes back as learners leave
