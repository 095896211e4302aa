"""Checks shared by the tests of the staged convolutional architectures (ConvNeXt, ResNet): each ``check_*``
takes an :class:`Arch` (one architecture's classes on both sides, its tiny config and how to randomise it), so
test_convnext.py and test_resnet.py run the same comparisons with transformers: forward in both loading
directions, hidden states from the config, the Auto classes, losses, the load report across heads, the
backbone's feature maps for a stage selection, and the config's defaults and round trip."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType
from typing import Any

import torch
import transformers
from parity import (
    assert_outputs_equal,
    assert_same_outputs,
    our_loading_info,
    pixels,
    run,
    their_loading_info,
)

from explorer import AutoBackbone, AutoModel, AutoModelForImageClassification

SUFFIXES = ("Model", "ForImageClassification", "Backbone")
STAGES = ["stem", "stage1", "stage2"]
ODD = (36, 28)  # an image size that is not a multiple of 32
AUTO_CLASSES = [(AutoModel, "Model"), (AutoModelForImageClassification, "ForImageClassification"),
                (AutoBackbone, "Backbone")]
LOSSES = [
    ("single_label_classification", 3, torch.tensor([2, 0])),
    ("multi_label_classification", 3, torch.tensor([[1.0, 0.0, 1.0], [0.0, 1.0, 0.0]])),
    ("regression", 1, torch.tensor([0.5, -1.5])),
]
BACKBONE_SELECTIONS = {
    "default": {},
    "stem": {"out_features": ["stem"]},
    "stage1": {"out_features": ["stage1"]},
    "all": {"out_features": ["stem", "stage1", "stage2"]},
    "indices-0-2": {"out_indices": [0, 2]},
    "indices-last": {"out_indices": [-1]},
    "both": {"out_features": ["stage1", "stage2"], "out_indices": [1, 2]},
}


@dataclass(frozen=True)
class Arch:
    """One architecture's classes on both sides, its tiny config, and how to randomise what initialisation
    leaves constant (so a swapped or forgotten parameter shows in the outputs)."""

    name: str  # the class-name prefix: "ConvNext", "ResNet"
    module: ModuleType  # explorer's architecture file
    tiny: dict[str, Any]
    randomize: Callable[[torch.nn.Module, int], None]

    def ours(self, suffix: str) -> type:
        return getattr(self.module, self.name + suffix)

    def theirs(self, suffix: str) -> type:
        return getattr(transformers, self.name + suffix)

    def our_config(self, **overrides: Any) -> Any:
        return self.ours("Config")(**{**self.tiny, **overrides})

    def their_config(self, **overrides: Any) -> Any:
        return self.theirs("Config")(**{**self.tiny, **overrides})

    def save_theirs(self, suffix: str, folder: Path, seed: int = 0, **overrides: Any) -> torch.nn.Module:
        """A seeded, randomised transformers model saved to ``folder``, in eval mode."""
        torch.manual_seed(seed)
        model = self.theirs(suffix)(self.their_config(**overrides)).eval()
        self.randomize(model, seed)
        model.save_pretrained(folder)
        return model


def check_forward(arch: Arch, suffix: str, hidden: bool, folder: Path, **overrides: Any) -> None:
    theirs = arch.save_theirs(suffix, folder, **overrides)
    ours = arch.ours(suffix).from_pretrained(folder)
    assert ours.load_report.is_clean and not ours.training
    inputs = {"pixel_values": pixels(*ODD), "output_hidden_states": hidden}
    expected = run(theirs, **inputs)
    if hidden:
        assert len(expected["hidden_states"]) == len(STAGES)
    else:
        assert "hidden_states" not in expected
    assert_same_outputs(ours, theirs, **inputs)


def check_output_hidden_states_from_the_config(arch: Arch, folder: Path) -> None:
    theirs = arch.save_theirs("ForImageClassification", folder)
    theirs.config.output_hidden_states = True
    ours = arch.ours("ForImageClassification").from_pretrained(folder, output_hidden_states=True)
    outputs = run(ours, pixel_values=pixels(*ODD))
    assert len(outputs.hidden_states) == len(STAGES)
    assert_outputs_equal(outputs, run(theirs, pixel_values=pixels(*ODD)))


def check_auto_class(arch: Arch, auto: Any, suffix: str, folder: Path) -> None:
    theirs = arch.save_theirs(suffix, folder)
    ours = auto.from_pretrained(folder)
    assert type(ours) is arch.ours(suffix) and ours.load_report.is_clean
    assert_same_outputs(ours, theirs, pixel_values=pixels(*ODD), output_hidden_states=True)


def check_loss(arch: Arch, problem: str, num_labels: int, labels: torch.Tensor, folder: Path) -> None:
    theirs = arch.save_theirs("ForImageClassification", folder, num_labels=num_labels)
    ours = arch.ours("ForImageClassification").from_pretrained(folder)
    inputs = {"pixel_values": pixels(*ODD), "labels": labels}
    assert run(theirs, **inputs).loss is not None
    assert_same_outputs(ours, theirs, **inputs)
    assert ours.config.problem_type == theirs.config.problem_type == problem


def check_transformers_loads_what_explorer_saves(arch: Arch, suffix: str, folder: Path, **overrides: Any) -> Any:
    """Returns transformers' model, for the caller's own checks of its config."""
    torch.manual_seed(0)
    ours = arch.ours(suffix).from_config(arch.our_config(out_features=["stem", "stage2"], **overrides))
    arch.randomize(ours, 0)
    ours.save_pretrained(folder)
    theirs, info = arch.theirs(suffix).from_pretrained(folder, output_loading_info=True)
    assert not info["missing_keys"] and not info["unexpected_keys"] and not info["mismatched_keys"]
    assert theirs.config.out_features == ["stem", "stage2"]
    assert_same_outputs(ours, theirs.eval(), pixel_values=pixels(*ODD), output_hidden_states=True)
    return theirs


def check_load_report_across_heads(arch: Arch, source: str, folder: Path) -> None:
    arch.save_theirs(source, folder, out_features=["stem", "stage2"])
    for target in SUFFIXES:
        ours = arch.ours(target).from_pretrained(folder)
        assert our_loading_info(ours) == their_loading_info(arch.theirs(target), folder), (source, target)


def check_backbone_feature_maps(arch: Arch, selection: dict[str, Any], folder: Path, **overrides: Any) -> None:
    theirs = arch.save_theirs("Backbone", folder, **selection, **overrides)
    ours = arch.ours("Backbone").from_pretrained(folder)
    assert ours.load_report.is_clean
    assert ours.stage_names == theirs.stage_names == STAGES
    assert ours.out_features == theirs.out_features
    assert ours.out_indices == [index % len(STAGES) for index in theirs.out_indices]  # explorer stores -1 as 2
    assert ours.channels == theirs.channels
    assert ours.num_features == theirs.num_features
    assert ours.out_feature_channels == theirs.out_feature_channels
    feature_maps = run(ours, pixel_values=pixels(*ODD)).feature_maps
    assert len(feature_maps) == len(ours.out_features)
    assert [m.shape[1] for m in feature_maps] == ours.channels
    assert_same_outputs(ours, theirs, pixel_values=pixels(*ODD), output_hidden_states=True)
    assert_same_outputs(ours, theirs, pixel_values=pixels(31, 45))


def check_config_defaults(arch: Arch) -> None:
    ours, theirs = arch.ours("Config")().to_dict(), arch.theirs("Config")().to_dict()
    for name in ("transformers_version", "_name_or_path"):
        ours.pop(name, None), theirs.pop(name, None)
    assert ours == theirs


def check_config_round_trip(arch: Arch, folder: Path, **overrides: Any) -> tuple[Any, Any]:
    """transformers saves, explorer loads and saves again, transformers reads the same config back; returns
    (ours, theirs) for the caller's own checks."""
    theirs = arch.their_config(**overrides)
    theirs.save_pretrained(folder)
    ours = arch.ours("Config").from_pretrained(folder)
    assert ours.stage_names == theirs.stage_names == STAGES
    assert ours.out_features == theirs.out_features and ours.out_indices == list(theirs.out_indices)
    ours.save_pretrained(folder / "again")
    again = arch.theirs("Config").from_pretrained(folder / "again").to_dict()
    expected = theirs.to_dict()
    for name in ("_name_or_path", "transformers_version"):
        again.pop(name), expected.pop(name)
    assert again == expected
    return ours, theirs
