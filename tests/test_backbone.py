"""backbone.py: out_features / out_indices / stage_names follow transformers' rules, valid and invalid."""

from __future__ import annotations

import pytest
import transformers

from explorer import errors
from explorer.backbone import align_stages

STAGES = ["stem", "stage1", "stage2", "stage3"]

VALID = [
    (None, None),
    (["stage2"], None),
    (None, [1]),
    (None, (0,)),
    (None, [-1]),
    (["stem", "stage3"], None),
    (["stage1", "stage2"], [1, 2]),
]

INVALID = [
    (["stage9"], None),
    (["stage2", "stage1"], None),
    (["stage1", "stage1"], None),
    (None, [4]),
    (None, [2, 1]),
    (None, [1, -3]),
    (["stage1"], [2]),
    (["stage1", "stage2"], [1]),
]


def theirs(out_features, out_indices):
    config = transformers.ResNetConfig(depths=[1, 1, 1], hidden_sizes=[4, 4, 4], out_features=out_features,
                                       out_indices=out_indices)
    assert config.stage_names == STAGES
    return config.out_features, [i % len(STAGES) for i in config.out_indices]


@pytest.mark.parametrize("out_features, out_indices", VALID)
def test_valid_selections_align_like_transformers(out_features, out_indices):
    assert align_stages(STAGES, out_features, out_indices) == theirs(out_features, out_indices)


@pytest.mark.parametrize("out_features, out_indices", INVALID)
def test_invalid_selections_are_refused_as_transformers_refuses_them(out_features, out_indices):
    with pytest.raises(ValueError):
        theirs(out_features, out_indices)
    with pytest.raises(errors.ConfigValueError, match="out_features|out_indices"):
        align_stages(STAGES, out_features, out_indices)


@pytest.mark.parametrize("bad", ["stage1", [1.5], [True]])
def test_wrong_types_name_the_field(bad):
    field = "out_features" if isinstance(bad, str) else "out_indices"
    with pytest.raises(errors.ConfigValueError, match=field):
        align_stages(STAGES, bad, None) if field == "out_features" else align_stages(STAGES, None, bad)
