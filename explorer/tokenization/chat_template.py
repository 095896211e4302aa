"""Chat templates: reading them from a checkpoint, rendering them safely, and writing them back (transformers v5).

A chat template is Jinja code that came with a checkpoint, so it is untrusted. It is rendered in jinja2's
``ImmutableSandboxedEnvironment`` with what transformers gives templates (``trim_blocks``, ``lstrip_blocks``,
loop controls, the ``generation`` tag, ``raise_exception``, ``strftime_now``, ``tojson`` with its options,
``dict`` and a ``namespace`` without underscore names), sees only plain copies of its inputs (strings, numbers,
lists, dicts), and runs on a budget: every loop iteration, call, filter and lookup is a step, and repeated,
joined or rendered text has a size limit, so a huge loop or a memory bomb ends as an error instead of a hang.
Every fault is a :class:`~explorer.errors.ChatTemplateError` naming where the template came from.
"""

from __future__ import annotations

import dataclasses
import functools
import json
import math
from collections.abc import Callable, Iterable, Iterator, Mapping
from contextvars import ContextVar
from datetime import datetime
from pathlib import Path
from typing import Any

import jinja2
import numpy as np
from jinja2 import nodes
from jinja2.ext import Extension, loopcontrols
from jinja2.sandbox import ImmutableSandboxedEnvironment
from jinja2.utils import Namespace
from jinja2.visitor import NodeTransformer

from .. import errors
from ..hub import Checkpoint
from .files import STAGE, TOKENIZER_CONFIG

CHAT_TEMPLATE_FILE = "chat_template.jinja"
CHAT_TEMPLATE_DIR = "additional_chat_templates"
ARGUMENT = "the chat_template argument"

MAX_STEPS = 2_000_000  # loop iterations, calls, filters and lookups of one rendering (real templates: thousands)
MAX_TEXT = 1_000_000  # characters of one value a template builds, beyond what its inputs hold
MAX_FILTER_INTEGER = 10_000  # integer arguments of filters (indent widths, truncation lengths...)
_REASONING_FIELDS = ("reasoning_content", "thinking", "reasoning")  # the first is the one templates read
_CONTINUE_TAG = "CONTINUE_FINAL_MESSAGE_TAG "  # transformers' marker of the end of a message to continue


class _OverBudget(Exception):
    """Raised inside a rendering that took too many steps or built too large a value."""


@dataclasses.dataclass
class _Budget:
    steps: int
    max_text: int


_BUDGET: ContextVar[_Budget | None] = ContextVar("chat_template_budget", default=None)


def _spend() -> None:
    budget = _BUDGET.get()
    if budget is not None:
        budget.steps -= 1
        if budget.steps < 0:
            raise _OverBudget(f"it took more than {MAX_STEPS} steps (loop iterations, calls, lookups)")


def _check_size(value: Any) -> Any:
    budget = _BUDGET.get()
    if budget is not None and isinstance(value, (str, list, tuple)) and len(value) > budget.max_text:
        raise _OverBudget(f"it built a value of {len(value)} items, more than {budget.max_text}")
    return value


# --- the sandbox --------------------------------------------------------------------------------------------


class _Sandbox(ImmutableSandboxedEnvironment):
    """jinja2's immutable sandbox, where every call and lookup is a step and repetition or joining is sized."""

    intercepted_binops = frozenset({"*", "**", "+"})

    def call(self, context: Any, obj: Any, /, *args: Any, **kwargs: Any) -> Any:
        _spend()
        return super().call(context, obj, *args, **kwargs)

    def getattr(self, obj: Any, attribute: str) -> Any:
        _spend()
        return super().getattr(obj, attribute)

    def getitem(self, obj: Any, argument: Any) -> Any:
        _spend()
        return super().getitem(obj, argument)

    def call_binop(self, context: Any, operator: str, left: Any, right: Any) -> Any:
        _spend()
        if operator == "*":
            _check_repetition(left, right)
            _check_repetition(right, left)
        if operator == "**" and isinstance(left, int) and isinstance(right, int) and abs(left) > 1:
            if right * math.log2(abs(left)) > 64 * MAX_FILTER_INTEGER:
                raise _OverBudget(f"{left} ** {right} is too large a number")
        return _check_size(super().call_binop(context, operator, left, right))


