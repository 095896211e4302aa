"""initialisation.py: the pooled, seeded draws that initialise a weightless catalog copy, and what its
initialisation does not import."""

from __future__ import annotations

import os
import subprocess
import sys

import torch

from explorer.initialisation import PooledDraws


def test_pooled_draws_follow_the_requested_distributions():
    normal, uniform = torch.empty(3_000_000), torch.empty(1000, 1000)
    with PooledDraws(seed=7):
        normal.normal_(mean=0.5, std=0.02)
        uniform.uniform_(-3, -1)
    assert abs(normal.mean().item() - 0.5) < 1e-3 and abs(normal.std().item() - 0.02) < 1e-3
    assert uniform.min() >= -3 and uniform.max() <= -1 and abs(uniform.mean().item() + 2) < 1e-2


def test_pooled_draws_are_the_seed_s_and_leave_torch_s_generator_alone():
    def draw(seed):
        tensor = torch.empty(50_000)
        with PooledDraws(seed):
            tensor.normal_(0.0, 1.0)
        return tensor

    state = torch.random.get_rng_state()
    assert torch.equal(draw(1), draw(1)) and not torch.equal(draw(1), draw(2))
    assert torch.equal(torch.random.get_rng_state(), state)


def test_a_tensor_larger_than_the_pool_is_filled_whole():
    tensor = torch.full((PooledDraws.POOL_SIZE + 12_345,), float("nan"))
    with PooledDraws(seed=0):
        tensor.normal_()
    assert not tensor.isnan().any() and abs(tensor.std().item() - 1) < 1e-2


def test_non_contiguous_tensors_fall_back_to_torch_s_own_draws():
    tensor = torch.zeros(64, 64)
    with PooledDraws(seed=0):
        tensor.t().normal_(0.0, 1.0)
    assert 0.9 < tensor.std().item() < 1.1


def test_initialising_a_catalog_copy_does_not_import_sympy():
    """Tensors for the initialisation are made with torch.empty: empty_like of a meta tensor goes through
    torch._refs, whose first call imports sympy (0.5 s on a first visit in the app)."""
    code = ("import sys; from explorer import AutoModel; AutoModel.from_pretrained('microsoft/resnet-50'); "
            "print('sympy' in sys.modules)")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=120,
                          env={**os.environ, "HF_HUB_OFFLINE": "1"})
    assert done.stdout.strip() == "False"
