"""Byte-level BPE vocabularies rebuilt from files that ship inside PyPI source archives (for ``copies.py``).

The Hub cannot be reached here, but two source archives on PyPI carry real tokenizers:

- openai-whisper's ``whisper/assets/gpt2.tiktoken``: GPT-2's 50,256 BPE tokens, one ``base64(bytes) rank`` a
  line (tiktoken's format, which has ranks but no merges);
- llama-cpp-python's vendored ``llama.cpp/models/ggml-vocab-*.gguf``: vocabulary-only GGUF files (tokens, token
  types, merges, special ids and the chat template), with the ``gguf`` reader in ``llama.cpp/gguf-py``.

``pip download --no-deps --no-binary :all:`` fetches an archive (into ``SOURCES``, once); members are read from
the tar file, nothing is installed. A dev tool: ``make_catalog.py`` calls it, the package never does.
"""

from __future__ import annotations

import base64
import json
import subprocess
import sys
import tarfile
import tempfile
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

SOURCES = Path(tempfile.gettempdir()) / "explorer-catalog-sources"
WHISPER = ("openai-whisper", "20250625")
LLAMA_CPP = ("llama-cpp-python", "0.3.36")
GGUF_TOKEN_TYPES = {1: "normal", 2: "unknown", 3: "control", 4: "user_defined", 5: "unused", 6: "byte"}


def source_archive(package: str, version: str) -> Path:
    """The package's sdist from PyPI, downloaded once into ``SOURCES``."""
    SOURCES.mkdir(parents=True, exist_ok=True)
    stem = package.replace("-", "_")
    found = sorted(SOURCES.glob(f"{stem}-{version}.tar.gz"))
    if not found:
        subprocess.run([sys.executable, "-m", "pip", "download", "--no-deps", "--no-binary", ":all:", "--quiet",
                        f"{package}=={version}", "-d", str(SOURCES)], check=True)
        found = sorted(SOURCES.glob(f"{stem}-{version}.tar.gz"))
    return found[0]


def archive_member(archive: Path, suffix: str) -> bytes:
    """The bytes of the one member whose path ends with ``suffix``."""
    with tarfile.open(archive) as tar:
        member = next(m for m in tar.getmembers() if m.name.endswith(suffix))
        return tar.extractfile(member).read()


def source_name(package: tuple[str, str], member: str) -> str:
    """How the card names a file's origin: ``openai-whisper 20250625 (PyPI sdist): whisper/assets/...``."""
    return f"`{member}` in the {package[0]} {package[1]} source archive on PyPI"


# --- byte-level BPE --------------------------------------------------------------------------------------------


@lru_cache(maxsize=1)
def byte_to_unicode() -> dict[int, str]:
    """GPT-2's printable stand-in for each byte (bytes that print as themselves keep their character; the
    others map to 256 + n in order), as in OpenAI's ``encoder.py`` and every byte-level BPE since."""
    printable = [*range(ord("!"), ord("~") + 1), *range(ord("¡"), ord("¬") + 1), *range(ord("®"), ord("ÿ") + 1)]
    mapping, extra = {}, 0
    for byte in range(256):
        if byte in printable:
            mapping[byte] = chr(byte)
        else:
            mapping[byte] = chr(256 + extra)
            extra += 1
    return mapping


def token_string(token: bytes) -> str:
    table = byte_to_unicode()
    return "".join(table[byte] for byte in token)


def tiktoken_ranks(text: str) -> dict[bytes, int]:
    """tiktoken's format: ``base64(token bytes) rank`` a line."""
    ranks = {}
    for line in text.splitlines():
        if line:
            encoded, rank = line.split()
            ranks[base64.b64decode(encoded)] = int(rank)
    return ranks


