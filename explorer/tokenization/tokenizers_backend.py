"""The ``tokenizers``-library backend: :class:`PreTrainedTokenizerFast` (transformers v5: ``TokenizersBackend``).

A tokenizer here is a ``tokenizers.Tokenizer`` (normalizer, pre-tokenizer, model, post-processor, decoder) plus
what :class:`~explorer.tokenization.base.PreTrainedTokenizerBase` keeps around it; each call turns ``padding=`` /
``truncation=`` / ``max_length=`` into the backend's settings for that call. This class uses ``tokenizer.json``
as it is. Like transformers v5, a model-specific subclass (:mod:`.bert`, :mod:`.roberta`...) takes only the
*vocabulary* from ``tokenizer.json`` (or from ``vocab.txt``, ``vocab.json`` + ``merges.txt``) and rebuilds the
rest of the pipeline from its settings (:meth:`_build`, :meth:`_post_processor`), so ``do_lower_case=False``
always takes effect.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any, ClassVar

from tokenizers import AddedToken, Tokenizer, processors

from .. import errors
from ..hub import Checkpoint
from .base import PreTrainedTokenizerBase, check_side, default_if_none, to_python
from .batch_encoding import BatchEncoding
from .files import (
    SPECIAL_TOKENS_ATTRIBUTES,
    SPECIAL_TOKENS_MAP_FILE,
    STAGE,
    TOKENIZER_FILE,
    backend_call,
    no_tokenizer_json,
    read_settings,
    read_tokenizer_json,
    sides_of,
    write_json,
)

_ENCODING_FIELDS = {  # output field -> the tokenizers.Encoding attribute that holds it
    "input_ids": "ids",
    "token_type_ids": "type_ids",
    "attention_mask": "attention_mask",
    "special_tokens_mask": "special_tokens_mask",
    "offset_mapping": "offsets",
}


class PreTrainedTokenizerFast(PreTrainedTokenizerBase):
    """A ``tokenizers.Tokenizer`` with transformers' tokenizer API. This class uses ``tokenizer.json`` as it is;
    model-specific subclasses rebuild the pipeline around the vocabulary (see the module docstring)."""

    # the settings that shape a subclass's pipeline, with their defaults (e.g. BERT's do_lower_case)
    backend_settings: ClassVar[dict[str, Any]] = {}
    model_kind: ClassVar[str | None] = None  # the tokenizers model a subclass builds: "WordPiece", "BPE", "Unigram"

    def __init__(
        self,
        tokenizer_object: Tokenizer | None = None,
        *,
        vocab: Any = None,
        merges: list[tuple[str, str]] | None = None,
        added_tokens_decoder: Mapping[int, AddedToken] | None = None,
        post_processor: processors.PostProcessor | None = None,
        **settings: Any,
    ) -> None:
        super().__init__(**settings)
        for key, default in self.backend_settings.items():  # kept in init_kwargs too, as transformers does
            setattr(self, key, self.init_kwargs.get(key, default))
        # given, they replace the post-processor with transformers' template of bos/eos (saved in tokenizer.json)
        self._bos_eos_given = "add_bos_token" in self.init_kwargs or "add_eos_token" in self.init_kwargs
        self._add_bos_token = _flag(self.init_kwargs.pop("add_bos_token", False), "add_bos_token")
        self._add_eos_token = _flag(self.init_kwargs.pop("add_eos_token", False), "add_eos_token")
        self._tokenizer = tokenizer_object if tokenizer_object is not None else self._build(vocab, merges)
        if post_processor is not None:  # tokenizer.json's, for a subclass that rebuilds the rest of the pipeline
            self._tokenizer.post_processor = post_processor
        self._add_initial_tokens(added_tokens_decoder or {})
        self._tokenizer.encode_special_tokens = self.split_special_tokens
        post_processor = self._post_processor()
        if post_processor is not None:
            self._tokenizer.post_processor = post_processor

    # --- loading ------------------------------------------------------------------------------------------

    @classmethod
    def _read_checkpoint(
        cls, checkpoint: Checkpoint, kwargs: dict[str, Any]
    ) -> tuple[dict[str, Any], dict[str, Any], dict[int, AddedToken]]:
        """tokenizer.json (or the vocabulary files a subclass builds from), then the settings; the sides saved
        in tokenizer.json are the defaults of padding_side and truncation_side."""
        tokenizer_json = read_tokenizer_json(checkpoint)
        data, backend = tokenizer_json if tokenizer_json is not None else (None, None)
        settings, added_tokens = read_settings(checkpoint, kwargs, data)
        if data is None:
            return cls._model_from_vocab_files(checkpoint), settings, added_tokens
        for key in ("add_bos_token", "add_eos_token"):  # tokenizer.json's post-processor has them (transformers)
            if key not in kwargs:
                settings.pop(key, None)
        settings.update({key: value for key, value in sides_of(data).items() if key not in settings})
        return cls._model_from_json(checkpoint, data, backend), settings, added_tokens

    @classmethod
    def _model_from_json(cls, checkpoint: Checkpoint, data: dict[str, Any], backend: Tokenizer) -> dict[str, Any]:
        """What ``cls(...)`` needs from tokenizer.json: here the whole backend; subclasses take the vocabulary."""
        checkpoint.trace.decide(
            STAGE, checkpoint.name_of(TOKENIZER_FILE), "", None, "fast tokenizer from tokenizer.json"
        )
        return {"tokenizer_object": backend}

    @classmethod
    def _model_from_vocab_files(cls, checkpoint: Checkpoint) -> dict[str, Any]:
        raise no_tokenizer_json(checkpoint, f"{cls.__name__} cannot be built from other vocabulary files")

    def _build(self, vocab: Any, merges: list[tuple[str, str]] | None) -> Tokenizer:
        """The backend pipeline around ``vocab`` (and ``merges``); subclasses that build one override this."""
        raise errors.TokenizerInputError(
            f"{type(self).__name__} needs a tokenizers.Tokenizer: pass tokenizer_object=, or use from_pretrained."
        )

    def _post_processor(self) -> processors.PostProcessor | None:
        """The post-processor a subclass sets (after the special tokens are known); None keeps the backend's.
        Here, as transformers' TokenizersBackend: bos/eos framing when add_bos_token / add_eos_token are given or
        the backend has no post-processor."""
        if self._bos_eos_given or self._tokenizer.post_processor is None:
            return self._bos_eos_template()
        return None

    def _bos_eos_template(self) -> processors.TemplateProcessing:
        """``bos $A eos`` (pairs: ``bos $A eos bos $B eos``) with what add_bos_token / add_eos_token ask for; a
        flag whose token is not set is turned off."""
        self._add_bos_token = self._add_bos_token and self.bos_token is not None
        self._add_eos_token = self._add_eos_token and self.eos_token is not None
        bos = [self.bos_token] if self._add_bos_token else []
        eos = [self.eos_token] if self._add_eos_token else []
        single = " ".join([*(f"{token}:0" for token in bos), "$A:0", *(f"{token}:0" for token in eos)])
        pair = " ".join([single, *(f"{token}:1" for token in bos), "$B:1", *(f"{token}:1" for token in eos)])
        special = [(token, self.convert_tokens_to_ids(token)) for token in [*bos, *eos]]
        return processors.TemplateProcessing(single=single, pair=pair, special_tokens=special)

    @property
    def add_bos_token(self) -> bool:
        return self._add_bos_token

    @add_bos_token.setter
    def add_bos_token(self, value: bool) -> None:
        self._add_bos_token = _flag(value, "add_bos_token", errors.TokenizerInputError)
        self._tokenizer.post_processor = self._bos_eos_template()

    @property
    def add_eos_token(self) -> bool:
        return self._add_eos_token

    @add_eos_token.setter
    def add_eos_token(self, value: bool) -> None:
        self._add_eos_token = _flag(value, "add_eos_token", errors.TokenizerInputError)
        self._tokenizer.post_processor = self._bos_eos_template()

    def _add_initial_tokens(self, added_tokens_decoder: Mapping[int, AddedToken]) -> None:
        """Register the saved added tokens in id order, then any special token the vocabulary lacks."""
        tokens = [added_tokens_decoder[index] for index in sorted(added_tokens_decoder)]
        present = set(self.added_tokens_encoder) | {str(token) for token in tokens}
        for token in [*self._special_tokens.values(), *self._extra_special_tokens]:
            if token is not None and str(token) not in present:
                tokens.append(AddedToken(token, special=True) if isinstance(token, str) else token)
                present.add(str(token))
        named = {str(token) for token in self._special_tokens.values() if token is not None}
        for token in tokens:
            if not token.special and str(token) in named:
                token.special = True
        if tokens:
            self._tokenizer.add_tokens(tokens)

    # --- vocabulary ---------------------------------------------------------------------------------------

    @property
    def backend_tokenizer(self) -> Tokenizer:
        return self._tokenizer

    @property
    def decoder(self) -> Any:
        return self._tokenizer.decoder

    @property
    def is_fast(self) -> bool:
        return True

    @property
    def vocab_size(self) -> int:
        """The base vocabulary, without added tokens."""
        return self._tokenizer.get_vocab_size(with_added_tokens=False)

    def __len__(self) -> int:
        """The full vocabulary, with added tokens."""
        return self._tokenizer.get_vocab_size(with_added_tokens=True)

    def get_vocab(self) -> dict[str, int]:
        return self._tokenizer.get_vocab(with_added_tokens=True)

    @property
    def vocab(self) -> dict[str, int]:
        return self.get_vocab()

    @property
    def added_tokens_decoder(self) -> dict[int, AddedToken]:
        return self._tokenizer.get_added_tokens_decoder()

    def convert_tokens_to_ids(self, tokens: str | list[str]) -> int | None | list[int | None]:
        if isinstance(tokens, str):
            index = self._tokenizer.token_to_id(tokens)
            return index if index is not None else self.unk_token_id
        return [self.convert_tokens_to_ids(token) for token in tokens]

    def convert_ids_to_tokens(self, ids: int | list[int], skip_special_tokens: bool = False) -> str | None | list[str]:
        ids = to_python(ids)
        if isinstance(ids, int):
            return backend_call(self._tokenizer.id_to_token, ids, failure=_DECODE_FAILURE)
        skipped = set(self.all_special_ids) if skip_special_tokens else set()
        return [
            backend_call(self._tokenizer.id_to_token, index, failure=_DECODE_FAILURE)
            for index in ids
            if index not in skipped
        ]

    def convert_tokens_to_string(self, tokens: list[str]) -> str:
        decoder = self._tokenizer.decoder
        return decoder.decode(tokens) if decoder is not None else " ".join(tokens)

    def num_special_tokens_to_add(self, pair: bool = False) -> int:
        return self._tokenizer.num_special_tokens_to_add(pair)

    @property
    def max_len_single_sentence(self) -> int:
        return self.model_max_length - self.num_special_tokens_to_add(pair=False)

    @property
    def max_len_sentences_pair(self) -> int:
        return self.model_max_length - self.num_special_tokens_to_add(pair=True)

    # --- special tokens -----------------------------------------------------------------------------------

    def add_tokens(self, new_tokens: str | AddedToken | list[str | AddedToken], special_tokens: bool = False) -> int:
        """Add tokens the vocabulary lacks (at its end); returns how many were added."""
        if not new_tokens:
            return 0
        if not isinstance(new_tokens, (list, tuple)):
            new_tokens = [new_tokens]
        add = self._tokenizer.add_special_tokens if special_tokens else self._tokenizer.add_tokens
        return backend_call(add, list(new_tokens), failure="adding tokens failed")

    def add_special_tokens(
        self, special_tokens_dict: Mapping[str, Any], replace_extra_special_tokens: bool = True
    ) -> int:
        """Set named special tokens (``{"pad_token": "[PAD]"}``) and extra ones (``"additional_special_tokens"``
        or ``"extra_special_tokens"``), adding any the vocabulary lacks; returns how many were added."""
        tokens_to_add: list[str | AddedToken] = []
        for key, value in special_tokens_dict.items():
            if key in ("additional_special_tokens", "extra_special_tokens"):
                if not isinstance(value, (list, tuple)):
                    raise errors.TokenizerInputError(f"add_special_tokens: {key} must be a list of tokens.")
                new = [_special_added_token(token, key) for token in value]
                if not replace_extra_special_tokens:
                    new = [token for token in new if str(token) not in self.extra_special_tokens]
                    self._extra_special_tokens.extend(new)
                elif new:
                    self._extra_special_tokens = new
                tokens_to_add.extend(new)
            elif key in SPECIAL_TOKENS_ATTRIBUTES:
                token = _special_added_token(value, key)
                setattr(self, key, token)
                tokens_to_add.append(token)
            else:
                raise errors.TokenizerInputError(
                    f"{key!r} is not a special token name. Use one of {', '.join(SPECIAL_TOKENS_ATTRIBUTES)} "
                    f"or 'additional_special_tokens'.{errors.closest(key, SPECIAL_TOKENS_ATTRIBUTES)}"
                )
        return self.add_tokens(tokens_to_add, special_tokens=True)

    def get_special_tokens_mask(
        self, token_ids_0: list[int], token_ids_1: list[int] | None = None, already_has_special_tokens: bool = False
    ) -> list[int]:
        """1 for each special token of an encoded sequence, 0 otherwise (transformers v5 supports only
        ``already_has_special_tokens=True`` here; use ``return_special_tokens_mask=True`` when encoding)."""
        if not already_has_special_tokens or token_ids_1 is not None:
            raise errors.TokenizerInputError(
                "get_special_tokens_mask needs one sequence that already has its special tokens "
                "(already_has_special_tokens=True); or call the tokenizer with return_special_tokens_mask=True."
            )
        special = set(self.all_special_ids)
        return [1 if int(index) in special else 0 for index in token_ids_0]

    # --- encoding -----------------------------------------------------------------------------------------

    def __call__(
        self,
        text: str | list[str] | list[list[str]] | list[tuple[Any, Any]] | None = None,
        text_pair: str | list[str] | list[list[str]] | None = None,
        *,
        add_special_tokens: bool = True,
        padding: bool | str = False,
        truncation: bool | str | None = None,
        max_length: int | None = None,
        stride: int = 0,
        is_split_into_words: bool = False,
        pad_to_multiple_of: int | None = None,
        padding_side: str | None = None,
        return_tensors: str | None = None,
        return_token_type_ids: bool | None = None,
        return_attention_mask: bool | None = None,
        return_overflowing_tokens: bool = False,
        return_special_tokens_mask: bool = False,
        return_offsets_mapping: bool = False,
        return_length: bool = False,
        verbose: bool = True,
    ) -> BatchEncoding:
        """Tokenize a string, a pair, a batch of strings or a batch of pairs. A single input gives flat lists
        (unless ``return_tensors`` or overflow is asked for); a batch gives one list per row."""
        if text is None:
            raise errors.TokenizerInputError("Pass the text to tokenize: a string, a list of strings or of pairs.")
        padding, truncation, max_length = self._strategies(padding, truncation, max_length, pad_to_multiple_of, verbose)
        if padding_side is not None:
            check_side(padding_side, "padding_side", errors.TokenizerInputError)
        batch, is_batched = _as_batch(text, text_pair, is_split_into_words)
        self._set_backend_strategies(padding, truncation, max_length, stride, pad_to_multiple_of, padding_side)
        encodings = backend_call(
            self._tokenizer.encode_batch,
            batch,
            add_special_tokens=add_special_tokens,
            is_pretokenized=is_split_into_words,
            failure=_ENCODE_FAILURE,
        )
        rows = [[e, *e.overflowing] if return_overflowing_tokens else [e] for e in encodings]
        flat = [encoding for row in rows for encoding in row]
        wanted = {
            "input_ids": True,
            "token_type_ids": default_if_none(return_token_type_ids, "token_type_ids" in self.model_input_names),
            "attention_mask": default_if_none(return_attention_mask, "attention_mask" in self.model_input_names),
            "special_tokens_mask": return_special_tokens_mask,
            "offset_mapping": return_offsets_mapping,
        }
        data = {key: [getattr(e, _ENCODING_FIELDS[key]) for e in flat] for key, on in wanted.items() if on}
        if return_length:
            data["length"] = [len(encoding.ids) for encoding in flat]
        if return_overflowing_tokens:
            data["overflow_to_sample_mapping"] = [index for index, row in enumerate(rows) for _ in row]
        for ids in data["input_ids"]:
            self._warn_if_too_long(ids, max_length, verbose)
        if not is_batched and return_tensors is None and not return_overflowing_tokens:
            # one input: drop the batch level of per-token fields (transformers keeps it for `length`)
            data = {key: value[0] if value and isinstance(value[0], list) else value for key, value in data.items()}
        return BatchEncoding(data, flat, tensor_type=return_tensors)

    def tokenize(self, text: str, pair: str | None = None, add_special_tokens: bool = False) -> list[str]:
        """The token strings of ``text`` (and ``pair``), without special tokens unless asked."""
        return self(text, pair, add_special_tokens=add_special_tokens).tokens()

    def _set_backend_strategies(
        self, padding: str, truncation: str, max_length: int | None, stride: int,
        pad_to_multiple_of: int | None, padding_side: str | None,
    ) -> None:
        """The backend keeps truncation and padding as state: set them for this call."""
        backend = self._tokenizer
        if truncation == "do_not_truncate":
            backend.no_truncation()
        else:
            backend_call(
                backend.enable_truncation, max_length, stride=stride, strategy=truncation,
                direction=self.truncation_side, failure=_ENCODE_FAILURE,
            )
        if padding == "do_not_pad":
            backend.no_padding()
        else:
            backend_call(
                backend.enable_padding,
                direction=padding_side or self.padding_side,
                pad_id=self.pad_token_id,
                pad_type_id=self.pad_token_type_id,
                pad_token=self.pad_token,
                length=max_length if padding == "max_length" else None,
                pad_to_multiple_of=pad_to_multiple_of,
                failure=_ENCODE_FAILURE,
            )

    # --- decoding -----------------------------------------------------------------------------------------

    def decode(
        self, token_ids: Any, skip_special_tokens: bool = False, clean_up_tokenization_spaces: bool | None = None
    ) -> str | list[str]:
        """Ids back to text: one sequence gives a string, a batch (list of lists, 2-D tensor) a list."""
        ids = to_python(token_ids)
        if isinstance(ids, Mapping):
            ids = ids["input_ids"]
        if isinstance(ids, int):
            ids = [ids]
        if ids and isinstance(ids[0], list):
            return [self._decode_one(row, skip_special_tokens, clean_up_tokenization_spaces) for row in ids]
        return self._decode_one(ids, skip_special_tokens, clean_up_tokenization_spaces)

    def batch_decode(
        self, sequences: Any, skip_special_tokens: bool = False, clean_up_tokenization_spaces: bool | None = None
    ) -> list[str]:
        decoded = self.decode(sequences, skip_special_tokens, clean_up_tokenization_spaces)
        return [decoded] if isinstance(decoded, str) else decoded

    def _decode_one(self, ids: list[int], skip_special_tokens: bool, clean_up: bool | None) -> str:
        text = backend_call(
            self._tokenizer.decode, ids, skip_special_tokens=skip_special_tokens, failure=_DECODE_FAILURE
        )
        if not default_if_none(clean_up, self.clean_up_tokenization_spaces):
            return text
        if type(self._tokenizer.model).__name__ == "BPE":
            # transformers skips it for BPE: the clean-up is made for WordPiece and removes real spaces
            self._warn_once("bpe clean-up", f"Ignoring clean_up_tokenization_spaces=True for {type(self).__name__}.")
            return text
        return self.clean_up_tokenization(text)

    # --- saving -------------------------------------------------------------------------------------------

    def _save_backend_files(self, folder: Path) -> list[str]:
        """special_tokens_map.json and tokenizer.json."""
        written = write_json(folder / SPECIAL_TOKENS_MAP_FILE, self._special_tokens_to_save())
        # padding and truncation are per-call state of the backend: save it without them
        self._tokenizer.no_padding()
        self._tokenizer.no_truncation()
        self._tokenizer.save(str(folder / TOKENIZER_FILE))
        return [written, str(folder / TOKENIZER_FILE)]

    def _backend_settings_to_save(self) -> dict[str, Any]:
        return {key: getattr(self, key) for key in self.backend_settings}

    def _saved_class_name(self) -> str:
        return type(self).__name__ if type(self) is PreTrainedTokenizerFast else super()._saved_class_name()


TokenizersBackend = PreTrainedTokenizerFast  # transformers v5's name for the generic fast tokenizer


def tokenizer_class_from_name(name: str) -> type[PreTrainedTokenizerBase] | None:
    """Our class for a ``tokenizer_class`` of tokenizer_config.json ("BertTokenizer", "BertTokenizerFast",
    "TokenizersBackend"...), or None if the registry has none (slow names map to the fast class)."""
    from ..registry import TOKENIZERS

    if name in ("PreTrainedTokenizerFast", "TokenizersBackend"):
        return PreTrainedTokenizerFast
    return TOKENIZERS.by_class_name(name) or TOKENIZERS.by_class_name(name + "Fast")


# --- helpers ----------------------------------------------------------------------------------------------

_ENCODE_FAILURE = (
    "The tokenizers library could not encode this input. Check truncation, max_length and stride against the "
    "inputs: truncation='only_second' needs pairs, max_length must leave room for the special tokens and the "
    "truncated text, and stride must be smaller than what each truncated sequence keeps"
)
_DECODE_FAILURE = "The tokenizers library could not convert these ids; pass non-negative integer token ids"


def settings_call(tokenizer: PreTrainedTokenizerFast, function: Callable[..., Any], **kwargs: Any) -> Any:
    """Build a pipeline part; a vocabulary or a setting it rejects is a ConfigValueError."""
    try:
        return backend_call(function, failure="", **kwargs)
    except errors.TokenizerInputError as exc:
        settings = ", ".join(tokenizer.backend_settings)
        raise errors.ConfigValueError(
            f"{type(tokenizer).__name__}: cannot build {function.__name__} ({exc}). Check the vocabulary "
            f"files and the settings ({settings}) in tokenizer_config.json."
        ) from None


def required_vocab(tokenizer: PreTrainedTokenizerFast, vocab: Any) -> Any:
    """The vocabulary a subclass's ``_build`` was given; an error saying how to give one if it was not."""
    if vocab is None:
        raise errors.TokenizerInputError(
            f"{type(tokenizer).__name__} needs a vocabulary: pass vocab=, or use from_pretrained."
        )
    return vocab


