"""Reject client events the way the Realtime server does.

The ``openai`` package's pydantic models are the schema. They accept unknown
keys silently, so after validation the parsed event is walked and any
``model_extra`` key is reported as ``unknown_parameter`` (a beta-style
``session.modalities`` or a nested ``tools[].function``)."""
from __future__ import annotations

import functools
import typing
from dataclasses import dataclass
from typing import Annotated, Any, Union

from pydantic import BaseModel, Field, TypeAdapter, ValidationError


@dataclass(frozen=True)
class Rejection:
    code: str
    message: str
    param: str | None = None


class InvalidEvent(Exception):
    def __init__(self, rejection: Rejection) -> None:
        super().__init__(rejection.message)
        self.rejection = rejection


@functools.cache
def _client_adapter() -> TypeAdapter:
    # The package's alias carries openai's own PropertyInfo discriminator,
    # which pydantic ignores; re-annotate so errors name one event class.
    from openai.types.realtime import RealtimeClientEvent

    members = typing.get_args(typing.get_args(RealtimeClientEvent)[0])
    return TypeAdapter(Annotated[Union[members], Field(discriminator="type")])


@functools.cache
def _item_models() -> dict[tuple[str, str | None], type[BaseModel]]:
    from openai.types.realtime import (
        RealtimeConversationItemAssistantMessage,
        RealtimeConversationItemFunctionCall,
        RealtimeConversationItemFunctionCallOutput,
        RealtimeConversationItemSystemMessage,
        RealtimeConversationItemUserMessage,
    )

    return {
        ("message", "user"): RealtimeConversationItemUserMessage,
        ("message", "assistant"): RealtimeConversationItemAssistantMessage,
        ("message", "system"): RealtimeConversationItemSystemMessage,
        ("function_call", None): RealtimeConversationItemFunctionCall,
        ("function_call_output", None): RealtimeConversationItemFunctionCallOutput,
    }


@functools.cache
def supported_types() -> tuple[str, ...]:
    from openai.types.realtime import RealtimeClientEvent

    members = typing.get_args(typing.get_args(RealtimeClientEvent)[0])
    return tuple(typing.get_args(m.model_fields["type"].annotation)[0] for m in members)


def validate_client_event(data: Any) -> BaseModel:
    """The parsed event, or raise InvalidEvent with the server's error fields."""
    if not isinstance(data, dict):
        raise InvalidEvent(Rejection("invalid_type", "Invalid type for event: expected an object.", None))
    kind = data.get("type")
    if kind is None:
        raise InvalidEvent(Rejection("missing_required_parameter", "Missing required parameter: 'type'.", "type"))
    if kind not in supported_types():
        allowed = ", ".join(f"'{t}'" for t in supported_types())
        raise InvalidEvent(Rejection(
            "invalid_value", f"Invalid value: '{kind}'. Supported values are: {allowed}.", "type"))
    if kind == "conversation.item.create" and isinstance(data.get("item"), dict):
        _validate_item(data["item"], "item")
    try:
        event = _client_adapter().validate_python(data)
    except ValidationError as exc:
        raise InvalidEvent(_rejection(exc, prefix=())) from None
    extra = first_extra(event)
    if extra is not None:
        raise InvalidEvent(Rejection("unknown_parameter", f"Unknown parameter: '{extra}'.", extra))
    return event


def _validate_item(item: dict, where: str) -> None:
    """Items are an undiscriminated union (three kinds of message); pick the
    member by type and role so the error names the right field."""
    kind = item.get("type")
    role = item.get("role") if kind == "message" else None
    model = _item_models().get((kind, role))
    if model is None:
        if kind == "message":
            raise InvalidEvent(Rejection(
                "invalid_value", f"Invalid value: '{role}'. Supported values are: 'user', 'assistant', 'system'.",
                f"{where}.role"))
        raise InvalidEvent(Rejection(
            "invalid_value",
            f"Invalid value: '{kind}'. Supported values are: 'message', 'function_call', 'function_call_output'.",
            f"{where}.type"))
    try:
        model.model_validate(item)
    except ValidationError as exc:
        raise InvalidEvent(_rejection(exc, prefix=(where,))) from None


def first_extra(value: Any, path: str = "") -> str | None:
    """Dotted path of the first key no model declares, else None."""
    if isinstance(value, BaseModel):
        for key in value.model_extra or {}:
            return f"{path}.{key}" if path else key
        for name in type(value).model_fields:
            found = first_extra(getattr(value, name), f"{path}.{name}" if path else name)
            if found:
                return found
    elif isinstance(value, (list, tuple)):
        for i, v in enumerate(value):
            found = first_extra(v, f"{path}[{i}]")
            if found:
                return found
    elif isinstance(value, dict):
        for k, v in value.items():
            found = first_extra(v, f"{path}.{k}")
            if found:
                return found
    return None


def _param(loc: tuple) -> str:
    out = ""
    for part in loc:
        if isinstance(part, int):
            out += f"[{part}]"
        elif part[:1].isupper() or "." in part:
            continue  # union member class name or the event's own tag
        elif part.startswith(("function-", "list[", "str", "int", "literal[", "dict[", "typed-dict")):
            continue
        else:
            out += f".{part}" if out else part
    return out


def _score(err: dict) -> tuple[int, int]:
    wrong_member = err["type"] == "literal_error" and err["loc"] and err["loc"][-1] in ("type", "role")
    return (0 if wrong_member else 1, len(err["loc"]))


_TYPE_NAMES = {
    "string_type": "a string", "int_type": "an integer", "int_parsing": "an integer",
    "int_from_float": "an integer", "float_type": "a number", "float_parsing": "a number",
    "bool_type": "a boolean", "bool_parsing": "a boolean", "list_type": "an array",
    "dict_type": "an object", "model_type": "an object", "model_attributes_type": "an object",
}


def _json_type(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, int):
        return "an integer"
    if isinstance(value, float):
        return "a decimal"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, list):
        return "an array"
    return "an object"


def _rejection(exc: ValidationError, prefix: tuple) -> Rejection:
    err = max(exc.errors(), key=_score)
    param = _param(prefix + tuple(err["loc"]))
    kind = err["type"]
    if kind == "missing":
        return Rejection("missing_required_parameter", f"Missing required parameter: '{param}'.", param)
    if kind in _TYPE_NAMES:
        return Rejection(
            "invalid_type",
            f"Invalid type for '{param}': expected {_TYPE_NAMES[kind]}, but got {_json_type(err.get('input'))} instead.",
            param)
    if kind == "string_too_long":
        limit = (err.get("ctx") or {}).get("max_length")
        return Rejection(
            "string_above_max_length",
            f"Invalid '{param}': string too long. Expected a string with maximum length {limit}.", param)
    if kind == "literal_error":
        expected = (err.get("ctx") or {}).get("expected", "")
        return Rejection(
            "invalid_value", f"Invalid value: '{err.get('input')}'. Supported values are: {expected}.", param)
    return Rejection("invalid_value", f"Invalid value for '{param}': {err['msg']}.", param)
