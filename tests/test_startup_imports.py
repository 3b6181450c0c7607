"""Start-up stays light: ``--help``, usage errors and fixed-value completion of every tool load
none of the heavy modules (the speed itself is measured by bench/bench_startup.py)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

import qpidtools
from qpidtools.testing.startup import HEAVY_MODULES, StartUp, start_ups

BIN = Path(sys.executable).parent


def imported(*argv: str, env: dict[str, str] | None = None) -> tuple[set[str], int, str]:
    """The modules a Python process loads (``-X importtime``), its exit status and stdout."""
    result = subprocess.run(
        [sys.executable, "-X", "importtime", *argv],
        env={**os.environ, **(env or {})},
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    modules = {
        line.rpartition("|")[2].strip()
        for line in result.stderr.splitlines()
        if line.startswith("import time:")
    }
    return modules, result.returncode, result.stdout


@pytest.fixture(scope="module")
def baseline() -> set[str]:
    """What ``python -c pass`` loads anyway (site, and an editable install's finder)."""
    return imported("-c", "pass")[0]


@pytest.mark.parametrize("start_up", list(start_ups()), ids=lambda s: f"{s.prog} {s.what}")
def test_start_up_loads_no_heavy_module(start_up: StartUp, baseline: set[str]) -> None:
    modules, code, out = imported(str(BIN / start_up.prog), *start_up.args, env=start_up.env)
    assert code == start_up.exit_code
    if start_up.env:
        assert "plain," in out  # the completion offered something
    heavy = {
        module
        for module in modules - baseline
        if any(module == name or module.startswith(f"{name}.") for name in HEAVY_MODULES)
    }
    assert not heavy, f"{start_up.prog} {start_up.what} loads {sorted(heavy)}"


def test_the_package_names_load_on_first_use() -> None:
    """``from qpidtools import X`` works for every name the package promises."""
    assert set(qpidtools.__all__) == set(qpidtools._MODULES)
    for name in qpidtools.__all__:
        assert getattr(qpidtools, name).__name__ == name