def merge_of(ranks: dict[bytes, int], token: bytes) -> tuple[bytes, bytes]:
    """The pair whose merge made ``token``: byte-pair encode the token with only the merges ranked before it
    (tiktoken's ``_educational.bpe`` with ``max_rank``); BPE ends on exactly two parts, the merge's pair."""
    parts = [bytes([byte]) for byte in token]
    rank = ranks[token]
    while True:
        candidates = [(ranks[a + b], i) for i, (a, b) in enumerate(zip(parts, parts[1:])) if ranks.get(a + b, rank) < rank]
        if not candidates:
            break
        _, i = min(candidates)
        parts[i:i + 2] = [parts[i] + parts[i + 1]]
    if len(parts) != 2:
        raise ValueError(f"token {token!r} (rank {rank}) is not the merge of two earlier tokens")
    return parts[0], parts[1]


def merges_from_ranks(ranks: dict[bytes, int]) -> list[tuple[str, str]]:
    """Every multi-byte token's merge, in rank order: the merges file the ranks were made from."""
    merged = sorted((rank, token) for token, rank in ranks.items() if len(token) > 1)
    return [tuple(token_string(part) for part in merge_of(ranks, token)) for _, token in merged]


@dataclass(frozen=True)
class Vocabulary:
    """A byte-level BPE vocabulary: token -> id (regular tokens), merges in rank order, added tokens by id."""

    vocab: dict[str, int]
    merges: list[tuple[str, str]]
    added: dict[int, str]
    source: str  # where it was read, for the model card
    metadata: dict[str, Any]
    left_out: tuple[str, ...] = ()  # rows of the source that are not tokens (llama.cpp's padding rows)


def gpt2_vocabulary() -> Vocabulary:
    """GPT-2's 50,257 tokens (<|endoftext|> last, id 50256) and 50,000 merges, from whisper's gpt2.tiktoken."""
    member = "whisper/assets/gpt2.tiktoken"
    ranks = tiktoken_ranks(archive_member(source_archive(*WHISPER), member).decode("ascii"))
    vocab = {token_string(token): rank for token, rank in sorted(ranks.items(), key=lambda item: item[1])}
    return Vocabulary(vocab, merges_from_ranks(ranks), {len(vocab): "<|endoftext|>"}, source_name(WHISPER, member), {})


# --- GGUF ------------------------------------------------------------------------------------------------------


def gguf_fields(name: str) -> dict[str, Any]:
    """The metadata of llama.cpp's ``models/ggml-vocab-<name>.gguf``, read with the ``gguf`` package vendored
    beside it in the same archive (put on ``sys.path`` from a scratch copy)."""
    archive = source_archive(*LLAMA_CPP)
    scratch = SOURCES / f"{archive.name}.d"
    vocab_file = scratch / f"ggml-vocab-{name}.gguf"
    if not vocab_file.is_file():
        with tarfile.open(archive) as tar:
            members = [m for m in tar.getmembers() if "/vendor/llama.cpp/gguf-py/gguf/" in m.name and m.isfile()
                       or m.name.endswith(f"/models/ggml-vocab-{name}.gguf")]
            for member in members:
                relative = member.name.split("/vendor/llama.cpp/", 1)[1]
                target = scratch / (vocab_file.name if relative.startswith("models/") else relative)
                target.parent.mkdir(parents=True, exist_ok=True)
                target.write_bytes(tar.extractfile(member).read())
    sys.path.insert(0, str(scratch / "gguf-py"))
    try:
        import gguf
        reader = gguf.GGUFReader(str(vocab_file))
        return {key: field.contents() for key, field in reader.fields.items() if not key.startswith("GGUF.")}
    finally:
        sys.path.remove(str(scratch / "gguf-py"))


