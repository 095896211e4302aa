"""What every tokenizer has whatever its backend: transformers' tokenizer API that does not tokenize.

:class:`PreTrainedTokenizerBase` keeps the named special tokens and their ids, ``model_max_length``, the padding
and truncation sides and the settings it was built with; it reads ``padding=`` / ``truncation=`` /
``max_length=`` as transformers does, pads encoded inputs, saves tokenizer_config.json, and loads: its
``from_pretrained`` opens the checkpoint, lets the backend read its files, and builds the tokenizer. The two
backends subclass it: :mod:`.tokenizers_backend` (the ``tokenizers`` library) and :mod:`.python_backend`.
"""

from __future__ import annotations

import logging
import os
import warnings
from abc import ABC, abstractmethod
from collections.abc import Mapping
from pathlib import Path
from typing import Any, ClassVar

from tokenizers import AddedToken

from .. import errors
from ..batch import PADDING_STRATEGIES
from ..hub import Checkpoint, pop_hub_kwargs, refuse_remote_code
from ..resolution import open_checkpoint
from ..trace import ResolutionTrace
from .batch_encoding import BatchEncoding
from .chat_template import (
    check_chat_template,
    normalize_messages,
    pick_chat_template,
    read_chat_template,
    render,
    write_chat_templates,
)
from .files import SPECIAL_TOKENS_ATTRIBUTES, TOKENIZER_CONFIG, as_token, record_max_length, write_json

logger = logging.getLogger(__name__)

VERY_LARGE_INTEGER = int(1e30)  # transformers' model_max_length when a checkpoint sets none: no limit
LARGE_INTEGER = int(1e20)  # above this, model_max_length means "no limit"

TRUNCATION_STRATEGIES = ("longest_first", "only_first", "only_second", "do_not_truncate")
_PADDING_OF = {True: "longest", False: "do_not_pad", None: "do_not_pad"}
_TRUNCATION_OF = {True: "longest_first", False: "do_not_truncate", None: "do_not_truncate"}
SIDES = ("right", "left")

# from_pretrained arguments of transformers that do not change the tokenizer
_LOADER_ONLY_KWARGS = ("use_fast", "proxies", "code_revision", "_from_auto", "_from_pipeline")
_CLEAN_UP = (  # transformers' clean_up_tokenization: (what WordPiece decoding leaves, what it becomes)
    (" .", "."), (" ?", "?"), (" !", "!"), (" ,", ","), (" ' ", "'"),
    (" n't", "n't"), (" 'm", "'m"), (" 's", "'s"), (" 've", "'ve"), (" 're", "'re"),
)


class _SpecialToken:
    """A named special token (``cls_token``) or its id (``cls_token_id``), stored in ``_special_tokens``."""

    def __set_name__(self, owner: type, name: str) -> None:
        self.name = name
        self.key = name.removesuffix("_id")

    def __get__(self, tokenizer: PreTrainedTokenizerBase | None, owner: type | None = None) -> Any:
        if tokenizer is None:
            return self
        token = tokenizer._special_tokens.get(self.key)
        if token is None:
            return None
        return str(token) if self.name == self.key else tokenizer.convert_tokens_to_ids(str(token))

    def __set__(self, tokenizer: PreTrainedTokenizerBase, value: Any) -> None:
        if value is not None and self.name != self.key:
            value = tokenizer.convert_ids_to_tokens(value)
        if value is not None and not isinstance(value, (str, AddedToken)):
            raise errors.TokenizerInputError(
                f"{self.key} must be a str or an AddedToken, not {type(value).__name__}."
            )
        tokenizer._special_tokens[self.key] = value


