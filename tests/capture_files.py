"""Where the recorded captures are, and the one way the tests read them.

The QMF captures and the classic tools' transcripts recorded from a real qpidd are part of the
repository, in ``tests/captures`` (a copy of ``shared/qmf-captures``, with its README), so a
clone alone runs every test. ``test_captures_copy`` checks the copy against ``shared/`` where
that folder is present.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

QMF_CAPTURES = Path(__file__).parent / "captures"
CLASSIC_TOOLS = QMF_CAPTURES / "classic-tools"
SHARED_CAPTURES = Path(__file__).resolve().parents[2] / "shared" / "qmf-captures"


def load(path: Path) -> dict[str, Any]:
    result: dict[str, Any] = json.loads(path.read_text())
    return result


def classic(case: str) -> dict[str, Any]:
    """A classic-tool transcript: argv, stdout, stderr, exit_code."""
    return load(CLASSIC_TOOLS / f"{case}.json")


def qpid_ha_copy(case: str) -> dict[str, Any]:
    """The classic qpid-ha transcript ``qpid-ha-<case>``."""
    return classic(f"qpid-ha-{case}")