def required_tokens(tokenizer: PreTrainedTokenizerFast, *keys: str) -> list[str]:
    """The special tokens a post-processor frames inputs with; an error naming those that are not set."""
    missing = [key for key in keys if getattr(tokenizer, key) is None]
    if missing:
        raise errors.ConfigValueError(
            f"{type(tokenizer).__name__} needs {' and '.join(missing)} to frame its inputs; set them in "
            "tokenizer_config.json or pass them to from_pretrained."
        )
    return [getattr(tokenizer, key) for key in keys]


def check_model_kind(checkpoint: Checkpoint, cls: type[PreTrainedTokenizerFast], backend: Tokenizer) -> None:
    """A subclass takes the vocabulary of tokenizer.json only when it holds the model the subclass builds on."""
    found = type(backend.model).__name__
    if found != cls.model_kind:
        raise errors.MalformedFileError(
            f"{checkpoint.name_of(TOKENIZER_FILE)} holds a {found} model, but {cls.__name__} builds on "
            f"{cls.model_kind}. Load it with PreTrainedTokenizerFast (which uses the file as it is), or fix "
            "tokenizer_class in tokenizer_config.json."
        )


def _flag(value: Any, name: str, error: type[errors.ExplorerError] = errors.ConfigValueError) -> bool:
    if not isinstance(value, bool):
        raise error(f"{name} must be true or false, not {value!r} (tokenizer_config.json or the arguments).")
    return value


