"""What ``qpid-ha status`` and ``query`` print: classic text in a pipe, Rich on a terminal, JSON.

The plain text is the classic tool's, line for line, because cluster scripts parse it:
``status`` prints the status word (``ADDRESS STATUS`` per broker with ``--all``), ``query``
five ``"%-20s %s"`` lines (with ``--all`` each block starts with ``Address:`` and ends with a
blank line). A broker that could not be asked shows as ``ADDRESS error: MESSAGE`` where the
classic tool printed ``ADDRESS [Errno 111] Connection refused``.

JSON documents (``--json``), keys stable:

- ``status``: ``{"address": "127.0.0.1:5672", "status": "active"}``
- ``query``: ``{"address", "status", "system_id", "brokers_url", "public_url",
  "replicate_default", "members"}``; ``members`` is a list of ``{"system_id", "host",
  "port", "protocol", "status"}`` (empty on a standalone broker until it has peers).
- with ``--all``: ``{"brokers": [ENTRY, ...]}``, one ENTRY per broker of the brokers URL (or
  just the local broker when the URL is empty): the document above, or
  ``{"address": ..., "error": "one-line message"}`` for a broker that could not be asked.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import asdict, dataclass
from typing import TYPE_CHECKING, Any

from qpidtools.errors import QpidToolsError
from qpidtools.model import HaBroker
from qpidtools.render import show

if TYPE_CHECKING:
    from rich.console import RenderableType

    from qpidtools.cli.common import Invocation

Entry = tuple[str, HaBroker | QpidToolsError]
STATUS_STYLES = {
    "active": "bold green",
    "recovering": "yellow",
    "ready": "cyan",
    "catchup": "yellow",
    "joining": "yellow",
    "standalone": "blue",
}
ERROR_STYLE = "bold red"


@dataclass(frozen=True)
class Survey:
    """What qpid-ha learnt about one broker or, with ``--all``, about each cluster member."""

    entries: list[Entry]
    every_broker: bool  # --all was asked for: JSON lists brokers
    named: bool  # the entries come from the brokers URL: the text names each broker


def show_status(invocation: Invocation, survey: Survey) -> None:
    _show(invocation, survey, _status_lines, _status_document, _status_rich)


def show_query(invocation: Invocation, survey: Survey) -> None:
    _show(invocation, survey, _query_lines, _query_document, _query_rich)


def _show(
    invocation: Invocation,
    survey: Survey,
    lines: Callable[[Entry, bool], list[str]],
    document: Callable[[HaBroker], dict[str, Any]],
    rich: Callable[[Survey], RenderableType],
) -> None:
    def json_document() -> Any:
        documents = [_json_entry(entry, document) for entry in survey.entries]
        return {"brokers": documents} if survey.every_broker else documents[0]

    show(
        invocation,
        lambda: [line for entry in survey.entries for line in lines(entry, survey.named)],
        json_document,
        lambda: rich(survey),
    )


def _json_entry(entry: Entry, document: Callable[[HaBroker], dict[str, Any]]) -> dict[str, Any]:
    address, found = entry
    if isinstance(found, QpidToolsError):
        return {"address": address, "error": str(found)}
    return {"address": address, **document(found)}


def _error_line(address: str, error: QpidToolsError) -> str:
    return f"{address} error: {error}"


# -- status ----------------------------------------------------------------------------------


def _status_lines(entry: Entry, named: bool) -> list[str]:
    address, found = entry
    if isinstance(found, QpidToolsError):
        return [_error_line(address, found)]
    return [f"{address} {found.status}" if named else found.status]


def _status_document(ha: HaBroker) -> dict[str, Any]:
    return {"status": ha.status}


def _status_rich(survey: Survey) -> RenderableType:
    from rich.table import Table

    if not survey.named:
        return _styled(survey.entries[0][1])
    table = Table("Address", "Status", box=None, header_style="bold")
    for address, found in survey.entries:
        table.add_row(address, _styled(found))
    return table


# -- query -----------------------------------------------------------------------------------

QUERY_FIELDS: tuple[tuple[str, Callable[[HaBroker], str]], ...] = (
    ("Status:", lambda ha: ha.status),
    ("Broker ID:", lambda ha: ha.system_id),
    ("Brokers URL:", lambda ha: ha.brokers_url),
    ("Public URL:", lambda ha: ha.public_url),
    ("Replicate:", lambda ha: ha.replicate_default),
)


def _query_lines(entry: Entry, named: bool) -> list[str]:
    address, found = entry
    if isinstance(found, QpidToolsError):
        return [_error_line(address, found), ""]
    lines = [f"{label:<20} {value(found)}" for label, value in QUERY_FIELDS]
    return [f"{'Address:':<20} {address}", *lines, ""] if named else lines


def _query_document(ha: HaBroker) -> dict[str, Any]:
    return asdict(ha)  # members become a list of maps


def _query_rich(survey: Survey) -> RenderableType:
    from rich.console import Group
    from rich.panel import Panel

    from qpidtools.render.terminal import text

    panels = []
    for address, found in survey.entries:
        title = text(address)  # a Panel reads a str title as markup
        if isinstance(found, QpidToolsError):
            panels.append(
                Panel(_styled(found), title=title, title_align="left", border_style=ERROR_STYLE)
            )
        else:
            panels.append(Panel(_query_grid(found), title=title, title_align="left"))
    return Group(*panels)


def _query_grid(ha: HaBroker) -> RenderableType:
    from rich.console import Group
    from rich.table import Table

    grid = Table.grid(padding=(0, 2))
    grid.add_column(style="bold")
    grid.add_column()
    for label, value in QUERY_FIELDS:
        grid.add_row(label, _styled(ha) if label == "Status:" else value(ha))
    members = [member for member in ha.members if member.host]
    if not members:
        return grid
    table = Table("Member", "Status", "Broker ID", title="Members", box=None, header_style="bold")
    for member in members:
        table.add_row(
            f"{member.host}:{member.port}", _styled_status(member.status), member.system_id
        )
    return Group(grid, "", table)


# -- shared Rich helpers ---------------------------------------------------------------------


def _styled(found: HaBroker | QpidToolsError) -> RenderableType:
    from qpidtools.render.terminal import text

    if isinstance(found, QpidToolsError):
        return text(found, ERROR_STYLE)
    return _styled_status(found.status)


def _styled_status(status: str) -> RenderableType:
    from qpidtools.render.terminal import text

    return text(status, STATUS_STYLES.get(status, ""))