def gguf_vocabulary(name: str) -> Vocabulary:
    """Regular tokens (type normal) as the vocabulary and control tokens as added tokens; llama.cpp's padding
    rows up to the embedding size (``[PAD151646]`` ...) are not tokens of the Hub's tokenizer and are left out."""
    fields = gguf_fields(name)
    tokens, types = fields["tokenizer.ggml.tokens"], fields["tokenizer.ggml.token_type"]
    vocab = {token: i for i, (token, kind) in enumerate(zip(tokens, types)) if GGUF_TOKEN_TYPES[kind] == "normal"}
    added = {i: token for i, (token, kind) in enumerate(zip(tokens, types)) if GGUF_TOKEN_TYPES[kind] == "control"}
    merges = [tuple(merge.split(" ")) for merge in fields["tokenizer.ggml.merges"]]
    metadata = {key: value for key, value in fields.items()
                if key not in ("tokenizer.ggml.tokens", "tokenizer.ggml.token_type", "tokenizer.ggml.merges")}
    return Vocabulary(vocab, merges, added, source_name(LLAMA_CPP, f"vendor/llama.cpp/models/ggml-vocab-{name}.gguf"),
                      metadata, left_out=tuple(token for token, kind in zip(tokens, types)
                                               if GGUF_TOKEN_TYPES[kind] not in ("normal", "control")))


# --- tokenizer files in the Hub's layouts ---------------------------------------------------------------------


@dataclass(frozen=True)
class BuiltFile:
    """A file of a copy that the build makes from a source other than the Hub: its text, and its origin."""

    text: str
    origin: str


def compact_json(content: Any) -> str:
    """JSON as the tokenizers library (serde) writes it unpretty: no spaces, UTF-8 characters kept."""
    return json.dumps(content, separators=(",", ":"), ensure_ascii=False)


def gpt2_tokenizer_files() -> dict[str, BuiltFile]:
    """openai-community/gpt2's vocab.json, merges.txt and tokenizer.json, in the Hub files' layouts (vocab.json
    as OpenAI's encoder.json: ``json.dumps`` with ASCII escapes; merges.txt as OpenAI's vocab.bpe; tokenizer.json
    as an early tokenizers release wrote it, compact). Their byte sizes equal the Hub's: 1,042,301, 456,318
    and 1,355,256."""
    bpe = gpt2_vocabulary()
    vocab = {**bpe.vocab, **{token: i for i, token in bpe.added.items()}}
    check = gguf_vocabulary("gpt-2")  # an independent copy of the same vocabulary: both must agree
    if ({**check.vocab, **{token: i for i, token in check.added.items()}}, check.merges) != (vocab, bpe.merges):
        raise ValueError(f"{bpe.source} and {check.source} disagree on GPT-2's tokens or merges")
    merges = [f"{left} {right}" for left, right in bpe.merges]
    byte_level = {"type": "ByteLevel", "add_prefix_space": False, "trim_offsets": True}
    tokenizer = {
        "version": "1.0", "truncation": None, "padding": None,
        "added_tokens": [{"id": i, "special": True, "content": token, "single_word": False, "lstrip": False,
                          "rstrip": False, "normalized": True} for i, token in bpe.added.items()],
        "normalizer": None, "pre_tokenizer": byte_level,
        "post_processor": {**byte_level, "add_prefix_space": True, "trim_offsets": False},
        "decoder": {**byte_level, "add_prefix_space": True},
        "model": {"dropout": None, "unk_token": None, "continuing_subword_prefix": "", "end_of_word_suffix": "",
                  "fuse_unk": False, "vocab": vocab, "merges": merges},
    }
    ranks = (f"{bpe.source}: the 50,256 BPE tokens and their ranks (tiktoken's format), with "
             "`<|endoftext|>` as id 50256 (the build checks that tokens, ids and merges equal those of "
             f"{check.source})")
    return {
        "vocab.json": BuiltFile(json.dumps(vocab), f"{ranks}; each token's bytes written with GPT-2's "
                                                   "byte-to-unicode mapping, in id order."),
        "merges.txt": BuiltFile("#version: 0.2\n" + "".join(f"{merge}\n" for merge in merges),
                                f"{ranks}; each token's merge recovered by byte-pair encoding it with the merges "
                                "ranked before it (tiktoken's `_educational.bpe`), in rank order."),
        "tokenizer.json": BuiltFile(compact_json(tokenizer), "vocab.json and merges.txt above, in the layout of the "
                                                             "Hub's tokenizer.json (byte-level pre-tokenizer, "
                                                             "post-processor and decoder)."),
    }


