"""How qpidd's qpid::types::Variant reads request values: text, booleans, unsigned numbers."""

from __future__ import annotations

from typing import Any

from qpidtools.testing import errors


def to_bool(value: Any) -> bool:
    """qpid::types::Variant's conversion to bool: ints, bools and the strings true/false."""
    if isinstance(value, bool):
        return value
    if isinstance(value, int):
        return value != 0
    text = bytes(value).decode() if isinstance(value, bytes | memoryview) else str(value)
    if text.lower() in ("true", "false"):
        return text.lower() == "true"
    if text.lstrip("-").isdigit():
        return int(text) != 0
    raise errors.cannot_convert(text, "bool")


def to_unsigned(value: Any, width: str) -> int:
    """Variant's conversion to uint32/uint64, with its error texts."""
    if isinstance(value, bool):
        return int(value)
    if isinstance(value, int):
        if value < 0:
            raise errors.out_of_range("int64", width)
        return value
    text = bytes(value).decode() if isinstance(value, bytes | memoryview) else str(value)
    if not text.strip().isdigit():
        raise errors.cannot_convert(text)
    return int(text)


def text_of(value: Any) -> str:
    """A create/delete argument as text; AMQP binary and string are equivalent to qpidd."""
    if value is None:
        return ""
    if isinstance(value, bytes | memoryview):
        return bytes(value).decode()
    return str(value)