def _check_repetition(sequence: Any, times: Any) -> None:
    budget = _BUDGET.get()
    if isinstance(sequence, (str, list, tuple)) and isinstance(times, int) and budget is not None:
        if len(sequence) * times > budget.max_text:
            raise _OverBudget(f"repeating {len(sequence)} items {times} times is more than {budget.max_text}")


class _GenerationTag(Extension):
    """``{% generation %}...{% endgeneration %}`` (transformers marks the assistant's text with it): rendered as
    its body."""

    tags = {"generation"}

    def parse(self, parser: Any) -> list[nodes.Node]:
        next(parser.stream)
        return parser.parse_statements(("name:endgeneration",), drop_needle=True)


class _Metered(NodeTransformer):
    """Every loop iteration is a step, and every ``~`` join is sized: loops and joins call no hook of the
    sandbox, so their nodes are wrapped in the filters below before compiling."""

    def visit_For(self, node: nodes.For) -> nodes.For:
        node = self.generic_visit(node)
        node.iter = nodes.Filter(node.iter, "explorer_steps", [], [], None, None, lineno=node.lineno)
        return node

    def visit_Concat(self, node: nodes.Concat) -> nodes.Filter:
        return nodes.Filter(self.generic_visit(node), "explorer_sized", [], [], None, None, lineno=node.lineno)


def _steps(iterable: Iterable[Any]) -> Iterator[Any]:
    for item in iterable:
        _spend()
        yield item


def _metered_filter(name: str, function: Callable[..., Any]) -> Callable[..., Any]:
    @functools.wraps(function)  # keeps jinja2's pass_context / pass_environment marks
    def metered(*args: Any, **kwargs: Any) -> Any:
        _spend()
        for value in (*args, *kwargs.values()):
            if isinstance(value, int) and not isinstance(value, bool) and abs(value) > MAX_FILTER_INTEGER:
                raise _OverBudget(f"the {name} filter was given {value}, more than {MAX_FILTER_INTEGER}")
        return _check_size(function(*args, **kwargs))

    return metered


def _raise_exception(message: Any) -> None:
    raise jinja2.exceptions.TemplateError(message)


def _tojson(value: Any, ensure_ascii: bool = False, indent: Any = None, separators: Any = None,
            sort_keys: bool = False) -> str:
    # transformers' tojson: no HTML escaping, and json.dumps' options
    return json.dumps(value, ensure_ascii=ensure_ascii, indent=indent, separators=separators, sort_keys=sort_keys)


def _strftime_now(format: str) -> str:
    return datetime.now().strftime(format)


class _TemplateDict:
    """``dict(...)`` for templates, without the dict class itself (whose attributes lead out of the sandbox)."""

    def __call__(self, *args: Any, **kwargs: Any) -> dict[Any, Any]:
        return dict(*args, **kwargs)

    def fromkeys(self, *args: Any, **kwargs: Any) -> dict[Any, Any]:
        return dict.fromkeys(*args, **kwargs)


class _TemplateNamespace(Namespace):
    """jinja2's ``namespace()``, refusing underscore names (a way to CPython's internals)."""

    def __init__(*args: Any, **kwargs: Any) -> None:  # jinja2's signature trick: namespace(self=...) works
        self, args = args[0], args[1:]
        attributes = dict(*args, **kwargs)
        for name in attributes:
            _TemplateNamespace._check_name(name)
        Namespace.__init__(self, attributes)

    def __setitem__(self, name: str, value: Any) -> None:
        _TemplateNamespace._check_name(name)
        Namespace.__setitem__(self, name, value)

    @staticmethod
    def _check_name(name: Any) -> None:
        if isinstance(name, str) and name.startswith("_"):
            raise jinja2.exceptions.SecurityError(f"a namespace cannot hold the underscore name {name!r}")


