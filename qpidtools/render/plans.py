"""What ``qpid-config apply`` prints: the plan, then what happened, as text or one JSON document.

``--json`` document keys: ``plan`` (one object per change: ``action`` ``+``/``-``/``!``,
``kind``, ``name`` (a binding's is ``[exchange, queue, key]``), ``line`` as printed,
``differences``), ``summary``, ``dry_run``, ``blocked`` (why changes were refused), and after
a run that sent changes ``outcome``: ``succeeded``, ``done`` and ``not_done`` (plan lines),
``failed`` (``{"change", "error"}``), ``interrupted`` (a lost connection or timeout, or null).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from rich.console import Console

    from qpidtools.config_plan import Change, Outcome, Plan

#: Colours of plan lines on a terminal, as Terraform's: additions, deletions, differences.
_STYLES = {"+": "green", "-": "red", "!": "yellow", "f": "bold red", "n": "yellow"}


def plan_lines(plan: Plan) -> list[str]:
    return [*plan.lines(), plan.summary()]


def outcome_lines(outcome: Outcome) -> list[str]:
    recreate = outcome.plan.recreate
    lines = [f"failed: {change.line(recreate)}: {error}" for change, error in outcome.failed]
    lines += [f"not done: {change.line(recreate)}" for change in outcome.not_done()]
    if outcome.succeeded:
        count = len(outcome.plan.changes)
        lines.append(f"Applied {count} change{'s' if count > 1 else ''}.")
    return lines


def draw(console: Console, lines: list[str]) -> None:
    """The same lines on a terminal, coloured by what they do."""
    for line in lines:
        console.print(line, style=_STYLES.get(line[:1]), markup=False, highlight=False)


def document(plan: Plan, outcome: Outcome | None, dry_run: bool) -> dict[str, Any]:
    recreate = plan.recreate
    found: dict[str, Any] = {
        "plan": [_change(change, recreate) for change in plan.changes],
        "summary": plan.summary(),
        "dry_run": dry_run,
        "blocked": list(plan.blocked),
    }
    if outcome is not None:
        found["outcome"] = {
            "succeeded": outcome.succeeded,
            "done": [change.line(recreate) for change in outcome.done()],
            "failed": [
                {"change": change.line(recreate), "error": error}
                for change, error in outcome.failed
            ],
            "not_done": [change.line(recreate) for change in outcome.not_done()],
            "interrupted": outcome.interrupted,
        }
    return found


def _change(change: Change, recreate: bool) -> dict[str, Any]:
    spec = change.spec
    return {
        "action": change.action,
        "kind": spec.kind,
        "name": list(spec.identity) if spec.kind == "binding" else spec.identity,
        "line": change.line(recreate),
        "differences": [str(difference) for difference in change.differences],
    }
