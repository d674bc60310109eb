"""UI tests: pytest-qt on the offscreen platform, one QApplication for all, a private library.

The clip is analysed once per session (adaptive detector, the fast one) into a template library;
each test gets its own copy, so tests that only need shots never wait for an analysis.
"""

from __future__ import annotations

import os
import shutil

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

import pytest  # noqa: E402

pytest.importorskip("PySide6.QtWidgets", reason="the UI tests need PySide6")
pytest.importorskip("pyqtgraph", reason="the UI tests need pyqtgraph")
pytest.importorskip("superqt", reason="the UI tests need superqt")
pytest.importorskip("pytestqt", reason="the UI tests need pytest-qt")

CLIP_NAME = "pyscenedetect_issue-195-aspect-ratio.mp4"
TEST_SETTINGS = {"detector": "adaptive", "engine": "geometry"}


@pytest.fixture(scope="session")
def clip(shots_dir) -> str:
    return str(shots_dir / CLIP_NAME)


@pytest.fixture(scope="session")
def template_library(tmp_path_factory, clip) -> str:
    """A library folder holding the clip's finished analysis (done once per session)."""
    from camtag.jobs import run_job
    from camtag.library import open_library
    from camtag.runs import analyze_into_library, make_request
    from camtag.ui.settings import AppSettings

    folder = tmp_path_factory.mktemp("template-library")
    settings = AppSettings.from_dict(TEST_SETTINGS).analysis_settings()
    detector = settings.pop("detector")
    with open_library(str(folder / "library.sqlite")) as lib:
        run_job(analyze_into_library(lib, clip, make_request(settings, detector)))
        lib.store.checkpoint()
    return str(folder)


@pytest.fixture
def config_dir(tmp_path, monkeypatch) -> str:
    """Settings live in a private folder, with the fast detector."""
    import json

    folder = tmp_path / "config"
    folder.mkdir()
    (folder / "app.json").write_text(json.dumps(TEST_SETTINGS))
    monkeypatch.setenv("CAMTAG_CONFIG_DIR", str(folder))
    return str(folder)


@pytest.fixture
def library_copy(tmp_path, template_library) -> str:
    target = tmp_path / "library"
    shutil.copytree(template_library, target)
    return str(target / "library.sqlite")


def _close(window, qtbot) -> None:
    window.close()
    qtbot.waitUntil(lambda: not window.queue.busy, timeout=20000)


@pytest.fixture
def make_window(qtbot, config_dir):
    """Builds a shown main window on a library URL; closes it (and its threads) afterwards."""
    from camtag.ui.app import build_window, create_application

    windows = []

    def make(library_url: str, path: str | None = None):
        create_application()
        window = build_window(path, library_url)
        qtbot.addWidget(window)
        window.show()
        qtbot.waitExposed(window)
        windows.append(window)
        qtbot.waitUntil(window.timeline_ready, timeout=10000)   # built after the first paint
        return window

    yield make
    for w in windows:
        _close(w, qtbot)


@pytest.fixture
def analysed_window(make_window, library_copy, clip, qtbot):
    """A window showing the clip, its stored analysis loaded and the first frame on screen."""
    window = make_window(library_copy, clip)
    qtbot.waitUntil(lambda: window.model.rowCount() > 1 and window.player.shown_index == 0
                    and not window.queue.busy, timeout=30000)
    qtbot.waitUntil(lambda: window.timeline.items["pan"].xData is not None, timeout=10000)
    return window


SECOND_CLIP = "pyscenedetect_counter.mp4"


@pytest.fixture(scope="session")
def two_clip_template(tmp_path_factory, template_library, shots_dir) -> str:
    """The template library plus a second, small clip's analysis (done once per session)."""
    from camtag.jobs import run_job
    from camtag.library import open_library
    from camtag.runs import analyze_into_library, make_request
    from camtag.ui.settings import AppSettings

    folder = tmp_path_factory.mktemp("two-clip-library")
    shutil.copytree(template_library, folder, dirs_exist_ok=True)
    settings = AppSettings.from_dict(TEST_SETTINGS).analysis_settings()
    detector = settings.pop("detector")
    with open_library(str(folder / "library.sqlite")) as lib:
        run_job(analyze_into_library(lib, str(shots_dir / SECOND_CLIP), make_request(settings, detector)))
        lib.store.checkpoint()
    return str(folder)


@pytest.fixture
def two_clip_window(make_window, tmp_path, two_clip_template, shots_dir, qtbot):
    """A window on a two-clip library, showing the small second clip (one shot) loaded."""
    target = tmp_path / "two"
    shutil.copytree(two_clip_template, target)
    window = make_window(str(target / "library.sqlite"), str(shots_dir / SECOND_CLIP))
    qtbot.waitUntil(lambda: window.model.rowCount() == 1 and window.player.shown_index == 0
                    and not window.queue.busy, timeout=30000)
    return window
