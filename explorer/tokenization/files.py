"""Reading a tokenizer's files from a checkpoint, and writing them back.

tokenizer.json (the ``tokenizers`` pipeline), tokenizer_config.json (the settings and ``added_tokens_decoder``),
and, for files saved before transformers 4.34, special_tokens_map.json and added_tokens.json; the vocabulary
files a model-specific tokenizer builds from (vocab.txt, vocab.json + merges.txt). Every file is read through the
:class:`~explorer.hub.Checkpoint`, once, and every fault names the file. What was read is recorded in the trace.
"""

from __future__ import annotations

import base64
import json
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

from tokenizers import AddedToken, Tokenizer
from tokenizers.models import BPE, WordPiece

from .. import errors
from ..hub import Checkpoint

STAGE = "AutoTokenizer"  # the trace's name for what tokenizers decide
TOKENIZER_FILE = "tokenizer.json"
TOKENIZER_CONFIG = "tokenizer_config.json"
SPECIAL_TOKENS_MAP_FILE = "special_tokens_map.json"
ADDED_TOKENS_FILE = "added_tokens.json"
WORDPIECE_VOCAB = "vocab.txt"
BPE_VOCAB = "vocab.json"
BPE_MERGES = "merges.txt"

SPECIAL_TOKENS_ATTRIBUTES = ("bos_token", "eos_token", "unk_token", "sep_token", "pad_token", "cls_token", "mask_token")

# tokenizer_config.json keys that describe the files or the machine, not the tokenizer: never kept or saved
_NOT_SETTINGS = frozenset({
    "tokenizer_class", "name_or_path", "init_inputs", "tokenizer_file", "vocab_file", "merges_file",
    "special_tokens_map_file", "is_local", "local_files_only", "files_loaded", "_commit_hash",
    "vocab", "merges", "tokenizer_object",  # the model parts come from the vocabulary files, never from settings
})
_ADDED_TOKEN_FIELDS = ("content", "single_word", "lstrip", "rstrip", "normalized", "special")


def backend_call(function: Callable[..., Any], *args: Any, failure: str, **kwargs: Any) -> Any:
    """Call the tokenizers library; its errors, and its Rust panics, become TokenizerInputError."""
    try:
        return function(*args, **kwargs)
    except Exception as exc:
        message = f"{failure} ({type(exc).__name__}: {exc})." if failure else str(exc)
        raise errors.TokenizerInputError(message) from None
    except BaseException as exc:  # a Rust panic arrives as pyo3's PanicException, a BaseException
        if type(exc).__name__ != "PanicException":
            raise
        message = f"{failure} (Rust panic: {exc})." if failure else f"Rust panic: {exc}"
        raise errors.TokenizerInputError(message) from None


# --- reading ----------------------------------------------------------------------------------------------


def read_tokenizer_json(checkpoint: Checkpoint) -> tuple[dict[str, Any], Tokenizer] | None:
    """tokenizer.json as JSON and as a backend (the file read once), or None if absent; anything unreadable
    names the file."""
    data = checkpoint.read_json(TOKENIZER_FILE)  # first: it refuses a file too large before reading it
    if data is None:
        return None
    name = checkpoint.name_of(TOKENIZER_FILE)
    try:
        backend = backend_call(Tokenizer.from_str, checkpoint.read_text(TOKENIZER_FILE), failure="")
    except errors.TokenizerInputError as exc:
        raise errors.MalformedFileError(
            f"{name} is JSON but the tokenizers library cannot load it ({exc}). Re-save it with "
            "transformers' save_pretrained or tokenizers' Tokenizer.save."
        ) from None
    return data, backend