def _special_added_token(value: Any, key: str) -> AddedToken:
    if isinstance(value, AddedToken):
        return value
    if isinstance(value, str):
        return AddedToken(value, rstrip=False, lstrip=False, normalized=False, special=True)
    raise errors.TokenizerInputError(f"add_special_tokens: {key} must be a str or an AddedToken, not {value!r}.")


def _is_text(value: Any) -> bool:
    """A string, or a (possibly nested, up to 3 levels) list or tuple whose first leaf is a string."""
    for _ in range(4):
        if isinstance(value, str):
            return True
        if not isinstance(value, (list, tuple)):
            return False
        if not value:
            return True
        value = value[0]
    return False


def _as_batch(text: Any, text_pair: Any, is_split_into_words: bool) -> tuple[list[Any], bool]:
    """The inputs as the backend's batch, and whether the caller passed a batch."""
    for argument, value in (("text", text), ("text_pair", text_pair)):
        if value is not None and not _is_text(value):
            raise errors.TokenizerInputError(
                f"{argument} must be a string (one example), a list of strings (a batch, or one pre-split example "
                "with is_split_into_words=True), a list of lists of strings (a batch of pre-split examples), or "
                f"a list of pairs; got {type(value).__name__}."
            )
    if is_split_into_words:
        is_batched = isinstance(text, (list, tuple)) and bool(text) and isinstance(text[0], (list, tuple))
    else:
        is_batched = isinstance(text, (list, tuple))
    if not is_batched:
        return ([(text, text_pair)] if text_pair else [text]), False
    if text_pair is None:
        return list(text), True
    if isinstance(text_pair, str) or len(text_pair) != len(text):
        raise errors.TokenizerInputError(
            "For a batch, text_pair must be a list as long as text (one second sequence per example)."
        )
    return list(zip(text, text_pair)), True