@functools.cache
def _environment() -> _Sandbox:
    environment = _Sandbox(trim_blocks=True, lstrip_blocks=True, extensions=[_GenerationTag, loopcontrols])
    environment.filters["tojson"] = _tojson
    environment.filters = {name: _metered_filter(name, function) for name, function in environment.filters.items()}
    environment.filters["explorer_steps"] = _steps
    environment.filters["explorer_sized"] = _check_size
    environment.globals.update(raise_exception=_raise_exception, strftime_now=_strftime_now,
                               dict=_TemplateDict(), namespace=_TemplateNamespace)
    return environment


@functools.lru_cache(maxsize=64)
def _compile(template: str) -> jinja2.Template:
    environment = _environment()
    tree = _Metered().visit(environment.parse(template))
    tree.set_environment(environment)
    return environment.from_string(tree)


# --- rendering ----------------------------------------------------------------------------------------------


def render(
    conversations: list[list[dict[str, Any]]], template: str, source: str, *, tools: Any = None,
    documents: Any = None, add_generation_prompt: bool = False, continue_final_message: bool | str = False,
    **variables: Any,
) -> list[str]:
    """Each conversation rendered by ``template`` (from ``source``), as transformers' render_jinja_template."""
    if tools is not None and not all(isinstance(tool, Mapping) for tool in tools):
        raise errors.TokenizerInputError(
            "tools must be a list of JSON schemas (dicts); explorer does not turn Python functions into schemas."
        )
    if documents is not None and not all(isinstance(document, Mapping) for document in documents):
        raise errors.TokenizerInputError("documents must be a list of dicts with 'title' and 'text' keys.")
    shared = plain_data({"tools": tools, "documents": documents, **variables})
    compiled = _compiled(template, source)
    rendered = []
    for conversation in conversations:
        chat = _alias_reasoning_fields(plain_data(conversation))
        final = _mark_final_message(chat, template, continue_final_message) if continue_final_message else None
        text = _render_one(compiled, source, shared, messages=chat, add_generation_prompt=add_generation_prompt)
        rendered.append(_cut_at_final_message(text, final) if final is not None else text)
    return rendered


def _compiled(template: str, source: str) -> jinja2.Template:
    if not isinstance(template, str):
        raise errors.ChatTemplateError(f"{source} must be a Jinja template (a string), not {type(template).__name__}.")
    try:
        return _compile(template)
    except jinja2.TemplateSyntaxError as exc:
        raise errors.ChatTemplateError(
            f"{source} is not a valid Jinja template: line {exc.lineno}: {exc.message}. Fix the template."
        ) from None
    except RecursionError:
        raise errors.ChatTemplateError(f"{source} is nested too deeply to compile; simplify the template.") from None


def _render_one(compiled: jinja2.Template, source: str, shared: dict[str, Any], **variables: Any) -> str:
    size = len(json.dumps([shared, variables], ensure_ascii=False, default=str))
    budget = _Budget(MAX_STEPS, MAX_TEXT + 4 * size)
    token = _BUDGET.set(budget)
    try:
        pieces, length = [], 0
        for piece in compiled.generate(**shared, **variables):
            length += len(piece)
            if length > budget.max_text:
                raise _OverBudget(f"it rendered more than {budget.max_text} characters")
            pieces.append(piece)
        return "".join(pieces)
    except jinja2.exceptions.SecurityError as exc:
        raise errors.ChatTemplateError(
            f"{source} tried to reach Python internals ({exc}); a chat template may only read the messages and "
            "its variables. Use a trusted template."
        ) from None
    except jinja2.exceptions.TemplateError as exc:
        raise errors.ChatTemplateError(
            f"{source} refused to render this conversation: {exc}. Check the messages against what the template "
            "expects (roles, their order), or fix the template."
        ) from None
    except _OverBudget as exc:
        raise errors.ChatTemplateError(
            f"{source} was stopped: {exc}. A chat template should render a conversation in a few steps; fix the "
            "template."
        ) from None
    except RecursionError:
        raise errors.ChatTemplateError(f"{source} recursed too deeply; fix the template.") from None
    except Exception as exc:  # the template's own code failed (a bad operand, a missing key...)
        raise errors.ChatTemplateError(
            f"{source} failed on this conversation ({type(exc).__name__}: {exc}). Check the messages, or fix "
            "the template."
        ) from None
    finally:
        _BUDGET.reset(token)