def read_settings(
    checkpoint: Checkpoint, kwargs: dict[str, Any], tokenizer_json: dict[str, Any] | None
) -> tuple[dict[str, Any], dict[int, AddedToken]]:
    """tokenizer_config.json overridden by ``kwargs``, and the added tokens by id. Without ``added_tokens_decoder``
    in the config (files saved before transformers 4.34), special_tokens_map.json, added_tokens.json and
    tokenizer.json's ``added_tokens`` (``tokenizer_json``, the parsed file) supply them, as transformers reads them."""
    config_name = checkpoint.name_of(TOKENIZER_CONFIG)
    config = checkpoint.read_json(TOKENIZER_CONFIG) or {}
    settings = {key: value for key, value in config.items() if key not in _NOT_SETTINGS}
    settings.update(kwargs)
    if "additional_special_tokens" in settings and not settings.get("extra_special_tokens"):
        settings["extra_special_tokens"] = settings.pop("additional_special_tokens")
    if isinstance(settings.get("extra_special_tokens"), Mapping):  # v5's named extras: kept as unnamed ones
        settings["extra_special_tokens"] = list(settings["extra_special_tokens"].values())
    if not isinstance(settings.get("extra_special_tokens") or [], (list, tuple)):
        raise errors.ConfigValueError(
            f"{config_name}: extra_special_tokens (additional_special_tokens) must be a list of tokens, not "
            f"{settings['extra_special_tokens']!r}."
        )
    if "added_tokens_decoder" in settings:
        added = _parse_added_tokens_decoder(settings.pop("added_tokens_decoder"), config_name)
    else:
        added = _legacy_added_tokens(checkpoint, settings, kwargs, tokenizer_json)
    by_content = {str(token): token for token in added.values()}
    for key in (*SPECIAL_TOKENS_ATTRIBUTES, "extra_special_tokens"):
        if settings.get(key) is not None:
            settings[key] = _tokens_setting(settings[key], key, config_name)
    for key in SPECIAL_TOKENS_ATTRIBUTES:  # a named token takes the flags (lstrip...) of its added token
        if settings.get(key) is not None:
            settings[key] = by_content.get(str(settings[key]), settings[key])
    return settings, added


def _legacy_added_tokens(
    checkpoint: Checkpoint, settings: dict[str, Any], kwargs: dict[str, Any],
    tokenizer_json: dict[str, Any] | None,
) -> dict[int, AddedToken]:
    special_map = checkpoint.read_json(SPECIAL_TOKENS_MAP_FILE) or {}
    if special_map:
        checkpoint.trace.decide(STAGE, checkpoint.name_of(SPECIAL_TOKENS_MAP_FILE), "", None, "special tokens",
                                note="tokenizer_config.json has no added_tokens_decoder")
    for key, value in special_map.items():
        if not kwargs.get(key):  # the caller's arguments win
            settings[key] = _tokens_setting(value, key, checkpoint.name_of(SPECIAL_TOKENS_MAP_FILE), special=True)
    # as transformers v5: the map's additional_special_tokens do not make added_tokens.json's tokens special
    special = {str(settings[key]) for key in SPECIAL_TOKENS_ATTRIBUTES if settings.get(key)}
    special |= {str(token) for token in settings.get("extra_special_tokens") or []}
    if "additional_special_tokens" in settings and not settings.get("extra_special_tokens"):
        settings["extra_special_tokens"] = settings.pop("additional_special_tokens")
    added: dict[int, AddedToken] = {}
    added_vocab = checkpoint.read_json(ADDED_TOKENS_FILE) or {}
    for content, index in added_vocab.items():
        if not isinstance(index, int):
            raise errors.MalformedFileError(
                f"{checkpoint.name_of(ADDED_TOKENS_FILE)}: the id of {content!r} must be an integer, not {index!r}."
            )
        is_special = content in special
        added[index] = AddedToken(content, rstrip=False, lstrip=False, normalized=not is_special, special=is_special)
    if tokenizer_json is not None:
        entries = tokenizer_json.get("added_tokens") or []
        added.update(_parse_added_tokens_decoder({entry.get("id"): entry for entry in entries}, TOKENIZER_FILE))
    return added


def _parse_added_tokens_decoder(entries: Any, source: str) -> dict[int, AddedToken]:
    if not isinstance(entries, Mapping):
        raise errors.MalformedFileError(f"{source}: added_tokens_decoder must map ids to tokens.")
    parsed = {}
    for index, entry in entries.items():
        token = entry if isinstance(entry, AddedToken) else _added_token_from_dict(entry)
        if token is None:
            raise errors.MalformedFileError(
                f"{source}: added token {index!r} must be an object with a string 'content' and boolean flags."
            )
        try:
            parsed[int(index)] = token
        except (TypeError, ValueError):
            raise errors.MalformedFileError(f"{source}: added token id {index!r} is not an integer.") from None
    return parsed


def _tokens_setting(value: Any, key: str, source: str, special: bool = False) -> Any:
    """A special token setting (or a list of them) with its AddedToken objects parsed."""
    if isinstance(value, (list, tuple)):
        return [as_token(item, key, source, special) for item in value]
    return as_token(value, key, source, special)


def as_token(value: Any, key: str, source: str, special: bool = False) -> str | AddedToken | None:
    """A token given as a string, an AddedToken, or a serialized AddedToken (``{"content": ...}``)."""
    if value is None or isinstance(value, (str, AddedToken)):
        return value
    token = _added_token_from_dict(value, special)
    if token is None:
        raise errors.ConfigValueError(
            f"{source}: {key} must be a string or an AddedToken object with 'content', not {value!r}."
        )
    return token


