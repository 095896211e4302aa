"""The tutorial's Hub checkpoints as the catalog copies them (used by ``make_catalog.py`` only).

Each copy is the Hub repository's config.json, tokenizer and preprocessing files, written as the Hub has
them, without the weights: loading builds the architecture with a seeded random initialisation (the marker
file ``explorer_random_weights.json``). Offline, resolution, preprocessing and shapes are therefore exact;
online, the same id downloads the real files instead.

The files were checked (2026-12) against the Hub's file pages, their history and byte sizes, and public
copies of them; ``tests/test_catalog.py`` checks that transformers reads them as explorer does.
"""

from __future__ import annotations

import importlib.util
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from . import bpe_sources
from .bpe_sources import BuiltFile

IMAGENET_MEAN, IMAGENET_STD = [0.485, 0.456, 0.406], [0.229, 0.224, 0.225]
EMOTIONS = ["angry", "calm", "disgust", "fearful", "happy", "neutral", "sad", "surprised"]
# facebook/wav2vec2-base-960h's characters, by frequency in LibriSpeech
CTC_VOCAB = ["<pad>", "<s>", "</s>", "<unk>", "|", *"ETAONIHSRDLUMWCFGYPBVK'XJQZ"]


@dataclass(frozen=True)
class HubCopy:
    """One Hub checkpoint: its id, aliases, files (name -> JSON content) and what is approximate."""

    id: str
    title: str
    modalities: tuple[str, ...]
    task: str
    files: dict[str, Any]
    aliases: tuple[str, ...] = ()
    bert_vocab: bool = False  # ships the bert-base-uncased vocab.txt (from the minilm package)
    labels_note: str = ""  # said in the card when the label names are not the Hub's
    extra_notes: tuple[str, ...] = field(default=())
    # files rebuilt from another source at build time (the tokenizers of bpe_sources.py), called only then
    built: Callable[[], dict[str, BuiltFile]] | None = None


def imagenet_labels() -> tuple[dict[str, str], str]:
    """The 1000 ImageNet-1k class names in the order of the Hub's id2label, and a note saying where they came
    from. They are read from the data files of the ``timm`` package if it is installed (``pip install
    --no-deps timm``: only its text files are read, timm is never imported); otherwise ``LABEL_i``."""
    spec = importlib.util.find_spec("timm")
    info = Path(next(iter(spec.submodule_search_locations))) / "data" / "_info" if spec else None
    if info is None or not (info / "imagenet_synsets.txt").is_file():
        return ({str(i): f"LABEL_{i}" for i in range(1000)},
                "The 1000 ImageNet class names were not available offline: labels are LABEL_0 ... LABEL_999.")
    lemmas = dict(line.rstrip("\n").split("\t", 1)
                  for line in (info / "imagenet_synset_to_lemma.txt").read_text(encoding="utf-8").splitlines())
    synsets = (info / "imagenet_synsets.txt").read_text(encoding="utf-8").split()
    return ({str(i): lemmas[synset] for i, synset in enumerate(synsets)},
            "The ImageNet class names are ImageNet-1k's WordNet lemmas in the standard class order (read from "
            "the `timm` package's data files), the same strings as the Hub's id2label.")


def with_labels(config: dict[str, Any], id2label: dict[str, str]) -> dict[str, Any]:
    """``config`` with id2label / label2id inserted, every key in sorted order as the Hub's files are written
    (label2id by label name; a name given to two ids keeps the last)."""
    label2id = {name: int(i) for i, name in id2label.items()}
    labelled = {**config, "id2label": id2label, "label2id": dict(sorted(label2id.items()))}
    return dict(sorted(labelled.items()))


def conv_feature_encoder(bias: bool) -> dict[str, Any]:
    return {"conv_bias": bias, "conv_dim": [512] * 7, "conv_kernel": [10, 3, 3, 3, 3, 2, 2],
            "conv_stride": [5, 2, 2, 2, 2, 2, 2]}


