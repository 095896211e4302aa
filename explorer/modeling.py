"""The base model: build, load, save, embeddings, head pruning, and what every architecture shares
(the attention computation, attention masks, and the heads' losses).

An architecture file subclasses :class:`PreTrainedModel`, names its config class and ``base_model_prefix``
(the attribute holding the base model inside a head model, e.g. ``bert``), and lists tied parameters.
"""

from __future__ import annotations

import copy
import os
from pathlib import Path
from typing import Any, ClassVar

import torch
from torch import nn
from torch.distributions import constraints
from torch.distributions.multivariate_normal import MultivariateNormal
from torch.nn import functional as F

from . import errors
from .configuration import PretrainedConfig
from .generation.configuration import GenerationConfig
from .generation.utils import GenerationMixin
from .initialisation import SKIP_INIT
from .loading import load_pretrained, resolve_dtype
from .outputs import ModelOutput
from .trace import ResolutionTrace
from .weights import save_weights


class PreTrainedModel(nn.Module):
    config_class: ClassVar[type[PretrainedConfig]] = PretrainedConfig
    base_model_prefix: ClassVar[str] = ""
    main_input_name: ClassVar[str] = "input_ids"
    # {target: source}: target is the same Parameter as source (e.g. the MLM decoder and the word embeddings)
    _tied_weights_keys: ClassVar[dict[str, str]] = {}
    # checkpoint keys dropped without a word: buffers older versions saved (as transformers)
    _keys_to_ignore_on_load_unexpected: ClassVar[tuple[str, ...]] = (r"(^|\.)position_ids$",)
    # (pattern, replacement) for key spellings of older checkpoints (as transformers' "legacy" renames)
    _checkpoint_renames: ClassVar[tuple[tuple[str, str], ...]] = (
        (r"LayerNorm\.gamma$", "LayerNorm.weight"),
        (r"LayerNorm\.beta$", "LayerNorm.bias"),
    )

    def __init__(self, config: PretrainedConfig) -> None:
        super().__init__()
        if not isinstance(config, self.config_class):
            raise errors.ConfigValueError(
                f"{type(self).__name__} needs a {self.config_class.__name__}, got {type(config).__name__}."
            )
        config.validate()  # before any layer allocates memory
        self.config = config
        self.load_report: Any = None  # loading.LoadReport, set by from_pretrained
        if self.can_generate():  # replaced by the checkpoint's generation_config.json in from_pretrained
            self.generation_config = GenerationConfig.from_model_config(config)

    def post_init(self) -> None:
        """Last line of every architecture's ``__init__``: initialise (unless the loader will fill the weights),
        tie, prune."""
        if SKIP_INIT.get():
            self.tie_weights()
        else:
            self.init_weights()
        pruned = getattr(self.config, "pruned_heads", None)
        if pruned:
            self._prune(pruned)

    # --- construction ----------------------------------------------------------------------------------

    @classmethod
    def from_config(cls, config: PretrainedConfig, dtype: torch.dtype | str | None = None) -> PreTrainedModel:
        """A randomly initialised model (no weights read)."""
        model = cls(config)
        if dtype is not None:
            model.to(resolve_dtype(dtype))
        return model.eval()

    _from_config = from_config  # transformers' spelling

    @classmethod
    def from_pretrained(cls, pretrained_model_name_or_path: Any, *model_args: Any, **kwargs: Any) -> PreTrainedModel:
        """Build the model on the meta device and fill it from the checkpoint's weights; see loading.py."""
        if model_args:
            raise errors.ConfigValueError(
                f"{cls.__name__}.from_pretrained takes only keyword arguments after the reference, "
                f"got {len(model_args)} positional ones."
            )
        return load_pretrained(cls, pretrained_model_name_or_path, **kwargs)

    def _init_weights(self, module: nn.Module) -> None:
        """transformers' initialisation for BERT-style models: N(0, initializer_range), zero biases."""
        std = self.config.initializer_range
        if isinstance(module, nn.Linear):
            module.weight.data.normal_(mean=0.0, std=std)
            if module.bias is not None:
                module.bias.data.zero_()
        elif isinstance(module, nn.Embedding):
            module.weight.data.normal_(mean=0.0, std=std)
            if module.padding_idx is not None:
                module.weight.data[module.padding_idx].zero_()
        elif isinstance(module, nn.LayerNorm):
            module.weight.data.fill_(1.0)
            module.bias.data.zero_()

    def init_weights(self) -> None:
        self.apply(self._init_weights)
        self.tie_weights()

    # --- properties --------------------------------------------------------------------------------------

    @classmethod
    def can_generate(cls) -> bool:
        """Whether the class has ``generate``: a causal LM head mixing in GenerationMixin (as transformers)."""
        return issubclass(cls, GenerationMixin)

    @property
    def base_model(self) -> nn.Module:
        return getattr(self, self.base_model_prefix, self)

    @property
    def device(self) -> torch.device:
        return next(self.parameters()).device

    @property
    def dtype(self) -> torch.dtype:
        return next(p.dtype for p in self.parameters() if p.is_floating_point())

    @property
    def resolution_trace(self) -> ResolutionTrace | None:
        return self.config.resolution_trace

    def num_parameters(self, only_trainable: bool = False, exclude_embeddings: bool = False) -> int:
        embeddings = {id(m.weight) for m in self.modules() if isinstance(m, nn.Embedding)}
        return sum(
            p.numel()
            for p in self.parameters()
            if (p.requires_grad or not only_trainable) and not (exclude_embeddings and id(p) in embeddings)
        )

    # --- embeddings and tying ----------------------------------------------------------------------------

    def get_input_embeddings(self) -> nn.Embedding:
        return self.base_model.embeddings.word_embeddings

    def set_input_embeddings(self, embeddings: nn.Embedding) -> None:
        self.base_model.embeddings.word_embeddings = embeddings

    def get_output_embeddings(self) -> nn.Linear | None:
        return None

    def set_output_embeddings(self, embeddings: nn.Linear) -> None:
        raise NotImplementedError(f"{type(self).__name__} has no output embeddings to replace.")

    def tied_weights(self) -> dict[str, str]:
        """The ties in force: all of them, or none with ``tie_word_embeddings=False`` (as transformers v5)."""
        return dict(self._tied_weights_keys) if getattr(self.config, "tie_word_embeddings", True) else {}

    def tie_weights(self) -> None:
        for target, source in self.tied_weights().items():
            owner, name = self._owner(target)
            setattr(owner, name, self.get_parameter(source))

    def _owner(self, key: str) -> tuple[nn.Module, str]:
        module_path, _, name = key.rpartition(".")
        return self.get_submodule(module_path), name

    def resize_token_embeddings(
        self, new_num_tokens: int | None = None, pad_to_multiple_of: int | None = None, mean_resizing: bool = True
    ) -> nn.Embedding:
        """Grow or shrink the vocabulary to ``new_num_tokens`` rows (e.g. after ``tokenizer.add_tokens``), rounded
        up to a multiple of ``pad_to_multiple_of``; with neither, nothing changes. As transformers: the kept rows
        are copied, new rows are drawn around the old rows' mean and covariance (``mean_resizing``) or by the
        architecture's initialisation, an untied output layer is resized the same way, a tied one follows (its
        bias padded with zeros), and ``config.vocab_size`` is updated. The random draws are transformers' own,
        call for call, so both give the same rows after the same ``torch.manual_seed``."""
        embeddings, head = self.get_input_embeddings(), self.get_output_embeddings()
        if new_num_tokens is None and pad_to_multiple_of is None:
            if head is not None:
                self.set_output_embeddings(head)  # as transformers: BERT's head then shares the decoder's bias
            return embeddings
        count = resized_count(embeddings.weight.shape[0], new_num_tokens, pad_to_multiple_of)
        self._resize_embedding(embeddings, count, mean_resizing)
        if head is not None:
            self.set_output_embeddings(self._resized_output_embeddings(head, count, mean_resizing))
        self.config.vocab_size = count
        self.tie_weights()
        return self.get_input_embeddings()

    def _resize_embedding(self, embeddings: nn.Embedding, count: int, mean_resizing: bool) -> None:
        """transformers' ``_get_resized_embeddings``: the module is kept (its padding_idx too, unless cut off),
        its weight's data replaced."""
        old_count = embeddings.weight.shape[0]
        if old_count != count:
            # built as transformers builds it: its constructor's draws come first in the random sequence
            new = nn.Embedding(count, embeddings.embedding_dim, device=embeddings.weight.device,
                               dtype=embeddings.weight.dtype)
            if count > old_count and mean_resizing:
                new.weight.data[old_count:] = rows_near_the_mean(embeddings.weight.data, count - old_count)
            elif count > old_count:
                self._init_weights(new)
            kept = min(old_count, count)
            new.weight.data[:kept] = embeddings.weight.data[:kept]
            embeddings.weight.data = new.weight.data
            if embeddings.padding_idx is not None and embeddings.padding_idx >= count:
                embeddings.padding_idx = None
        embeddings.num_embeddings = count

    def _resized_output_embeddings(self, head: nn.Linear, count: int, mean_resizing: bool) -> nn.Linear:
        """transformers' ``_get_resized_lm_head`` for an untied head (a new Linear); a tied head has its rows
        already, and its bias is padded or cut to them (transformers' ``_adjust_bias``)."""
        old_count = head.weight.shape[0]
        if old_count == count:
            if head.bias is not None and head.bias.shape[0] != count:
                head.bias.data = F.pad(head.bias.data, (0, count - head.bias.shape[0]), "constant", 0)
            head.out_features = count
            return head
        new = nn.Linear(head.in_features, count, bias=head.bias is not None, device=head.weight.device,
                        dtype=head.weight.dtype)
        if count > old_count and mean_resizing:
            new.weight.data[old_count:] = rows_near_the_mean(head.weight.data, count - old_count)
            if head.bias is not None:
                new.bias.data[old_count:] = bias_near_the_mean(head.bias.data, count - old_count)
        elif count > old_count:
            self._init_weights(new)
        kept = min(old_count, count)
        new.weight.data[:kept] = head.weight.data[:kept]
        if head.bias is not None:
            new.bias.data[:kept] = head.bias.data[:kept]
        return new.requires_grad_(head.weight.requires_grad)

    # --- head pruning --------------------------------------------------------------------------------------

    def prune_heads(self, heads_to_prune: dict[int, list[int]]) -> None:
        """Remove attention heads for good: ``{layer: [head, ...]}``. Recorded in ``config.pruned_heads`` so
        that a saved model is rebuilt pruned."""
        pruned = {int(layer): set(heads) for layer, heads in (self.config.__dict__.get("pruned_heads") or {}).items()}
        for layer, heads in heads_to_prune.items():
            pruned.setdefault(int(layer), set()).update(heads)
        self._prune(heads_to_prune)
        self.config.pruned_heads = {layer: sorted(heads) for layer, heads in pruned.items()}

    def _prune(self, heads_to_prune: dict[Any, list[int]]) -> None:
        layers = self.base_model.attention_layers()
        for layer, heads in heads_to_prune.items():
            layers[int(layer)].prune_heads(set(heads))

    # --- saving ------------------------------------------------------------------------------------------

    def save_pretrained(
        self,
        save_directory: str | os.PathLike,
        *,
        safe_serialization: bool = True,
        max_shard_size: int | str = "5GB",
        state_dict: dict[str, torch.Tensor] | None = None,
    ) -> list[Path]:
        """Write config.json (and generation_config.json for a model that generates) and the weights
        (safetensors unless told otherwise), loadable by transformers."""
        directory = Path(save_directory)
        config = copy.deepcopy(self.config)
        config.architectures = [type(self).__name__]
        config.dtype = str(self.dtype).removeprefix("torch.")
        written = [config.save_pretrained(directory)]
        if self.can_generate():
            written.append(self.generation_config.save_pretrained(directory))
        tensors = self.state_dict() if state_dict is None else state_dict
        tied = set(self.tied_weights())
        tensors = {key: tensor for key, tensor in tensors.items() if key not in tied}
        return written + save_weights(tensors, directory, safe_serialization, max_shard_size)

    # --- forward helpers ---------------------------------------------------------------------------------

    def finish(self, output: ModelOutput, return_dict: bool | None) -> ModelOutput | tuple[Any, ...]:
        """The output object, or its tuple when ``return_dict`` (default: the config's) is False."""
        wants_dict = self.config.return_dict if return_dict is None else return_dict
        return output if wants_dict else output.to_tuple()

    def flags(self, output_attentions: bool | None, output_hidden_states: bool | None,
              return_dict: bool | None) -> tuple[bool, bool, bool]:
        """The per-call flags, defaulting to the config's."""
        return (
            self.config.output_attentions if output_attentions is None else output_attentions,
            self.config.output_hidden_states if output_hidden_states is None else output_hidden_states,
            self.config.return_dict if return_dict is None else return_dict,
        )


