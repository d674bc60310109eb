"""Packaging hook (the metadata is in pyproject.toml): the wheel carries the shipped data,
``resources/`` (taxonomy, styles, icons) and ``models/registry.toml``, inside the package, where
camtag.resources_path looks for them when camtag is installed rather than run from a checkout."""

from __future__ import annotations

import shutil
from pathlib import Path

from setuptools import setup
from setuptools.command.build_py import build_py

ROOT = Path(__file__).resolve().parent


class BuildWithData(build_py):
    def run(self) -> None:
        super().run()
        target = Path(self.build_lib) / "camtag"
        if (ROOT / "resources").is_dir():
            shutil.copytree(ROOT / "resources", target / "resources", dirs_exist_ok=True)
        (target / "models").mkdir(parents=True, exist_ok=True)
        for name in ("registry.toml", "README.md"):
            if (ROOT / "models" / name).is_file():
                shutil.copy2(ROOT / "models" / name, target / "models" / name)


setup(cmdclass={"build_py": BuildWithData})
