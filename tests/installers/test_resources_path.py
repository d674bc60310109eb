"""camtag.resources_path finds shipped data in the source tree and inside a frozen bundle."""

import sys

from camtag import resources_path


def test_source_tree_layout(monkeypatch):
    monkeypatch.delenv("CAMTAG_RESOURCES", raising=False)
    monkeypatch.delenv("CAMTAG_REGISTRY", raising=False)
    assert any((c / "taxonomy.toml").is_file() for c in resources_path.resources_candidates())
    assert resources_path.registry_path().is_file()
    assert resources_path.frozen_root() is None


def test_frozen_bundle_layout_wins(tmp_path, monkeypatch):
    monkeypatch.delenv("CAMTAG_RESOURCES", raising=False)
    monkeypatch.delenv("CAMTAG_REGISTRY", raising=False)
    (tmp_path / "resources").mkdir()
    (tmp_path / "resources" / "taxonomy.toml").write_text("")
    (tmp_path / "models").mkdir()
    (tmp_path / "models" / "registry.toml").write_text("")
    monkeypatch.setattr(sys, "frozen", True, raising=False)
    monkeypatch.setattr(sys, "_MEIPASS", str(tmp_path), raising=False)
    assert resources_path.resources_candidates()[0] == tmp_path / "resources"
    assert resources_path.registry_path() == tmp_path / "models" / "registry.toml"
    monkeypatch.setenv("CAMTAG_REGISTRY", str(tmp_path / "mine.toml"))
    assert resources_path.registry_path() == tmp_path / "mine.toml"