def check_one_input(input_ids: torch.Tensor | None, inputs_embeds: torch.Tensor | None) -> None:
    if (input_ids is None) == (inputs_embeds is None):
        raise errors.ModelInputError("Pass exactly one of input_ids and inputs_embeds.")


def resized_count(current: int, new_num_tokens: int | None, pad_to_multiple_of: int | None) -> int:
    """The rows after resizing: ``new_num_tokens`` (or the current count) rounded up to ``pad_to_multiple_of``."""
    count = current if new_num_tokens is None else new_num_tokens
    if pad_to_multiple_of is not None:
        if type(pad_to_multiple_of) is not int or pad_to_multiple_of < 1:  # bool is an int, and no multiple
            raise errors.ConfigValueError(
                f"pad_to_multiple_of must be a positive integer, got {pad_to_multiple_of!r}."
            )
        count = -(-count // pad_to_multiple_of) * pad_to_multiple_of
    if count < 1:
        raise errors.ConfigValueError(f"new_num_tokens must be at least 1, got {count}.")
    return count


# transformers scales the old rows' covariance down this much: new rows stay close to the mean
COVARIANCE_SCALE = 1e-9


def rows_near_the_mean(old: torch.Tensor, added: int) -> torch.Tensor:
    """``added`` rows drawn from a normal with the old rows' mean and ``COVARIANCE_SCALE`` times their covariance
    (https://nlp.stanford.edu/~johnhew/vocab-expansion.html: the next-token distribution barely moves), or the
    mean itself when that covariance is not positive definite. transformers' computation, step for step."""
    weight = old.to(torch.float32)
    mean = torch.mean(weight, dim=0)
    centered = weight - mean
    covariance = COVARIANCE_SCALE * (centered.T @ centered / weight.shape[0])
    if constraints.positive_definite.check(covariance).all():
        rows = MultivariateNormal(mean, covariance_matrix=covariance).sample(sample_shape=(added,))
    else:
        rows = mean[None, :].repeat(added, 1)
    return rows.to(old.dtype)


def bias_near_the_mean(old: torch.Tensor, added: int) -> torch.Tensor:
    """``added`` bias entries drawn around the old entries' mean, spread 1e-9 times theirs (transformers'
    ``_init_added_lm_head_bias_with_mean``)."""
    mean = torch.mean(old, dim=0, dtype=torch.float32)
    std = torch.std(old, dim=0).to(torch.float32)
    return old.new_empty(added).normal_(mean=mean, std=COVARIANCE_SCALE * std)


# --- attention ---------------------------------------------------------------------------------------------


def additive_attention_mask(attention_mask: torch.Tensor | None, dtype: torch.dtype) -> torch.Tensor | None:
    """[batch, keys] of 1 (attend) / 0 (padding) -> [batch, 1, 1, keys] of 0 / the dtype's minimum."""
    if attention_mask is None or bool(attention_mask.all()):
        return None
    mask = attention_mask[:, None, None, :].to(dtype)
    return (1.0 - mask) * torch.finfo(dtype).min


def expand_head_mask(head_mask: torch.Tensor | None, num_layers: int, dtype: torch.dtype) -> list[torch.Tensor | None]:
    """transformers' ``head_mask``: [heads] or [layers, heads] of 1 (keep) / 0 (mask) -> one
    [1, heads, 1, 1] multiplier per layer, in the model's dtype (an int mask must not change it)."""
    if head_mask is None:
        return [None] * num_layers
    head_mask = head_mask.to(dtype)
    if head_mask.dim() == 1:
        head_mask = head_mask.unsqueeze(0).expand(num_layers, -1)
    if head_mask.dim() != 2 or head_mask.shape[0] != num_layers:
        raise errors.ConfigValueError(
            f"head_mask must have shape [num_heads] or [num_layers={num_layers}, num_heads], "
            f"got {list(head_mask.shape)}."
        )
    return [layer_mask[None, :, None, None] for layer_mask in head_mask]


def attention(
    query: torch.Tensor,
    key: torch.Tensor,
    value: torch.Tensor,
    mask: torch.Tensor | None,
    *,
    dropout: float,
    head_mask: torch.Tensor | None = None,
    output_attentions: bool = False,
    scale: float | None = None,
) -> tuple[torch.Tensor, torch.Tensor | None]:
    """Scaled dot-product attention over [batch, heads, tokens, head_dim] (scores times ``scale``, by default
    divided by sqrt(head_dim)); returns the context and, when asked (or needed for a head mask), the attention
    probabilities. PyTorch's fused kernel otherwise."""
    if not output_attentions and head_mask is None:
        context = F.scaled_dot_product_attention(query, key, value, attn_mask=mask, dropout_p=dropout, scale=scale)
        return context, None
    scores = query @ key.transpose(-1, -2)
    scores = scores / query.shape[-1] ** 0.5 if scale is None else scores * scale
    if mask is not None:
        scores = scores + mask
    probs = F.dropout(scores.softmax(dim=-1), p=dropout, training=dropout > 0)
    if head_mask is not None:
        probs = probs * head_mask
    return probs @ value, probs


def prune_linear_layer(layer: nn.Linear, index: torch.Tensor, dim: int) -> nn.Linear:
    """A copy of ``layer`` keeping only rows (dim 0, outputs) or columns (dim 1, inputs) ``index``."""
    weight = layer.weight.index_select(dim, index).detach().clone()
    bias = None if layer.bias is None else (layer.bias if dim == 1 else layer.bias[index]).detach().clone()
    new = nn.Linear(weight.shape[1], weight.shape[0], bias=bias is not None, device=weight.device,
                    dtype=weight.dtype)
    new.weight.data.copy_(weight)
    if bias is not None:
        new.bias.data.copy_(bias)
    return new


def heads_to_keep(num_heads: int, head_size: int, heads: set[int], already_pruned: set[int]) -> tuple[set[int], torch.Tensor]:
    """Which heads to drop now (indices in the original numbering) and the feature index to keep."""
    heads = set(heads) - already_pruned
    # on the CPU explicitly: the loader prunes while building the model under torch.device("meta")
    mask = torch.ones(num_heads, head_size, device="cpu")
    for head in heads:
        mask[head - sum(1 for pruned in already_pruned if pruned < head)] = 0
    return heads, torch.arange(mask.numel(), device="cpu")[mask.view(-1).eq(1)]


# --- losses (as transformers' loss_utils) --------------------------------------------------------------------


def sequence_classification_loss(config: PretrainedConfig, logits: torch.Tensor, labels: torch.Tensor) -> torch.Tensor:
    """Regression, single- or multi-label loss, from ``config.problem_type`` (inferred and stored on first
    use, as transformers does)."""
    num_labels = config.num_labels
    if config.problem_type is None:
        if num_labels == 1:
            config.problem_type = "regression"
        elif labels.dtype in (torch.long, torch.int):
            config.problem_type = "single_label_classification"
        else:
            config.problem_type = "multi_label_classification"
    labels = labels.to(logits.device)
    if config.problem_type == "regression":
        if num_labels == 1:
            return F.mse_loss(logits.squeeze(), labels.squeeze().to(logits.dtype))
        return F.mse_loss(logits, labels.to(logits.dtype))
    if config.problem_type == "single_label_classification":
        return F.cross_entropy(logits.view(-1, num_labels).float(), labels.view(-1), ignore_index=-100)
    return F.binary_cross_entropy_with_logits(logits, labels.to(logits.dtype))


def token_classification_loss(logits: torch.Tensor, labels: torch.Tensor) -> torch.Tensor:
    """Cross-entropy over every token; label -100 is ignored (padding, sub-words)."""
    return F.cross_entropy(logits.reshape(-1, logits.shape[-1]).float(), labels.reshape(-1).to(logits.device),
                           ignore_index=-100)


def span_loss(start_logits: torch.Tensor, end_logits: torch.Tensor, start_positions: torch.Tensor,
              end_positions: torch.Tensor) -> torch.Tensor:
    """Question answering: mean of the start and end cross-entropies; positions outside the text ignored."""
    ignored = start_logits.size(1)
    start = start_positions.reshape(-1).clamp(0, ignored).to(start_logits.device)
    end = end_positions.reshape(-1).clamp(0, ignored).to(end_logits.device)
    return (F.cross_entropy(start_logits, start, ignore_index=ignored)
            + F.cross_entropy(end_logits, end, ignore_index=ignored)) / 2
