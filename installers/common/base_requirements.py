"""Print camtag's base requirements (and the named extras) from pyproject.toml, one per line.

Used by the bundle build scripts so the bundle's venv holds exactly what the base install holds:
``python base_requirements.py pyproject.toml demo`` -> av>=14, numpy>=1.26, …, scikit-image.
"""

from __future__ import annotations

import sys
import tomllib


def requirements(pyproject: str, extras: list[str]) -> list[str]:
    with open(pyproject, "rb") as fh:
        project = tomllib.load(fh)["project"]
    reqs = list(project.get("dependencies", []))
    optional = project.get("optional-dependencies", {})
    for extra in extras:
        if extra not in optional:
            raise SystemExit(f"{pyproject}: no extra named {extra!r} (have: {', '.join(optional)})")
        reqs += optional[extra]
    return list(dict.fromkeys(reqs))


if __name__ == "__main__":
    print("\n".join(requirements(sys.argv[1], sys.argv[2:])))
