"""The repository's copy of the captures is the recorded ground truth, unchanged.

Where ``shared/qmf-captures`` sits beside the clone (the developers' machines and CI), the copy
in ``tests/captures`` must hold the same files with the same bytes: new recordings are copied in,
never edited.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from capture_files import QMF_CAPTURES, SHARED_CAPTURES


def files_below(root: Path) -> dict[Path, Path]:
    return {path.relative_to(root): path for path in root.rglob("*") if path.is_file()}


@pytest.mark.skipif(not SHARED_CAPTURES.is_dir(), reason=f"no shared captures at {SHARED_CAPTURES}")
def test_copy_matches_shared_captures() -> None:
    shared, ours = files_below(SHARED_CAPTURES), files_below(QMF_CAPTURES)
    assert sorted(map(str, shared.keys() - ours.keys())) == [], "copy the new captures in"
    assert sorted(map(str, ours.keys() - shared.keys())) == [], "captures not in shared/"
    changed = [
        str(name) for name, path in shared.items() if path.read_bytes() != ours[name].read_bytes()
    ]
    assert changed == []