def copies() -> list[HubCopy]:
    imagenet, imagenet_note = imagenet_labels()
    bert_config = {
        "architectures": ["BertForMaskedLM"], "attention_probs_dropout_prob": 0.1, "gradient_checkpointing": False,
        "hidden_act": "gelu", "hidden_dropout_prob": 0.1, "hidden_size": 768, "initializer_range": 0.02,
        "intermediate_size": 3072, "layer_norm_eps": 1e-12, "max_position_embeddings": 512, "model_type": "bert",
        "num_attention_heads": 12, "num_hidden_layers": 12, "pad_token_id": 0,
        "position_embedding_type": "absolute", "transformers_version": "4.6.0.dev0", "type_vocab_size": 2,
        "use_cache": True, "vocab_size": 30522,
    }
    distilbert_config = {
        "activation": "gelu", "architectures": ["DistilBertForMaskedLM"], "attention_dropout": 0.1, "dim": 768,
        "dropout": 0.1, "hidden_dim": 3072, "initializer_range": 0.02, "max_position_embeddings": 512,
        "model_type": "distilbert", "n_heads": 12, "n_layers": 6, "pad_token_id": 0, "qa_dropout": 0.1,
        "seq_classif_dropout": 0.2, "sinusoidal_pos_embds": False, "tie_weights_": True,
        "transformers_version": "4.10.0.dev0", "vocab_size": 30522,
    }
    sst2_config = with_labels({
        **{k: v for k, v in distilbert_config.items() if k != "transformers_version"},
        "architectures": ["DistilBertForSequenceClassification"], "finetuning_task": "sst-2", "output_past": True,
    }, {"0": "NEGATIVE", "1": "POSITIVE"})
    vit_config = with_labels({
        "_name_or_path": "google/vit-base-patch16-224", "architectures": ["ViTForImageClassification"],
        "attention_probs_dropout_prob": 0.0, "hidden_act": "gelu", "hidden_dropout_prob": 0.0, "hidden_size": 768,
        "image_size": 224, "initializer_range": 0.02, "intermediate_size": 3072, "layer_norm_eps": 1e-12, "model_type": "vit", "num_attention_heads": 12,
        "num_channels": 3, "num_hidden_layers": 12, "patch_size": 16, "qkv_bias": True,
        "transformers_version": "4.13.0.dev0",
    }, imagenet)
    swin_config = with_labels({
        "architectures": ["SwinForImageClassification"], "attention_probs_dropout_prob": 0.0,
        "depths": [2, 2, 6, 2], "drop_path_rate": 0.1, "embed_dim": 96, "encoder_stride": 32, "hidden_act": "gelu",
        "hidden_dropout_prob": 0.0, "hidden_size": 768, "image_size": 224, "initializer_range": 0.02,
        "layer_norm_eps": 1e-05, "mlp_ratio": 4.0, "model_type": "swin", "num_channels": 3,
        "num_heads": [3, 6, 12, 24], "num_layers": 4, "path_norm": True, "patch_size": 4, "qkv_bias": True,
        "torch_dtype": "float32", "transformers_version": "4.18.0.dev0", "use_absolute_embeddings": False,
        "window_size": 7,
    }, imagenet)
    convnext_config = with_labels({
        "architectures": ["ConvNextForImageClassification"], "depths": [3, 3, 9, 3], "drop_path_rate": 0.0,
        "hidden_act": "gelu", "hidden_sizes": [96, 192, 384, 768], "image_size": 224, "initializer_range": 0.02,
        "layer_norm_eps": 1e-12, "layer_scale_init_value": 1e-06, "model_type": "convnext", "num_channels": 3,
        "num_stages": 4, "patch_size": 4, "torch_dtype": "float32", "transformers_version": "4.16.0.dev0",
    }, imagenet)
    resnet_config = with_labels({
        "architectures": ["ResNetForImageClassification"], "depths": [3, 4, 6, 3], "downsample_in_first_stage": False,
        "embedding_size": 64, "hidden_act": "relu", "hidden_sizes": [256, 512, 1024, 2048],
        "layer_type": "bottleneck", "model_type": "resnet", "num_channels": 3, "torch_dtype": "float32",
        "transformers_version": "4.18.0.dev0",
    }, imagenet)
    convnext_preprocessor = {
        "crop_pct": 0.875, "do_normalize": True, "do_resize": True, "feature_extractor_type": "ConvNextFeatureExtractor",
        "image_mean": IMAGENET_MEAN, "image_std": IMAGENET_STD, "resample": 3, "size": 224,
    }
    wav2vec2_pretraining = {  # the pre-training fields every wav2vec2 config.json of that time carries
        "apply_spec_augment": True, "bos_token_id": 1, "contrastive_logits_temperature": 0.1,
        "ctc_loss_reduction": "sum", "ctc_zero_infinity": False, "diversity_loss_weight": 0.1, "eos_token_id": 2,
        "feat_extract_activation": "gelu", "feat_extract_dropout": 0.0, "feat_quantizer_dropout": 0.0,
        "hidden_act": "gelu", "initializer_range": 0.02, "layer_norm_eps": 1e-05, "mask_feature_length": 10,
        "mask_feature_prob": 0.0, "mask_time_length": 10, "mask_time_prob": 0.05, "model_type": "wav2vec2",
        "num_codevector_groups": 2, "num_codevectors_per_group": 320, "num_conv_pos_embedding_groups": 16,
        "num_conv_pos_embeddings": 128, "num_feat_extract_layers": 7, "num_negatives": 100, "pad_token_id": 0,
        "vocab_size": 32,
    }
    emotion_config = with_labels({
        **wav2vec2_pretraining, **conv_feature_encoder(bias=True),
        "_name_or_path": "jonatasgrosman/wav2vec2-large-xlsr-53-english", "activation_dropout": 0.05,
        "architectures": ["Wav2Vec2ForSequenceClassification"], "attention_dropout": 0.1, "codevector_dim": 256,
        "ctc_loss_reduction": "mean", "ctc_zero_infinity": True, "do_stable_layer_norm": True,
        "feat_extract_norm": "layer", "feat_proj_dropout": 0.05, "final_dropout": 0.0,
        "finetuning_task": "wav2vec2_clf", "gradient_checkpointing": True, "hidden_dropout": 0.05,
        "hidden_size": 1024, "intermediate_size": 4096, "layerdrop": 0.05, "mask_channel_length": 10,
        "mask_channel_min_space": 1, "mask_channel_other": 0.0, "mask_channel_prob": 0.0,
        "mask_channel_selection": "static", "mask_time_min_space": 1, "mask_time_other": 0.0,
        "mask_time_selection": "static", "num_attention_heads": 16, "num_hidden_layers": 24,
        "proj_codevector_dim": 768, "torch_dtype": "float32", "transformers_version": "4.12.0.dev0",
        "use_weighted_layer_sum": False,
    }, {str(i): name for i, name in enumerate(EMOTIONS)})
    ctc_config = dict(sorted({
        **wav2vec2_pretraining, **conv_feature_encoder(bias=False), "_name_or_path": "facebook/wav2vec2-base-960h",
        "activation_dropout": 0.1, "architectures": ["Wav2Vec2ForCTC"], "attention_dropout": 0.1,
        "codevector_dim": 256, "do_stable_layer_norm": False, "feat_extract_norm": "group",
        "feat_proj_dropout": 0.1, "final_dropout": 0.1, "gradient_checkpointing": False, "hidden_dropout": 0.1,
        "hidden_dropout_prob": 0.1, "hidden_size": 768, "intermediate_size": 3072, "layerdrop": 0.1,
        "num_attention_heads": 12, "num_hidden_layers": 12, "proj_codevector_dim": 256,
        "transformers_version": "4.7.0.dev0",
    }.items()))
    wav2vec2_preprocessor = {  # facebook/wav2vec2-base-960h's names no feature_extractor_type: the model type decides
        "do_normalize": True, "feature_size": 1, "padding_side": "right", "padding_value": 0.0, "sampling_rate": 16000,
    }
    layoutlmv2_config = {
        "attention_probs_dropout_prob": 0.1, "coordinate_size": 128, "fast_qkv": True, "gradient_checkpointing": False,
        "hidden_act": "gelu", "hidden_dropout_prob": 0.1, "hidden_size": 768, "image_feature_pool_shape": [7, 7, 256],
        "initializer_range": 0.02, "intermediate_size": 3072, "layer_norm_eps": 1e-12,
        "max_2d_position_embeddings": 1024, "max_position_embeddings": 512, "max_rel_2d_pos": 256,
        "max_rel_pos": 128, "model_type": "layoutlmv2", "num_attention_heads": 12, "num_hidden_layers": 12,
        "output_past": True, "pad_token_id": 0, "rel_2d_pos_bins": 64, "rel_pos_bins": 32, "shape_size": 128,
        "type_vocab_size": 2, "vocab_size": 30522,
    }
    gpt2_config = {
        "activation_function": "gelu_new", "architectures": ["GPT2LMHeadModel"], "attn_pdrop": 0.1,
        "bos_token_id": 50256, "embd_pdrop": 0.1, "eos_token_id": 50256, "initializer_range": 0.02,
        "layer_norm_epsilon": 1e-05, "model_type": "gpt2", "n_ctx": 1024, "n_embd": 768, "n_head": 12,
        "n_layer": 12, "n_positions": 1024, "resid_pdrop": 0.1, "summary_activation": None,
        "summary_first_dropout": 0.1, "summary_proj_to_labels": True, "summary_type": "cls_index",
        "summary_use_proj": True, "task_specific_params": {"text-generation": {"do_sample": True, "max_length": 50}},
        "vocab_size": 50257,
    }
    gpt2_generation = {"_from_model_config": True, "bos_token_id": 50256, "eos_token_id": 50256,
                       "transformers_version": "4.26.0.dev0"}
    qwen_chat_config = {
        "architectures": ["Qwen2ForCausalLM"], "attention_dropout": 0.0, "bos_token_id": 151643,
        "eos_token_id": 151645, "hidden_act": "silu", "hidden_size": 1024, "initializer_range": 0.02,
        "intermediate_size": 2816, "max_position_embeddings": 32768, "max_window_layers": 21, "model_type": "qwen2",
        "num_attention_heads": 16, "num_hidden_layers": 24, "num_key_value_heads": 16, "rms_norm_eps": 1e-06,
        "rope_theta": 1000000.0, "sliding_window": 32768, "tie_word_embeddings": True, "torch_dtype": "bfloat16",
        "transformers_version": "4.37.0", "use_cache": True, "use_sliding_window": False, "vocab_size": 151936,
    }
    qwen_chat_generation = {  # the Hub file's key order
        "bos_token_id": 151643, "pad_token_id": 151643, "do_sample": True, "eos_token_id": [151645, 151643],
        "repetition_penalty": 1.1, "top_p": 0.8, "top_k": 20, "transformers_version": "4.37.0",
    }
    qwen_chat_tokenizer = {  # tokenizer_config.json without added_tokens_decoder and chat_template (from the gguf)
        "add_prefix_space": False, "additional_special_tokens": ["<|im_start|>", "<|im_end|>"], "bos_token": None,
        "clean_up_tokenization_spaces": False, "eos_token": "<|im_end|>", "errors": "replace",
        "model_max_length": 32768, "pad_token": "<|endoftext|>", "split_special_tokens": False,
        "tokenizer_class": "Qwen2Tokenizer", "unk_token": None,
    }
    return [
        HubCopy("bert-base-uncased", "BERT base, uncased (the tutorial's lesson 1)", ("text",), "fill-mask",
                {"config.json": bert_config, "tokenizer_config.json": {"do_lower_case": True, "model_max_length": 512}},
                aliases=("google-bert/bert-base-uncased",), bert_vocab=True),
        HubCopy("distilbert-base-uncased", "DistilBERT base, uncased (lesson 6)", ("text",), "fill-mask",
                {"config.json": distilbert_config,
                 "tokenizer_config.json": {"do_lower_case": True, "model_max_length": 512}},
                aliases=("distilbert/distilbert-base-uncased",), bert_vocab=True),
        HubCopy("distilbert-base-uncased-finetuned-sst-2-english", "DistilBERT fine-tuned on SST-2 (behind the pipeline)",
                ("text",), "text-classification",
                {"config.json": sst2_config,
                 "tokenizer_config.json": {"do_lower_case": True, "model_max_length": 512}},
                aliases=("distilbert/distilbert-base-uncased-finetuned-sst-2-english",), bert_vocab=True),
        HubCopy("google/vit-base-patch16-224", "ViT base, patch 16, 224 px, ImageNet-1k (lesson 2)", ("image",),
                "image-classification",
                {"config.json": vit_config,
                 "preprocessor_config.json": {"do_normalize": True, "do_resize": True,
                                              "image_mean": [0.5, 0.5, 0.5], "image_std": [0.5, 0.5, 0.5],
                                              "size": 224}},
                labels_note=imagenet_note),
        HubCopy("microsoft/swin-tiny-patch4-window7-224", "Swin tiny, ImageNet-1k (lesson 3, AutoBackbone)", ("image",),
                "image-classification",
                {"config.json": swin_config,
                 "preprocessor_config.json": {"do_normalize": True, "do_resize": True,
                                              "feature_extractor_type": "ViTFeatureExtractor",
                                              "image_mean": IMAGENET_MEAN, "image_std": IMAGENET_STD, "resample": 3,
                                              "size": 224}},
                labels_note=imagenet_note),
        HubCopy("facebook/convnext-tiny-224", "ConvNeXt tiny, ImageNet-1k", ("image",), "image-classification",
                {"config.json": convnext_config, "preprocessor_config.json": convnext_preprocessor},
                labels_note=imagenet_note),
        HubCopy("microsoft/resnet-50", "ResNet-50, ImageNet-1k", ("image",), "image-classification",
                {"config.json": resnet_config, "preprocessor_config.json": convnext_preprocessor},
                labels_note=imagenet_note),
        HubCopy("ehcalabres/wav2vec2-lg-xlsr-en-speech-emotion-recognition",
                "wav2vec2 XLSR-53 large, speech emotion recognition (lesson 4)", ("audio",), "audio-classification",
                {"config.json": emotion_config,
                 "preprocessor_config.json": dict(sorted({
                     **wav2vec2_preprocessor, "feature_extractor_type": "Wav2Vec2FeatureExtractor",
                     "return_attention_mask": True}.items()))}),
        HubCopy("facebook/wav2vec2-base-960h", "wav2vec2 base, speech recognition (LibriSpeech 960 h)", ("audio",),
                "automatic-speech-recognition",
                {"config.json": ctc_config,
                 "preprocessor_config.json": {**wav2vec2_preprocessor, "return_attention_mask": False},
                 "vocab.json": {token: index for index, token in enumerate(CTC_VOCAB)},
                 "tokenizer_config.json": {"unk_token": "<unk>", "bos_token": "<s>", "eos_token": "</s>",
                                           "pad_token": "<pad>", "do_lower_case": False,
                                           "return_attention_mask": False, "do_normalize": True},
                 "special_tokens_map.json": {"bos_token": "<s>", "eos_token": "</s>", "unk_token": "<unk>",
                                             "pad_token": "<pad>"}}),
        HubCopy("microsoft/layoutlmv2-base-uncased", "LayoutLMv2 base, uncased (lesson 5: AutoProcessor)",
                ("document",), "document-question-answering",
                {"config.json": layoutlmv2_config,
                 "preprocessor_config.json": {"apply_ocr": True, "do_resize": True,
                                              "feature_extractor_type": "LayoutLMv2FeatureExtractor",
                                              "resample": 2, "size": 224}},
                bert_vocab=True,
                extra_notes=("explorer has LayoutLMv2's config and preprocessing, not its model: AutoConfig, "
                             "AutoTokenizer, AutoImageProcessor and AutoProcessor load this copy; AutoModel raises "
                             "UnknownModelTypeError (model_type 'layoutlmv2' is not supported).",
                             "apply_ocr is true, as on the Hub: processing a page without words needs pytesseract "
                             "and tesseract-ocr; pass apply_ocr=False with your own words and boxes.")),
        HubCopy("openai-community/gpt2", "GPT-2 small (124M), OpenAI's WebText language model", ("text",),
                "text-generation",
                {"config.json": gpt2_config, "generation_config.json": gpt2_generation,
                 "tokenizer_config.json": {"model_max_length": 1024}},
                aliases=("gpt2",), built=bpe_sources.gpt2_tokenizer_files),
        HubCopy("Qwen/Qwen1.5-0.5B-Chat", "Qwen1.5 0.5B Chat (Qwen2 architecture): a ChatML chat template",
                ("text",), "text-generation",
                {"config.json": qwen_chat_config, "generation_config.json": qwen_chat_generation},
                built=lambda: bpe_sources.qwen2_chat_tokenizer_files(qwen_chat_tokenizer),
                extra_notes=("Why this checkpoint: its tokenizer and chat template are those of llama.cpp's "
                             "ggml-vocab-qwen2.gguf (made from Qwen1.5, whose chat template has no full stop after "
                             "\"You are a helpful assistant\"; Qwen2-Instruct's has one, and Qwen2.5's vocabulary "
                             "has 19 more added tokens). Its model_type is qwen2: Qwen2ForCausalLM.",
                             "463,987,712 parameters, built in bfloat16 (the config's torch_dtype, which "
                             "dtype=\"auto\", the default, takes, as in transformers): 885 MiB of tensors, the "
                             "copy of the catalog with the most parameters.",
                             "config.json and generation_config.json are written as the Hub has them (Qwen1.5's "
                             "release, transformers 4.37.0) but could not be compared with the Hub from the build "
                             "machine; the tokenizer_config.json keys other than chat_template likewise.")),
    ]
