"""The exceptions every layer raises; the CLI maps each class to one exit code."""

from __future__ import annotations

import re
from collections.abc import Sequence

_SOURCE_LOCATION = re.compile(r"\s*\([^()]*\.(?:cpp|h):\d+\)$")


class QpidToolsError(Exception):
    """Base class: a failure the user should see as one line, exit status 1."""

    exit_code = 1
    further: tuple[str, ...] = ()  # more problems of the same failure, one line each


class UsageError(QpidToolsError):
    """The command line is wrong; found before any connection is made."""

    exit_code = 2


class AddressError(UsageError):
    """A broker address that cannot be parsed."""


class ConfigError(UsageError):
    """A broken configuration or profile file."""


class ValidationError(ConfigError):
    """A configuration file that does not validate: every problem, each ``FILE:LINE: text``.

    The first is the message; the CLI prints the ``further`` ones as error lines too.
    """

    def __init__(self, problems: Sequence[str]) -> None:
        super().__init__(problems[0])
        self.further = tuple(problems[1:])


class ChangesPending(QpidToolsError):
    """``apply --dry-run`` found changes to make (drift): exit status 3, no error line, as the
    plan already said what would change."""

    exit_code = 3


class ConnectError(QpidToolsError):
    """The broker could not be reached, refused us, or dropped the connection."""


class BrokerTimeout(QpidToolsError):
    """The broker did not answer within the timeout."""


class BrokerError(QpidToolsError):
    """A QMF exception returned by the broker.

    ``error_text`` is the broker's text as sent; ``str()`` drops the C++ source location
    (`` (/build/.../Broker.cpp:1519)``), which means nothing to an operator.
    """

    def __init__(self, error_code: int, error_text: str) -> None:
        self.error_code = error_code
        self.error_text = error_text
        super().__init__(strip_source_location(error_text))


class HaNotLoadedError(QpidToolsError):
    """The broker has no HA module (no ``habroker`` object)."""

    def __init__(self, address: str) -> None:
        super().__init__(f"HA module is not loaded on broker at {address}")


def strip_source_location(text: str) -> str:
    """Remove the trailing ``(file.cpp:NNN)`` that qpidd appends to most error texts."""
    return _SOURCE_LOCATION.sub("", text)
