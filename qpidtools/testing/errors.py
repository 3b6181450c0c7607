"""The error codes and texts qpidd sends back, in one place.

Every text here is copied from the recorded captures (`qmf-captures/*.json`), including the C++
source location suffix, so that a client tested against the double sees the same strings as
against a real broker.
"""

from __future__ import annotations

SOURCE_ROOT = "/build/qpid-cpp/src/qpid"

# QMF error codes (README point 23).
NO_OBJECT = 1
UNKNOWN_METHOD = 2
NOT_IMPLEMENTED = 3
INVALID_PARAMETER = 4
EXCEPTION = 7
ACL_RELOAD_FAILED = 65536


class QmfError(Exception):
    """A failure that the agent reports as a QMF `_exception` reply."""

    def __init__(self, text: str, code: int = EXCEPTION) -> None:
        super().__init__(text)
        self.code = code
        self.text = text


def located(text: str, source: str, line: int) -> str:
    """Append the C++ source location the way qpidd's QPID_MSG does."""
    return f"{text} ({SOURCE_ROOT}/{source}:{line})"


def not_found_queue(name: str) -> QmfError:
    return QmfError(located(f"not-found: Queue not found: {name}", "broker/QueueRegistry.cpp", 176))


def not_found_exchange(name: str) -> QmfError:
    return QmfError(
        located(f"not-found: Exchange not found: {name}", "broker/ExchangeRegistry.cpp", 144)
    )


def no_object(object_name: str) -> QmfError:
    return QmfError(f"No object found with ID=0-0-0--0({object_name})", NO_OBJECT)


def cannot_convert(value: object, target: str = "") -> QmfError:
    """Variant conversion failures: `Cannot convert many`, `Cannot convert yes to bool`."""
    if target == "bool":
        return QmfError(
            located(f"invalid conversion: Cannot convert {value} to bool", "types/Variant.cpp", 246)
        )
    return QmfError(
        located(f"invalid conversion: Cannot convert {value}", "types/Variant.cpp", 173)
    )


def out_of_range(source_type: str, target_type: str) -> QmfError:
    return QmfError(
        located(
            f"invalid conversion: Cannot convert from {source_type} to {target_type}",
            "types/Variant.cpp",
            380,
        )
    )


def invalid_url(url: str) -> QmfError:
    return QmfError(located(f"Invalid URL: {url}", "Url.cpp", 248))


def already_exists(name: str) -> QmfError:
    return QmfError(f"object already exists: {name}")


def unknown_type(type_name: str) -> QmfError:
    return QmfError(f"unknown object type: {type_name}")


def broker_error(text: str, line: int) -> QmfError:
    """An exception thrown from Broker.cpp at the given line."""
    return QmfError(located(text, "broker/Broker.cpp", line))


ACL_RELOAD_TEXT = 'Unable to open ACL file "": eof=F; fail=T; bad=F'
JOINING_TEXT = "Joining active cluster, cannot be promoted."
CATCHUP_TEXT = "Still catching up, cannot be promoted."
