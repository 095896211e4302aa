"""apply_chat_template against transformers' on Qwen2-style (ChatML) and Llama-3-style templates, saving and
loading templates, and templates that are broken or hostile."""

from __future__ import annotations

import json
import shutil
import time
from pathlib import Path

import pytest
import transformers

from explorer import AutoTokenizer, errors
from explorer.tokenization import Qwen2TokenizerFast
from parity import assert_same_encoding
from .cases import CHAT, CHATML_TEMPLATE


@pytest.mark.parametrize("add_generation_prompt", [False, True])
@pytest.mark.parametrize("batched", [False, True])
def test_chat_template_against_transformers(qwen2_folders: dict[str, Path], llama3_folder: Path,
                                            add_generation_prompt: bool, batched: bool) -> None:
    conversation = [CHAT, CHAT[:1], CHAT[:2]] if batched else CHAT
    for folder in (qwen2_folders["tokenizer.json"], llama3_folder):
        ours, theirs = AutoTokenizer.from_pretrained(folder), transformers.AutoTokenizer.from_pretrained(folder)
        ours.pad_token = theirs.pad_token = theirs.eos_token
        options = {"add_generation_prompt": add_generation_prompt}
        assert ours.apply_chat_template(conversation, tokenize=False, **options) == theirs.apply_chat_template(
            conversation, tokenize=False, **options)
        for extra in ({"return_dict": False}, {}, {"return_tensors": "pt", "padding": True},
                      {"padding": True, "truncation": True, "max_length": 20, "return_tensors": "np"}):
            if not batched and "padding" in extra:
                continue
            mine = ours.apply_chat_template(conversation, **options, **extra)
            expected = theirs.apply_chat_template(conversation, **options, **extra)
            if extra == {"return_dict": False}:
                assert mine == expected
            else:
                assert_same_encoding(mine, expected)


def test_template_options(qwen2_folders: dict[str, Path]) -> None:
    folder = qwen2_folders["tokenizer.json"]
    ours, theirs = AutoTokenizer.from_pretrained(folder), transformers.AutoTokenizer.from_pretrained(folder)
    template = "{{ bos_token }}|{{ eos_token }}|{{ messages | tojson(indent=2, sort_keys=True) }}|{{ custom }}" \
               "{% for m in messages %}{% if loop.index > 1 %}{% break %}{% endif %}{{ m.role }}{% endfor %}" \
               "{{ tools | tojson }}{{ documents | length }}"
    options = {"chat_template": template, "tokenize": False, "custom": "<x> & é", "eos_token": "OVERRIDE",
               "tools": [{"type": "function", "function": {"name": "f"}}], "documents": [{"title": "t", "text": "x"}]}
    assert ours.apply_chat_template(CHAT, **options) == theirs.apply_chat_template(CHAT, **options)
    final = [*CHAT[:2], {"role": "assistant", "content": "The answer is"}]
    assert ours.apply_chat_template(final, continue_final_message=True, tokenize=False) == \
        theirs.apply_chat_template(final, continue_final_message=True, tokenize=False)
    with pytest.raises(errors.TokenizerInputError, match="cannot be used together"):
        ours.apply_chat_template(final, continue_final_message=True, add_generation_prompt=True)


def test_template_files_and_saving(qwen2_folders: dict[str, Path], tmp_path: Path) -> None:
    """chat_template.jinja wins over tokenizer_config.json's; saving writes chat_template.jinja as transformers."""
    folder = tmp_path / "with-file"
    shutil.copytree(qwen2_folders["tokenizer.json"], folder)
    (folder / "chat_template.jinja").write_text("FILE {{ messages[0]['content'] }}")
    ours, theirs = AutoTokenizer.from_pretrained(folder), transformers.AutoTokenizer.from_pretrained(folder)
    assert ours.chat_template == theirs.chat_template == "FILE {{ messages[0]['content'] }}"
    assert AutoTokenizer.from_pretrained(folder, chat_template="ARG").chat_template == "ARG"
    saved = tmp_path / "saved"
    ours.chat_template = {"default": CHATML_TEMPLATE, "tool_use": "TOOLS {{ tools | length }}"}
    ours.save_pretrained(saved)
    assert (saved / "chat_template.jinja").read_text() == CHATML_TEMPLATE
    assert "chat_template" not in (saved / "tokenizer_config.json").read_text()
    reloaded = transformers.AutoTokenizer.from_pretrained(saved)
    assert reloaded.chat_template == ours.chat_template
    tools = [{"type": "function", "function": {"name": "f"}}]
    assert ours.apply_chat_template(CHAT, tools=tools, tokenize=False) == "TOOLS 1"
    assert ours.apply_chat_template(CHAT, chat_template="default", tokenize=False) == \
        reloaded.apply_chat_template(CHAT, chat_template="default", tokenize=False)
    with pytest.raises(errors.ConfigValueError, match="tokenizer_config.json's chat_template must be"):
        Qwen2TokenizerFast.from_pretrained(_with_config_template(qwen2_folders, tmp_path / "bad", 3))


def _with_config_template(qwen2_folders: dict[str, Path], folder: Path, template: object) -> Path:
    shutil.copytree(qwen2_folders["tokenizer.json"], folder)
    config = json.loads((folder / "tokenizer_config.json").read_text())
    (folder / "tokenizer_config.json").write_text(json.dumps({**config, "chat_template": template}))
    return folder