class PreTrainedTokenizerBase(ABC):
    """transformers' tokenizer API apart from tokenizing: special tokens, settings, padding, saving, loading.
    A backend implements the vocabulary (ids <-> tokens, added tokens) and the call."""

    model_input_names: ClassVar[list[str]] = ["input_ids", "attention_mask"]
    default_special_tokens: ClassVar[dict[str, str]] = {}
    # saved as additional_special_tokens (transformers' fast tokenizers) or extra_special_tokens (its v5 slow ones)
    extra_special_tokens_key: ClassVar[str] = "additional_special_tokens"

    bos_token, bos_token_id = _SpecialToken(), _SpecialToken()
    eos_token, eos_token_id = _SpecialToken(), _SpecialToken()
    unk_token, unk_token_id = _SpecialToken(), _SpecialToken()
    sep_token, sep_token_id = _SpecialToken(), _SpecialToken()
    pad_token, pad_token_id = _SpecialToken(), _SpecialToken()
    cls_token, cls_token_id = _SpecialToken(), _SpecialToken()
    mask_token, mask_token_id = _SpecialToken(), _SpecialToken()

    def __init__(self, *, name_or_path: str | os.PathLike = "", **settings: Any) -> None:
        """Take the settings every tokenizer has out of ``settings``; the rest is kept as ``init_kwargs``."""
        settings = {**self.default_special_tokens, **settings}
        self.name_or_path = os.fspath(name_or_path)
        self.resolution_trace: ResolutionTrace | None = None  # set by from_pretrained
        self._special_tokens: dict[str, str | AddedToken | None] = {}
        for key in SPECIAL_TOKENS_ATTRIBUTES:
            setattr(self, key, as_token(settings.pop(key, None), key, "the settings"))
        extras = settings.pop("extra_special_tokens", settings.pop("additional_special_tokens", None)) or []
        self._extra_special_tokens = [as_token(token, "extra_special_tokens", "the settings") for token in extras]
        self.model_max_length = _max_length_setting(settings.pop("model_max_length", None))
        self.padding_side = check_side(settings.pop("padding_side", "right"), "padding_side")
        self.truncation_side = check_side(settings.pop("truncation_side", "right"), "truncation_side")
        self.model_input_names = _input_names(settings.pop("model_input_names", self.model_input_names))
        self.clean_up_tokenization_spaces = bool(settings.pop("clean_up_tokenization_spaces", False))
        self.split_special_tokens = bool(settings.pop("split_special_tokens", False))
        self.chat_template = settings.pop("chat_template", None)
        self.init_kwargs = settings  # everything else is kept as given, and saved back
        self._warned: set[str] = set()  # warnings given once per tokenizer, as transformers does

    # --- loading ------------------------------------------------------------------------------------------

    @classmethod
    def from_pretrained(
        cls, pretrained_model_name_or_path: str | os.PathLike | Checkpoint, *init_inputs: Any, **kwargs: Any
    ) -> PreTrainedTokenizerBase:
        """Load from a folder, a Hub id (through the cache) or an open :class:`Checkpoint` (sharing its trace).
        Keyword arguments override tokenizer_config.json (``do_lower_case=False``, ``model_max_length=``...)."""
        if init_inputs:
            raise errors.TokenizerInputError(
                f"{cls.__name__}.from_pretrained takes its settings as keyword arguments, not positionally."
            )
        checkpoint = open_checkpoint(pretrained_model_name_or_path, **pop_hub_kwargs(kwargs))
        refuse_remote_code(kwargs)
        for name in _LOADER_ONLY_KWARGS:  # accepted for transformers' signature; nothing to do with them here
            kwargs.pop(name, None)
        model_parts, settings, added_tokens = cls._read_checkpoint(checkpoint, kwargs)
        record_max_length(checkpoint, settings, kwargs)
        template_source = read_chat_template(checkpoint, settings, kwargs)
        tokenizer = cls(name_or_path=checkpoint.reference, added_tokens_decoder=added_tokens, **model_parts, **settings)
        tokenizer._chat_template_source = template_source  # errors in the template name its file
        tokenizer.resolution_trace = checkpoint.trace
        return tokenizer

    @classmethod
    @abstractmethod
    def _read_checkpoint(
        cls, checkpoint: Checkpoint, kwargs: dict[str, Any]
    ) -> tuple[dict[str, Any], dict[str, Any], dict[int, AddedToken]]:
        """The backend's files: what ``cls(...)`` needs of the vocabulary, the settings (``kwargs`` winning)
        and the added tokens by id."""

    # --- vocabulary (the backend's) -----------------------------------------------------------------------

    @property
    @abstractmethod
    def vocab_size(self) -> int:
        """The base vocabulary, without added tokens."""

    @property
    @abstractmethod
    def added_tokens_decoder(self) -> dict[int, AddedToken]:
        """The added tokens by id, in id order."""

    @abstractmethod
    def convert_tokens_to_ids(self, tokens: str | list[str]) -> int | None | list[int | None]:
        """The id of a token (or of each token of a list)."""

    @abstractmethod
    def convert_ids_to_tokens(self, ids: int | list[int], skip_special_tokens: bool = False) -> Any:
        """The token of an id (or of each id of a list)."""

    @abstractmethod
    def __call__(self, text: Any = None, text_pair: Any = None, **kwargs: Any) -> BatchEncoding:
        """Encode text (the backend's tokenization)."""

    def __bool__(self) -> bool:
        return True

    @property
    def added_tokens_encoder(self) -> dict[str, int]:
        return {token.content: index for index, token in sorted(self.added_tokens_decoder.items())}

    def get_added_vocab(self) -> dict[str, int]:
        return self.added_tokens_encoder

    # --- special tokens -----------------------------------------------------------------------------------

    @property
    def pad_token_type_id(self) -> int:
        return 0

    @property
    def extra_special_tokens(self) -> list[str]:
        """Special tokens without a name (v5's name for ``additional_special_tokens``)."""
        return [str(token) for token in self._extra_special_tokens]

    @extra_special_tokens.setter
    def extra_special_tokens(self, tokens: list[str | AddedToken] | None) -> None:
        self._extra_special_tokens = list(tokens or [])

    @property
    def special_tokens_map(self) -> dict[str, str]:
        """The named special tokens that are set, as strings."""
        return {key: str(token) for key, token in self._special_tokens.items() if token is not None}

    @property
    def all_special_tokens(self) -> list[str]:
        tokens = [*self.special_tokens_map.values(), *self.extra_special_tokens]
        return list(dict.fromkeys(tokens))

    @property
    def all_special_ids(self) -> list[int]:
        return self.convert_tokens_to_ids(self.all_special_tokens)

    # --- encoding -----------------------------------------------------------------------------------------

    def encode(
        self,
        text: str | list[str],
        text_pair: str | list[str] | None = None,
        add_special_tokens: bool = True,
        padding: bool | str = False,
        truncation: bool | str | None = None,
        max_length: int | None = None,
        **kwargs: Any,
    ) -> list[int] | Any:
        """The ``input_ids`` of one input (other arguments as for a call)."""
        return self(
            text, text_pair, add_special_tokens=add_special_tokens, padding=padding, truncation=truncation,
            max_length=max_length, **kwargs,
        )["input_ids"]

    def _strategies(
        self, padding: Any, truncation: Any, max_length: int | None, pad_to_multiple_of: int | None, verbose: bool
    ) -> tuple[str, str, int | None]:
        """transformers' reading of padding / truncation / max_length, its defaults and its refusals."""
        if max_length is not None and padding is False and truncation is None:
            truncation = "longest_first"  # max_length alone turns truncation on
        no_truncation = truncation in (None, False, "do_not_truncate")
        if padding is True and max_length is not None and no_truncation and verbose:
            warnings.warn(
                "`max_length` is ignored when `padding`=`True` and there is no truncation strategy. "
                "To pad to max length, use `padding='max_length'`.",
                stacklevel=3,
            )
        padding = _strategy(padding, _PADDING_OF, PADDING_STRATEGIES, "padding")
        truncation = _strategy(truncation, _TRUNCATION_OF, TRUNCATION_STRATEGIES, "truncation")
        if max_length is None:  # both fall back on model_max_length, or are off when it means "no limit"
            unlimited = self.model_max_length > LARGE_INTEGER
            if padding == "max_length":
                padding, max_length = ("do_not_pad", None) if unlimited else (padding, self.model_max_length)
            if truncation != "do_not_truncate":
                if unlimited:
                    truncation = "do_not_truncate"
                else:
                    max_length = self.model_max_length
        pad_id = self.pad_token_id
        if padding != "do_not_pad" and (self.pad_token is None or pad_id is None or pad_id < 0):
            raise errors.TokenizerInputError(
                "Asking to pad but the tokenizer does not have a padding token. Please select a token to use as "
                "`pad_token` `(tokenizer.pad_token = tokenizer.eos_token e.g.)` or add a new pad token via "
                "`tokenizer.add_special_tokens({'pad_token': '[PAD]'})`."
            )
        if (
            truncation != "do_not_truncate" and padding != "do_not_pad" and pad_to_multiple_of is not None
            and max_length is not None and max_length % pad_to_multiple_of != 0
        ):
            raise errors.TokenizerInputError(
                "Truncation and padding are both activated but truncation length "
                f"({max_length}) is not a multiple of pad_to_multiple_of ({pad_to_multiple_of})."
            )
        return padding, truncation, max_length

    def _warn_if_too_long(self, ids: list[int], max_length: int | None, verbose: bool) -> None:
        if max_length is None and verbose and 0 < self.model_max_length < len(ids):
            self._warn_once(
                "too long",
                "Token indices sequence length is longer than the specified maximum sequence length for this "
                f"model ({len(ids)} > {self.model_max_length}). Running this sequence through the model will "
                "result in indexing errors",
            )

    def _warn_once(self, key: str, message: str) -> None:
        errors.warn_once(logger, message, self._warned, key)

    # --- padding encoded inputs ---------------------------------------------------------------------------

    def pad(
        self,
        encoded_inputs: Mapping[str, Any] | list[Mapping[str, Any]],
        padding: bool | str = True,
        max_length: int | None = None,
        pad_to_multiple_of: int | None = None,
        padding_side: str | None = None,
        return_attention_mask: bool | None = None,
        return_tensors: str | None = None,
        verbose: bool = True,
    ) -> BatchEncoding:
        """Pad already encoded inputs (one, a batch, or a list of examples as a collate function gets them)."""
        if isinstance(encoded_inputs, (list, tuple)) and encoded_inputs and isinstance(encoded_inputs[0], Mapping):
            encoded_inputs = {key: [example[key] for example in encoded_inputs] for key in encoded_inputs[0]}
        if padding_side is not None:
            check_side(padding_side, "padding_side", errors.TokenizerInputError)
        main_input = self.model_input_names[0]
        if main_input not in encoded_inputs:
            raise errors.TokenizerInputError(
                f"pad() needs the encodings' {main_input!r}, but got only {list(encoded_inputs)}."
            )
        required = encoded_inputs[main_input]
        if required is None or len(required) == 0:
            empty = dict(encoded_inputs)
            if return_attention_mask:
                empty["attention_mask"] = []
            return BatchEncoding(empty)
        return_tensors = return_tensors or _tensor_kind_of(required)
        inputs = {key: to_python(value) for key, value in encoded_inputs.items()}
        padding, _, max_length = self._strategies(padding, None, max_length, None, verbose)
        options = {"pad_to_multiple_of": pad_to_multiple_of, "padding_side": padding_side,
                   "return_attention_mask": return_attention_mask}
        required = inputs[main_input]
        if not isinstance(required[0], (list, tuple)):
            return BatchEncoding(self._pad_one(inputs, padding, max_length, **options), tensor_type=return_tensors)
        if any(len(value) != len(required) for value in inputs.values()):
            raise errors.TokenizerInputError("pad(): the fields of the batch have different numbers of rows.")
        if padding == "longest":
            padding, max_length = "max_length", max(len(row) for row in required)
        rows = [self._pad_one({key: value[i] for key, value in inputs.items()}, padding, max_length, **options)
                for i in range(len(required))]
        batch = {key: [row[key] for row in rows] for key in rows[0]}
        return BatchEncoding(batch, tensor_type=return_tensors)

    def _pad_one(
        self, inputs: dict[str, Any], padding: str, max_length: int | None, pad_to_multiple_of: int | None,
        padding_side: str | None, return_attention_mask: bool | None,
    ) -> dict[str, Any]:
        main_input = self.model_input_names[0]
        required = inputs[main_input]
        if padding == "longest":
            max_length = len(required)
        if max_length is not None and pad_to_multiple_of is not None and max_length % pad_to_multiple_of:
            max_length = (max_length // pad_to_multiple_of + 1) * pad_to_multiple_of
        with_mask = default_if_none(return_attention_mask, "attention_mask" in self.model_input_names)
        if with_mask and "attention_mask" not in inputs:
            inputs["attention_mask"] = [1] * len(required)
        if padding == "do_not_pad" or max_length is None or len(required) >= max_length:
            return inputs
        fill = {main_input: self.pad_token_id, "token_type_ids": self.pad_token_type_id, "special_tokens_mask": 1}
        if with_mask:
            fill["attention_mask"] = 0  # as transformers: a mask not asked for is left as it is
        missing = max_length - len(required)
        left = (padding_side or self.padding_side) == "left"
        for key, value in fill.items():
            if key in inputs:
                padding_values = [value] * missing
                inputs[key] = padding_values + list(inputs[key]) if left else list(inputs[key]) + padding_values
        return inputs

    # --- chat templates -----------------------------------------------------------------------------------

    @property
    def chat_template(self) -> str | dict[str, str] | None:
        """The Jinja template (or named templates) that turns a conversation into the model's prompt."""
        return self._chat_template

    @chat_template.setter
    def chat_template(self, value: str | dict[str, str] | None) -> None:
        self._chat_template = check_chat_template(value, "tokenizer.chat_template")
        self._chat_template_source = "tokenizer.chat_template"

    def get_chat_template(self, chat_template: str | None = None, tools: list[dict[str, Any]] | None = None) -> str:
        """The template ``apply_chat_template`` renders: ``chat_template`` (a template, or the name of one of
        several), else the tokenizer's (with tools, its ``tool_use`` template if it has one)."""
        return pick_chat_template(self.chat_template, chat_template, tools, self._chat_template_source)[0]

    def apply_chat_template(
        self,
        conversation: list[dict[str, Any]] | list[list[dict[str, Any]]],
        tools: list[dict[str, Any]] | None = None,
        documents: list[dict[str, str]] | None = None,
        chat_template: str | None = None,
        add_generation_prompt: bool = False,
        continue_final_message: bool | str = False,
        tokenize: bool = True,
        padding: bool | str = False,
        truncation: bool | str = False,
        max_length: int | None = None,
        return_tensors: str | None = None,
        return_dict: bool = True,
        tokenizer_kwargs: dict[str, Any] | None = None,
        **kwargs: Any,
    ) -> str | list[str] | list[int] | list[list[int]] | BatchEncoding:
        """Render a conversation (a list of ``{"role": ..., "content": ...}`` messages), or a batch of them, with
        the chat template, and tokenize the prompt (no special tokens added: the template writes them). Other
        keyword arguments are the template's variables (they override the special tokens of the same name)."""
        for unsupported in ("return_assistant_tokens_mask", "sanitize_control_tokens"):
            if kwargs.pop(unsupported, False):
                raise errors.TokenizerInputError(f"apply_chat_template: explorer does not support {unsupported}.")
        if continue_final_message and add_generation_prompt:
            raise errors.TokenizerInputError(
                "continue_final_message and add_generation_prompt cannot be used together: continue the final "
                "message, or add a header that starts a new assistant message."
            )
        template, source = pick_chat_template(self.chat_template, chat_template, tools, self._chat_template_source)
        if isinstance(conversation, (list, tuple)) and not conversation:
            raise errors.TokenizerInputError("apply_chat_template: the conversation is empty; give it a message.")
        is_batched = isinstance(conversation, (list, tuple)) and (
            isinstance(conversation[0], (list, tuple)) or hasattr(conversation[0], "messages"))
        conversations = [normalize_messages(chat) for chat in (conversation if is_batched else [conversation])]
        rendered = render(
            conversations, template, source, tools=tools, documents=documents,
            add_generation_prompt=add_generation_prompt, continue_final_message=continue_final_message,
            **{**self.special_tokens_map, **kwargs},
        )
        prompt = rendered if is_batched else rendered[0]
        if not tokenize:
            return prompt
        encoded = self(prompt, padding=padding, truncation=truncation, max_length=max_length,
                       add_special_tokens=False, return_tensors=return_tensors, **(tokenizer_kwargs or {}))
        return encoded if return_dict else encoded["input_ids"]

    # --- decoding -----------------------------------------------------------------------------------------

    @staticmethod
    def clean_up_tokenization(text: str) -> str:
        """Remove the spaces WordPiece decoding leaves before punctuation and English contractions."""
        for spaced, joined in _CLEAN_UP:
            text = text.replace(spaced, joined)
        return text

    # --- saving -------------------------------------------------------------------------------------------

    def save_pretrained(self, save_directory: str | os.PathLike) -> tuple[str, ...]:
        """Write tokenizer_config.json and the backend's files, which transformers' AutoTokenizer loads back to
        the same tokenizer; returns the paths written."""
        folder = Path(save_directory)
        folder.mkdir(parents=True, exist_ok=True)
        config = write_json(folder / TOKENIZER_CONFIG, self._config_to_save())
        return (config, *write_chat_templates(folder, self.chat_template), *self._save_backend_files(folder))

    @abstractmethod
    def _save_backend_files(self, folder: Path) -> list[str]:
        """Write the files the backend loads from (its vocabulary...); returns their paths."""

    def _config_to_save(self) -> dict[str, Any]:
        return {
            **self.init_kwargs,
            **self._backend_settings_to_save(),
            "model_max_length": self.model_max_length,
            "padding_side": self.padding_side,
            "truncation_side": self.truncation_side,
            "model_input_names": self.model_input_names,
            "clean_up_tokenization_spaces": self.clean_up_tokenization_spaces,
            "split_special_tokens": self.split_special_tokens,
            **self._special_tokens_to_save(),
            "added_tokens_decoder": {str(i): token.__getstate__() for i, token in self.added_tokens_decoder.items()},
            # transformers names the class without "Fast" (its slow and fast classes are one since v5)
            "tokenizer_class": self._saved_class_name(),
        }

    @abstractmethod
    def _backend_settings_to_save(self) -> dict[str, Any]:
        """The backend's own settings, as tokenizer_config.json keeps them."""

    def _saved_class_name(self) -> str:
        return type(self).__name__.removesuffix("Fast")

    def _special_tokens_to_save(self) -> dict[str, Any]:
        # a class default that is unset is saved as null, or loading would bring the default back
        tokens: dict[str, Any] = {key: None for key in self.default_special_tokens if self._special_tokens[key] is None}
        tokens.update(self.special_tokens_map)
        if self._extra_special_tokens:
            tokens[self.extra_special_tokens_key] = self.extra_special_tokens
        return tokens

    def __repr__(self) -> str:
        added = "\n\t".join(f"{index}: {token!r}," for index, token in self.added_tokens_decoder.items())
        added = f"\n\t{added}\n" if added else ""
        return (
            f"{type(self).__name__}(name_or_path='{self.name_or_path}', vocab_size={self.vocab_size}, "
            f"model_max_length={self.model_max_length}, padding_side='{self.padding_side}', "
            f"truncation_side='{self.truncation_side}', special_tokens={self.special_tokens_map}, "
            f"added_tokens_decoder={{{added}}})"
        )


# --- helpers ----------------------------------------------------------------------------------------------


def check_side(value: Any, name: str, error: type[errors.ExplorerError] = errors.ConfigValueError) -> str:
    """``value`` if it is a padding / truncation side ('right' or 'left'), else ``error``."""
    if value not in SIDES:
        raise error(f"{name} must be 'right' or 'left', not {value!r}.")
    return value


def default_if_none(value: bool | None, default: bool) -> bool:
    """An optional ``return_...`` argument: None means the tokenizer's default."""
    return default if value is None else value


def to_python(value: Any) -> Any:
    """Tensors, arrays and numpy scalars as Python lists and ints."""
    if hasattr(value, "tolist"):
        value = value.tolist()  # an object array (ragged rows) gives arrays: they are converted below
    if isinstance(value, Mapping):
        return {key: to_python(item) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return [to_python(item) for item in value]
    return value


def _strategy(value: Any, named: dict[Any, str], allowed: tuple[str, ...], argument: str) -> str:
    if isinstance(value, bool) or value is None:
        return named[value]
    value = getattr(value, "value", value)  # transformers' PaddingStrategy / TruncationStrategy enums
    if value not in allowed:
        raise errors.TokenizerInputError(
            f"{argument}={value!r} is not valid; use True, False or one of {', '.join(map(repr, allowed))}."
        )
    return value


def _input_names(value: Any) -> list[str]:
    if not isinstance(value, (list, tuple)) or not all(isinstance(name, str) for name in value):
        raise errors.ConfigValueError(f"model_input_names must be a list of names, not {value!r}.")
    return list(value)


def _max_length_setting(value: Any) -> int:
    if value is None:
        return VERY_LARGE_INTEGER
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise errors.ConfigValueError(f"model_max_length must be a non-negative integer, not {value!r}.")
    return value


def _tensor_kind_of(value: Any) -> str | None:
    """'pt' or 'np' if ``value`` (or its first row) is a torch tensor or a numpy array: pad() keeps the kind."""
    first = value[0] if isinstance(value, (list, tuple)) and value else value
    module = type(first).__module__.split(".")[0]
    return {"torch": "pt", "numpy": "np"}.get(module)
