"""deploy/jupyterhub/: the VM configuration read as JupyterHub reads it (traitlets' config loader), its
pre_spawn_hook run on a stand-in spawner, and the zero-to-jupyterhub values read as Helm's YAML. Neither can be
deployed here (no systemd for the learners' units, no Kubernetes, no Docker engine); bench/workshop.py runs a
real hub on this configuration with local processes instead."""

from __future__ import annotations

import json
from pathlib import Path
from types import SimpleNamespace

import pytest
import yaml
from traitlets.config.loader import PyFileConfigLoader

REPO_ROOT = Path(__file__).resolve().parent.parent
DEPLOY = REPO_ROOT / "deploy" / "jupyterhub"
NOTEBOOKS = sorted(str(p.relative_to(REPO_ROOT / "notebooks")) for p in (REPO_ROOT / "notebooks").rglob("*.ipynb"))
# the keys of zero-to-jupyterhub's values.schema.yaml that values.yaml may use at these levels
Z2JH_TOP = {"hub", "proxy", "singleuser", "scheduling", "prePuller", "ingress", "cull", "debug", "global",
            "imagePullSecret", "imagePullSecrets", "rbac", "fullnameOverride", "nameOverride", "custom"}
Z2JH_SINGLEUSER = {"image", "memory", "cpu", "extraEnv", "storage", "lifecycleHooks", "defaultUrl", "cmd",
                   "profileList", "nodeSelector", "extraResource", "initContainers", "networkPolicy", "uid", "fsGid",
                   "serviceAccountName", "startTimeout", "extraContainers", "extraLabels", "extraAnnotations"}
Z2JH_STORAGE = {"type", "capacity", "homeMountPath", "extraVolumes", "extraVolumeMounts", "dynamic", "static",
                "extraLabels"}


def load_config(monkeypatch, cache: str) -> tuple:
    monkeypatch.setenv("EXPLORER_HF_CACHE", cache)
    loader = PyFileConfigLoader("jupyterhub_config.py", path=str(DEPLOY))
    return loader.load_config()


def test_the_vm_configuration_gives_every_kernel_the_shared_cache_offline_and_a_memory_limit(monkeypatch):
    config = load_config(monkeypatch, "/srv/workshop-cache")
    assert config.Spawner.environment["HF_HUB_CACHE"] == "/srv/workshop-cache"
    assert config.Spawner.environment["HF_HUB_OFFLINE"] == "1"
    assert config.Spawner.mem_limit == "2G"
    # the spawner that enforces mem_limit (systemd's MemoryMax) and makes the cache read-only for learners
    assert config.JupyterHub.spawner_class == "systemdspawner"
    assert config.SystemdSpawner.readonly_paths == ["/srv/workshop-cache"]
    assert config.Spawner.default_url == "/lab/tree/explorer-notebooks/00-explorer.ipynb"


def test_the_pre_spawn_hook_copies_the_notebooks_and_keeps_a_learners_edits(monkeypatch, tmp_path):
    hook = load_config(monkeypatch, str(tmp_path / "cache")).Spawner.pre_spawn_hook
    home = tmp_path / "ada"  # not made yet: SimpleLocalProcessSpawner makes it when the server starts
    spawner = SimpleNamespace(home_dir=str(home), user=SimpleNamespace(name="ada"))
    hook(spawner)
    copies = home / "explorer-notebooks"
    assert sorted(str(p.relative_to(copies)) for p in copies.rglob("*.ipynb")) == NOTEBOOKS
    assert (copies / "00-explorer.ipynb").read_bytes() == (REPO_ROOT / "notebooks" / "00-explorer.ipynb").read_bytes()
    (copies / "00-explorer.ipynb").write_text("the learner's edits")
    (copies / "01-autotokenizer.ipynb").unlink()
    hook(spawner)  # the next spawn
    assert (copies / "00-explorer.ipynb").read_text() == "the learner's edits"
    assert json.loads((copies / "01-autotokenizer.ipynb").read_text())["cells"]


@pytest.fixture(scope="module")
def values() -> dict:
    return yaml.safe_load((DEPLOY / "values.yaml").read_text())


def test_the_helm_values_use_only_keys_zero_to_jupyterhub_knows(values):
    assert set(values) <= Z2JH_TOP
    assert set(values["singleuser"]) <= Z2JH_SINGLEUSER
    assert set(values["singleuser"]["storage"]) <= Z2JH_STORAGE
    assert set(values["singleuser"]["image"]) == {"name", "tag"}
    assert values["singleuser"]["memory"]["limit"] == "2G"


def test_the_helm_values_mount_the_cache_read_only_where_hf_hub_cache_points(values):
    single = values["singleuser"]
    volume, = single["storage"]["extraVolumes"]
    mount, = single["storage"]["extraVolumeMounts"]
    assert volume["persistentVolumeClaim"]["readOnly"] is True
    assert mount == {"name": volume["name"], "mountPath": single["extraEnv"]["HF_HUB_CACHE"], "readOnly": True}
    assert single["extraEnv"]["HF_HUB_OFFLINE"] == "1"  # a string: Kubernetes environment values are strings


def test_the_helm_values_copy_the_image_notebooks_to_the_page_they_open(values):
    single = values["singleuser"]
    command = " ".join(single["lifecycleHooks"]["postStart"]["exec"]["command"])
    assert "cp -rn /home/jovyan/notebooks/. /home/jovyan/work/explorer-notebooks/" in command  # -n: edits kept
    assert single["storage"]["homeMountPath"] == "/home/jovyan/work"
    opened = single["defaultUrl"].removeprefix("/lab/tree/work/explorer-notebooks/")
    assert opened in NOTEBOOKS