def test_no_template(gpt2_folders: dict[str, Path]) -> None:
    tokenizer = AutoTokenizer.from_pretrained(gpt2_folders["tokenizer.json"])
    with pytest.raises(errors.NoChatTemplateError, match="chat_template.*tokenizer_config.json"):
        tokenizer.apply_chat_template(CHAT)
    with pytest.raises(errors.NoChatTemplateError, match="no 'default'"):
        tokenizer.chat_template = {"other": "x"}
        tokenizer.apply_chat_template(CHAT)


HOSTILE = {
    "syntax": ("{% for m in messages %}{{ m.content }", "not a valid Jinja template: line 1"),
    "raise_exception": ("{{ raise_exception('Conversation roles must alternate') }}",
                        "refused to render this conversation: Conversation roles must alternate"),
    "class": ("{{ messages.__class__.__mro__[1].__subclasses__() }}", "Python internals"),
    "globals": ("{{ raise_exception.__globals__['os'] }}", "Python internals"),
    "mutation": ("{{ messages.append(1) }}", "Python internals"),
    "namespace": ("{% set ns = namespace(_x=1) %}", "Python internals"),
    "nested loops": ("{% for a in range(100000) %}{% for b in range(100000) %}{% endfor %}{% endfor %}",
                     "was stopped: it took more than"),
    "loop over a list": ("{% set x = range(100000) | list %}{% for a in x %}{% for b in x %}{% endfor %}"
                         "{% endfor %}", "was stopped"),
    "recursion": ("{% macro f(n) %}{{ f(n) }}{{ f(n) }}{% endmacro %}{{ f(1) }}", "recursed too deeply|was stopped"),
    "repetition": ("{{ 'a' * 10000000000 }}", "was stopped: repeating"),
    "doubling": ("{% set ns = namespace(s='ab') %}{% for i in range(64) %}{% set ns.s = ns.s ~ ns.s %}{% endfor %}",
                 "was stopped: it built a value"),
    "power": ("{{ 10 ** 100000000 }}", "too large a number"),
    "filter": ("{{ 'x' | center(1000000000) }}", "was stopped: the center filter"),
    "output": ("{% for i in range(100000) %}{{ 'x' * 1000 }}{% endfor %}", "rendered more than"),
    "range": ("{{ range(10 ** 9) | list }}", "failed on this conversation"),
    "undefined": ("{{ messages[0].content.nope.deeper }}", "failed on this conversation|refused"),
}


@pytest.mark.parametrize("case", sorted(HOSTILE))
def test_hostile_templates(qwen2_folders: dict[str, Path], case: str) -> None:
    template, message = HOSTILE[case]
    tokenizer = Qwen2TokenizerFast.from_pretrained(qwen2_folders["tokenizer.json"])
    start = time.monotonic()
    with pytest.raises(errors.ChatTemplateError, match=f"^the chat_template argument .*({message})"):
        tokenizer.apply_chat_template(CHAT, chat_template=template, tokenize=False)
    assert time.monotonic() - start < 30
    tokenizer.chat_template = template
    with pytest.raises(errors.ChatTemplateError, match="^tokenizer.chat_template "):
        tokenizer.apply_chat_template(CHAT)


def test_template_from_a_file_is_named(qwen2_folders: dict[str, Path], tmp_path: Path) -> None:
    shutil.copytree(qwen2_folders["tokenizer.json"], tmp_path, dirs_exist_ok=True)
    (tmp_path / "chat_template.jinja").write_text("{{ raise_exception('no') }}")
    with pytest.raises(errors.ChatTemplateError, match="^chat_template.jinja refused"):
        AutoTokenizer.from_pretrained(tmp_path).apply_chat_template(CHAT)
    broken = AutoTokenizer.from_pretrained(_with_config_template(qwen2_folders, tmp_path / "broken", "{% if %}"))
    with pytest.raises(errors.ChatTemplateError, match="^tokenizer_config.json's chat_template is not a valid Jinja template: line 1"):
        broken.apply_chat_template(CHAT)


def test_format_cannot_reach_attributes(qwen2_folders: dict[str, Path]) -> None:
    """str.format in a template goes through the sandbox: an unsafe attribute renders as nothing."""
    tokenizer = Qwen2TokenizerFast.from_pretrained(qwen2_folders["tokenizer.json"])
    for template in ("{{ '{0.__class__}'.format(messages) }}", "{{ '%s' | format(messages.__class__) }}"):
        assert tokenizer.apply_chat_template(CHAT, chat_template=template, tokenize=False) == ""


def test_template_sees_plain_data(qwen2_folders: dict[str, Path]) -> None:
    """Objects in the inputs reach the template only as placeholders naming their type."""
    tokenizer = Qwen2TokenizerFast.from_pretrained(qwen2_folders["tokenizer.json"])
    chat = [{"role": "user", "content": [{"type": "image", "image": Path("/etc/passwd")}, {"type": "text",
                                                                                          "text": "hi"}]}]
    rendered = tokenizer.apply_chat_template(chat, chat_template="{{ messages[0].content }}", tokenize=False)
    assert "<PosixPath>" in rendered