def _added_token_from_dict(value: Any, special: bool = False) -> AddedToken | None:
    """A serialized AddedToken (``{"content": ..., "lstrip": ...}``), or None if ``value`` is not one."""
    if not isinstance(value, Mapping) or not isinstance(value.get("content"), str):
        return None
    fields = {name: value[name] for name in _ADDED_TOKEN_FIELDS if name in value}
    if special:
        fields["special"] = True
    try:
        return AddedToken(**fields)
    except TypeError:  # a flag that is not a boolean
        return None


def sides_of(data: dict[str, Any]) -> dict[str, str]:
    """transformers takes the default padding and truncation sides from tokenizer.json's saved settings."""
    sides = {}
    for setting, key in (("padding", "padding_side"), ("truncation", "truncation_side")):
        direction = (data.get(setting) or {}).get("direction")
        if isinstance(direction, str):
            sides[key] = direction.lower()
    return sides


def precompiled_charsmap(normalizer: Any) -> bytes | None:
    """The SentencePiece normalization table saved in tokenizer.json, if any."""
    if not isinstance(normalizer, Mapping):
        return None
    candidates = (normalizer.get("normalizers") or []) if normalizer.get("type") == "Sequence" else [normalizer]
    for candidate in candidates:
        if candidate.get("type") == "Precompiled" and candidate.get("precompiled_charsmap"):
            return base64.b64decode(candidate["precompiled_charsmap"])
    return None


def no_tokenizer_json(checkpoint: Checkpoint, why: str) -> errors.EntryNotFoundError:
    return errors.EntryNotFoundError(
        f"{checkpoint.describe()} has no {checkpoint.name_of(TOKENIZER_FILE)}, and {why}. Pass a checkpoint "
        "that has its tokenizer files."
    )


def read_wordpiece_vocab(checkpoint: Checkpoint, needed_for: str) -> dict[str, int]:
    """vocab.txt, one token per line (the tokenizers library reads it: it is handed the path)."""
    path = checkpoint.require(WORDPIECE_VOCAB, needed_for)
    return _read_vocab_file(WordPiece.read_file, checkpoint.name_of(WORDPIECE_VOCAB), str(path))


def read_bpe_vocab(checkpoint: Checkpoint, needed_for: str) -> tuple[dict[str, int], list[tuple[str, str]]]:
    """vocab.json and merges.txt (the tokenizers library reads them: it is handed the paths)."""
    vocab_path = checkpoint.require(BPE_VOCAB, needed_for)
    merges_path = checkpoint.require(BPE_MERGES, needed_for)
    names = f"{checkpoint.name_of(BPE_VOCAB)} / {checkpoint.name_of(BPE_MERGES)}"
    return _read_vocab_file(BPE.read_file, names, str(vocab_path), str(merges_path))


def _read_vocab_file(reader: Callable[..., Any], name: str, *paths: str) -> Any:
    try:
        return backend_call(reader, *paths, failure="")
    except errors.TokenizerInputError as exc:
        raise errors.MalformedFileError(f"{name} cannot be read as a vocabulary ({exc}). Re-download it.") from None


def record_vocab(checkpoint: Checkpoint, cls: type, file: str, size: int, result: str) -> None:
    key = "model.vocab" if file == TOKENIZER_FILE else ""
    checkpoint.trace.decide(
        STAGE, checkpoint.name_of(file), key, f"{size} entries", result,
        note=f"the rest of the pipeline from {cls.__name__}'s settings, as transformers v5 does",
    )


def record_max_length(checkpoint: Checkpoint, settings: dict[str, Any], kwargs: dict[str, Any]) -> None:
    value = settings.get("model_max_length")
    source = "from_pretrained arguments" if "model_max_length" in kwargs else checkpoint.name_of(TOKENIZER_CONFIG)
    result = f"model_max_length={value}" if value is not None else "no length limit (VERY_LARGE_INTEGER)"
    checkpoint.trace.decide(STAGE, source, "model_max_length", value, result)


# --- writing ----------------------------------------------------------------------------------------------


def write_json(path: Path, content: Any) -> str:
    """Write ``content`` as transformers writes its JSON files (sorted keys, indented); returns the path."""
    path.write_text(json.dumps(content, indent=2, sort_keys=True, ensure_ascii=False) + "\n", encoding="utf-8")
    return str(path)
