"""LayoutLMv2 (Xu et al., 2021): a BERT-like encoder over a page's words, their boxes (2-D position embeddings)
and a visual backbone's image features. explorer has its configuration, processor, image processor and
tokenizer (the tutorial's lesson 5 is ``AutoProcessor``), not its model: the visual backbone is detectron2's,
which needs detectron2 and torchvision. ``AutoModel`` on a LayoutLMv2 checkpoint therefore names the
architectures explorer can build."""

from __future__ import annotations

from typing import Any, ClassVar

from ..configuration import SIZE_LIMITS, PretrainedConfig
from .bert import BertConfig

BERT_ONLY = ("use_cache", "classifier_dropout", "is_decoder", "add_cross_attention", "bos_token_id",
             "eos_token_id", "tie_word_embeddings")

# transformers' default detectron2 settings of the visual backbone (Mask R-CNN on a ResNeXt-101 FPN), kept so a
# saved config equals transformers'
DETECTRON2_DEFAULTS: dict[str, Any] = {
    "MODEL.MASK_ON": True,
    "MODEL.PIXEL_STD": [57.375, 57.12, 58.395],
    "MODEL.BACKBONE.NAME": "build_resnet_fpn_backbone",
    "MODEL.FPN.IN_FEATURES": ["res2", "res3", "res4", "res5"],
    "MODEL.ANCHOR_GENERATOR.SIZES": [[32], [64], [128], [256], [512]],
    "MODEL.RPN.IN_FEATURES": ["p2", "p3", "p4", "p5", "p6"],
    "MODEL.RPN.PRE_NMS_TOPK_TRAIN": 2000,
    "MODEL.RPN.PRE_NMS_TOPK_TEST": 1000,
    "MODEL.RPN.POST_NMS_TOPK_TRAIN": 1000,
    "MODEL.POST_NMS_TOPK_TEST": 1000,
    "MODEL.ROI_HEADS.NAME": "StandardROIHeads",
    "MODEL.ROI_HEADS.NUM_CLASSES": 5,
    "MODEL.ROI_HEADS.IN_FEATURES": ["p2", "p3", "p4", "p5"],
    "MODEL.ROI_BOX_HEAD.NAME": "FastRCNNConvFCHead",
    "MODEL.ROI_BOX_HEAD.NUM_FC": 2,
    "MODEL.ROI_BOX_HEAD.POOLER_RESOLUTION": 14,
    "MODEL.ROI_MASK_HEAD.NAME": "MaskRCNNConvUpsampleHead",
    "MODEL.ROI_MASK_HEAD.NUM_CONV": 4,
    "MODEL.ROI_MASK_HEAD.POOLER_RESOLUTION": 7,
    "MODEL.RESNETS.DEPTH": 101,
    "MODEL.RESNETS.SIZES": [[32], [64], [128], [256], [512]],
    "MODEL.RESNETS.ASPECT_RATIOS": [[0.5, 1.0, 2.0]],
    "MODEL.RESNETS.OUT_FEATURES": ["res2", "res3", "res4", "res5"],
    "MODEL.RESNETS.NUM_GROUPS": 32,
    "MODEL.RESNETS.WIDTH_PER_GROUP": 8,
    "MODEL.RESNETS.STRIDE_IN_1X1": False,
}


class LayoutLMv2Config(PretrainedConfig):
    model_type = "layoutlmv2"
    # BERT's encoder settings (not its decoder and generation ones), then the layout and visual ones
    defaults: ClassVar[dict[str, Any]] = {
        **{key: value for key, value in BertConfig.defaults.items() if key not in BERT_ONLY},
        "max_2d_position_embeddings": 1024,
        "max_rel_pos": 128,
        "rel_pos_bins": 32,
        "fast_qkv": True,
        "max_rel_2d_pos": 256,
        "rel_2d_pos_bins": 64,
        "convert_sync_batchnorm": True,
        "image_feature_pool_shape": [7, 7, 256],
        "coordinate_size": 128,
        "shape_size": 128,
        "has_relative_attention_bias": True,
        "has_spatial_attention_bias": True,
        "has_visual_segment_embedding": False,
        "detectron2_config_args": DETECTRON2_DEFAULTS,
    }
    size_limits = SIZE_LIMITS | {"max_2d_position_embeddings": 1 << 20, "coordinate_size": 1 << 16,
                                 "shape_size": 1 << 16}
    head_division = ("hidden_size", "num_attention_heads")