def _alias_reasoning_fields(chat: list[Any]) -> list[Any]:
    """A message's reasoning under its older names is also given as ``reasoning_content`` (and ``thinking``)."""
    aliased = []
    for message in chat:
        reasoning = next((message[key] for key in _REASONING_FIELDS if message.get(key) is not None), None)
        aliased.append(message if reasoning is None else
                       {"thinking": reasoning, **message, "reasoning_content": reasoning})
    return aliased


def _mark_final_message(chat: list[dict[str, Any]], template: str, field: bool | str) -> str:
    """Tag the end of the last message (so the rendering can be cut there); returns the message's text."""
    if not chat:
        raise errors.TokenizerInputError("continue_final_message is set but the conversation is empty.")
    field = field if isinstance(field, str) else "content"
    final = chat[-1].get(field)
    if final is None:
        raise errors.TokenizerInputError(
            f"continue_final_message is set but the final message has no {field!r} to continue."
        )
    fields = [name for name in _REASONING_FIELDS if chat[-1].get(name) == final] if field in _REASONING_FIELDS \
        else [field]
    if not any(name in template for name in fields):
        raise errors.TokenizerInputError(f"continue_final_message={field!r}, but the chat template never reads it.")
    if isinstance(final, (list, tuple)):
        block = next((block for block in reversed(final) if isinstance(block, dict) and "text" in block), None)
        if block is None:
            raise errors.TokenizerInputError("continue_final_message: the final message has no text to continue.")
        final, block["text"] = block["text"], block["text"] + _CONTINUE_TAG
        return final
    for name in fields:
        chat[-1][name] = chat[-1][name] + _CONTINUE_TAG
    return final


def _cut_at_final_message(rendered: str, final: str) -> str:
    if final.strip() not in rendered or _CONTINUE_TAG.strip() not in rendered:
        raise errors.TokenizerInputError(
            "continue_final_message is set but the final message does not appear in the rendered chat: the chat "
            "template changes it. Check the template and the final message."
        )
    at = rendered.rindex(_CONTINUE_TAG.strip())
    if rendered[at:at + len(_CONTINUE_TAG)] == _CONTINUE_TAG:
        return rendered[:at]
    return rendered[:at].rstrip()  # the template trimmed the message's trailing space


def normalize_messages(conversation: Any) -> list[dict[str, Any]]:
    """A conversation as a list of dicts (message objects converted), without the keys whose value is None."""
    messages = getattr(conversation, "messages", conversation)
    normalized = []
    for message in _message_dicts(messages):
        if not isinstance(message, dict):
            raise errors.TokenizerInputError(
                f"Chat messages must be dicts (with 'role' and 'content'), dataclasses or pydantic models; got "
                f"{type(message).__name__}."
            )
        normalized.append({key: value for key, value in message.items() if value is not None})
    return normalized