def qwen2_tokenizer_json() -> tuple[dict[str, Any], Vocabulary]:
    """Qwen2's tokenizer.json (the layout of Qwen/Qwen1.5-0.5B-Chat's, as tokenizers 0.15 wrote it), from
    llama.cpp's ggml-vocab-qwen2.gguf: its regular tokens, merges and control tokens. The gguf names the
    pre-tokenizer only (``tokenizer.ggml.pre = "qwen2"``); the split is Qwen2's regex, as llama.cpp's
    ``LLAMA_VOCAB_PRE_TYPE_QWEN2`` and explorer's Qwen2 tokenizer have it."""
    from explorer.tokenization.qwen2 import WORD_SPLIT

    bpe = gguf_vocabulary("qwen2")
    if (bpe.metadata["tokenizer.ggml.pre"] != "qwen2" or any(len(merge) != 2 for merge in bpe.merges)
            or not all(token.startswith("[PAD") for token in bpe.left_out)):
        raise ValueError(f"{bpe.source} is not Qwen2's byte-level BPE vocabulary")
    byte_level = {"type": "ByteLevel", "add_prefix_space": False, "trim_offsets": False, "use_regex": False}
    tokenizer = {
        "version": "1.0", "truncation": None, "padding": None,
        "added_tokens": [{"id": i, "content": token, "single_word": False, "lstrip": False, "rstrip": False,
                          "normalized": False, "special": True} for i, token in bpe.added.items()],
        "normalizer": {"type": "NFC"},
        "pre_tokenizer": {"type": "Sequence", "pretokenizers": [
            {"type": "Split", "pattern": {"Regex": WORD_SPLIT}, "behavior": "Isolated", "invert": False},
            byte_level]},
        "post_processor": byte_level, "decoder": byte_level,
        "model": {"type": "BPE", "dropout": None, "unk_token": None, "continuing_subword_prefix": "",
                  "end_of_word_suffix": "", "fuse_unk": False, "byte_fallback": False, "vocab": bpe.vocab,
                  "merges": [f"{left} {right}" for left, right in bpe.merges]},
    }
    return tokenizer, bpe


def qwen2_chat_tokenizer_files(tokenizer_config: dict[str, Any]) -> dict[str, BuiltFile]:
    """Qwen/Qwen1.5-0.5B-Chat's tokenizer.json (compact: 4.75 MB where the Hub's, indented, is 7,028,015
    bytes, the size of this content indented) and tokenizer_config.json with the gguf's chat template. The Hub's
    vocab.json and merges.txt hold the same tokens and merges again and are not needed to load it."""
    tokenizer, bpe = qwen2_tokenizer_json()
    template = bpe.metadata["tokenizer.chat_template"]
    config = {**tokenizer_config, "added_tokens_decoder": {
        str(i): {"content": token, "lstrip": False, "normalized": False, "rstrip": False, "single_word": False,
                 "special": True} for i, token in bpe.added.items()}, "chat_template": template}
    return {
        "tokenizer.json": BuiltFile(compact_json(tokenizer), f"{bpe.source}: its {len(bpe.vocab):,} regular tokens "
                                    f"(type normal) with their ids, its {len(bpe.merges):,} merges and its "
                                    f"{len(bpe.added)} control tokens ({', '.join(bpe.added.values())}) as special "
                                    "added tokens; Qwen2's normalizer (NFC), word split and byte-level steps, "
                                    "written compact (the Hub's is indented, same content). The gguf's "
                                    f"{len(bpe.left_out)} `[PAD...]` rows, which pad the embedding matrix "
                                    f"to {len(bpe.vocab) + len(bpe.added) + len(bpe.left_out):,}, are not tokens of the Hub's "
                                    "tokenizer and are left out."),
        "tokenizer_config.json": BuiltFile(json.dumps(dict(sorted(config.items())), indent=2, ensure_ascii=False)
                                           + "\n", "the Hub's keys and values; `chat_template` is "
                                           f"`tokenizer.chat_template` of {bpe.source} (the same string)."),
    }
