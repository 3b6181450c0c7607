"""Where the recorded captures are, and the one way the tests read them.

The QMF captures and the classic tools' transcripts live beside the clone, at
``../shared/qmf-captures`` (CI keeps them there, read-only); tests that read them are marked
``needs_captures`` and skip, saying so, where they are absent. The qpid-ha transcripts the
qpid-ha tests compare with are also copied, trimmed, into ``tests/captures/qpid-ha``, so those
tests run everywhere.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

QMF_CAPTURES = Path(__file__).resolve().parents[2] / "shared" / "qmf-captures"
CLASSIC_TOOLS = QMF_CAPTURES / "classic-tools"
QPID_HA_COPIES = Path(__file__).parent / "captures" / "qpid-ha"

needs_captures = pytest.mark.skipif(
    not QMF_CAPTURES.is_dir(), reason=f"no captures at {QMF_CAPTURES}"
)


def load(path: Path) -> dict[str, Any]:
    result: dict[str, Any] = json.loads(path.read_text())
    return result


def classic(case: str) -> dict[str, Any]:
    """A classic-tool transcript from the shared captures: argv, stdout, stderr, exit_code."""
    return load(CLASSIC_TOOLS / f"{case}.json")


def qpid_ha_copy(case: str) -> dict[str, Any]:
    """The repository's copy of the classic qpid-ha transcript ``qpid-ha-<case>``."""
    return load(QPID_HA_COPIES / f"qpid-ha-{case}.json")