def _message_dicts(value: Any) -> Any:
    if isinstance(value, Mapping):
        return {key: _message_dicts(item) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return [_message_dicts(item) for item in value]
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {field.name: _message_dicts(getattr(value, field.name)) for field in dataclasses.fields(value)}
    if callable(getattr(value, "model_dump", None)):  # pydantic models (e.g. the OpenAI SDK's messages)
        return _message_dicts(value.model_dump())
    return value


def plain_data(value: Any) -> Any:
    """What a template may see: a copy made of plain str, int, float, bool, None, lists, tuples and dicts only
    (subclasses such as enums lose their methods); anything else becomes a placeholder naming its type."""
    if value is None or type(value) in (str, int, float, bool):
        return value
    if isinstance(value, str):  # a subclass (an enum...) as the plain value, without its methods
        return str.__str__(value)
    if isinstance(value, int):
        return int.__int__(value)
    if isinstance(value, float):
        return float.__float__(value)
    if isinstance(value, np.generic):
        return plain_data(value.item())
    if isinstance(value, Mapping):
        return {plain_data(key): plain_data(item) for key, item in value.items()}
    if isinstance(value, list):
        return [plain_data(item) for item in value]
    if isinstance(value, tuple):
        return tuple(plain_data(item) for item in value)
    converted = _message_dicts(value)
    return plain_data(converted) if converted is not value else f"<{type(value).__name__}>"


# --- reading and writing --------------------------------------------------------------------------------------


def read_chat_template(checkpoint: Checkpoint, settings: dict[str, Any], kwargs: dict[str, Any]) -> str:
    """Put the checkpoint's chat template in ``settings["chat_template"]`` as transformers finds it (the
    from_pretrained argument, else chat_template.jinja, else tokenizer_config.json's ``chat_template``); returns
    where it came from."""
    if "chat_template" in kwargs:
        source = ARGUMENT
    elif (text := checkpoint.read_text(CHAT_TEMPLATE_FILE)) is not None:
        settings["chat_template"], source = text, checkpoint.name_of(CHAT_TEMPLATE_FILE)
    else:
        source = f"{checkpoint.name_of(TOKENIZER_CONFIG)}'s chat_template"
    if settings.get("chat_template") is not None:
        settings["chat_template"] = check_chat_template(settings["chat_template"], source)
        checkpoint.trace.decide(STAGE, source, "chat_template", "(a Jinja template)", "chat template")
    return source


def check_chat_template(value: Any, source: str) -> str | dict[str, str] | None:
    """A chat template setting: None, a template, or named templates (a dict, or tokenizer_config.json's list of
    ``{"name": ..., "template": ...}``)."""
    if value is None or isinstance(value, str):
        return value
    if isinstance(value, (list, tuple)) and all(isinstance(entry, Mapping) for entry in value):
        value = {entry.get("name"): entry.get("template") for entry in value}
    if isinstance(value, Mapping) and all(isinstance(k, str) and isinstance(v, str) for k, v in value.items()):
        return dict(value)
    raise errors.ConfigValueError(
        f"{source} must be a Jinja template (a string) or a list of {{'name': ..., 'template': ...}} entries; "
        f"got {type(value).__name__}. Fix it, or pass chat_template= to from_pretrained."
    )


def pick_chat_template(templates: str | dict[str, str] | None, chosen: str | None, tools: Any,
                       source: str) -> tuple[str, str]:
    """The template to render and where it came from (transformers' get_chat_template): ``chosen`` is a
    template or the name of one of ``templates``; with tools, the ``tool_use`` template if there is one."""
    if isinstance(templates, dict):
        if chosen is not None and chosen in templates:
            return templates[chosen], f"{source} ({chosen!r})"
        if chosen is None:
            name = "tool_use" if tools is not None and "tool_use" in templates else "default"
            if name not in templates:
                raise errors.NoChatTemplateError(
                    f"{source} has several chat templates ({', '.join(sorted(templates))}) and no 'default'; pass "
                    "the template, or its name, as chat_template=."
                )
            return templates[name], f"{source} ({name!r})"
    if chosen is not None:
        return chosen, ARGUMENT
    if templates is None:
        raise errors.NoChatTemplateError(
            "This tokenizer has no chat_template: its checkpoint has no chat_template.jinja and no chat_template "
            "in tokenizer_config.json. Pass chat_template= (a Jinja template), or set tokenizer.chat_template."
        )
    return templates, source


def write_chat_templates(folder: Path, templates: str | dict[str, str] | None) -> list[str]:
    """chat_template.jinja (the default template) and additional_chat_templates/<name>.jinja, as transformers v5
    saves them; returns the paths written."""
    if templates is None:
        return []
    named = {"default": templates} if isinstance(templates, str) else templates
    written = []
    for name, template in named.items():
        path = folder / CHAT_TEMPLATE_FILE if name == "default" else folder / CHAT_TEMPLATE_DIR / f"{name}.jinja"
        if path.resolve().parent not in (folder.resolve(), (folder / CHAT_TEMPLATE_DIR).resolve()):
            raise errors.UnsafePathError(f"The chat template name {name!r} is not a file name; rename it.")
        path.parent.mkdir(exist_ok=True)
        path.write_text(template, encoding="utf-8")
        written.append(str(path))
    return written
