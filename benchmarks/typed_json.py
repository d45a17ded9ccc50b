"""Parsed JSON into typed dataclasses, and back: what results.py reads and
writes with.

``build(kind, value)`` turns a parsed JSON value into an instance of ``kind``
(a dataclass, a list, a dict, an optional, a number...), checking it on the
way, so that a file that does not fit its schema fails where it is read, with
the path of the field that is wrong.
"""

import dataclasses
import types
import typing


class SchemaError(ValueError):
    """A results file that does not hold what ``Results`` says."""


def build(kind, value, where="results"):
    """``value`` (parsed JSON) as an instance of the type ``kind``."""
    origin, arguments = typing.get_origin(kind), typing.get_args(kind)
    if dataclasses.is_dataclass(kind):
        if not isinstance(value, dict):
            raise SchemaError(f"{where}: expected an object, got {value!r}")
        known = {field.name: field for field in dataclasses.fields(kind)}
        unknown = sorted(set(value) - set(known))
        if unknown:
            raise SchemaError(f"{where}: unknown field {unknown[0]!r}")
        for name, field in known.items():
            needed = field.default is dataclasses.MISSING and (
                field.default_factory is dataclasses.MISSING
            )
            if needed and name not in value:
                raise SchemaError(f"{where}: no field {name!r}")
        hints = typing.get_type_hints(kind)
        return kind(
            **{
                # None where the field's own default is None
                name: None
                if item is None and known[name].default is None
                else build(hints[name], item, f"{where}.{name}")
                for name, item in value.items()
            }
        )
    if origin in (typing.Union, types.UnionType):
        if value is None and type(None) in arguments:
            return None
        (inner,) = [a for a in arguments if a is not type(None)]
        return build(inner, value, where)
    if kind is list or origin is list:
        if not isinstance(value, list):
            raise SchemaError(f"{where}: expected a list, got {value!r}")
        item = arguments[0] if arguments else typing.Any
        return [build(item, v, f"{where}[{i}]") for i, v in enumerate(value)]
    if kind is tuple or origin is tuple:
        return tuple(build(list, value, where))
    if kind is dict or origin is dict:
        if not isinstance(value, dict):
            raise SchemaError(f"{where}: expected an object, got {value!r}")
        item = arguments[1] if arguments else typing.Any
        return {
            str(key): build(item, v, f"{where}.{key}")
            for key, v in value.items()
        }
    if kind is typing.Any:
        return value
    if kind is float and type(value) in (int, float):
        return float(value)
    if isinstance(value, kind) and not (
        kind is int and isinstance(value, bool)
    ):
        return value
    raise SchemaError(f"{where}: expected {kind.__name__}, got {value!r}")


def rounded(value):
    """Floats to 4 significant decimals, so that the JSON file reads well and
    diffs small.
    """
    if isinstance(value, float):
        return float(f"{value:.4g}") if abs(value) < 1 else round(value, 4)
    if isinstance(value, dict):
        return {key: rounded(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [rounded(item) for item in value]
    return value
