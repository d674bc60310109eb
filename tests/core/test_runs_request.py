"""The analysis request: validated once, the only home of defaults, and a key that names what ran."""

from __future__ import annotations

import math

import pytest

from camtag.cli import main
from camtag.jobs import Progress, drive, run_job
from camtag.library import LibraryError, parse_library_url
from camtag.model import DEFAULT_DETECTOR, DETECTOR_NAMES, AnalysisRequest, RequestError
from camtag.runs import analysis_key, make_request
from camtag.runs import request as request_mod
from camtag.shots.base import available_detectors


@pytest.mark.parametrize("bad, says", [
    ({"min_shot_seconds": math.inf}, "min shot must be between"),
    ({"sensitivity": math.nan}, "sensitivity must be between"),
    ({"sensitivity": -1.0}, "sensitivity must be between"),
    ({"sensitivity": "high"}, "sensitivity must be a number"),
    ({"flash_frames": 2.5}, "flash frames must be a whole number"),
    ({"motion": "yes"}, "motion must be true or false"),
    ({"engine": "bogus"}, "unknown engine 'bogus'"),
    ({"detector": "magic"}, "unknown detector 'magic'"),
    ({"no_such_setting": 1}, "unknown analysis setting 'no_such_setting'"),
])
def test_a_bad_request_is_refused_with_one_line(bad, says):
    with pytest.raises(RequestError, match=says) as err:
        make_request(bad)
    assert "\n" not in str(err.value)


def test_defaults_live_in_the_request_and_the_key_ignores_how_they_were_spelled():
    assert AnalysisRequest().detector == DEFAULT_DETECTOR
    assert set(DETECTOR_NAMES) == set(available_detectors())
    cli = make_request({})                                            # `camtag analyze` without flags
    ui = make_request({"detector": "fused", "sensitivity": 1, "min_shot_seconds": 0.25})
    assert cli == ui and analysis_key(cli) == analysis_key(ui)
    assert analysis_key(make_request({"sensitivity": 1.5})) != analysis_key(cli)
    back = AnalysisRequest.from_settings(cli.settings(), cli.detector, strict=False)
    assert back == cli                                                # what is stored reads back


def test_the_key_says_whether_transnet_ran(monkeypatch):
    request = AnalysisRequest(detector="fused")
    monkeypatch.setattr(request_mod, "transnet_available", lambda: False)
    without = analysis_key(request)
    monkeypatch.setattr(request_mod, "transnet_available", lambda: True)
    assert analysis_key(request) != without                  # installing TransNetV2: out of date
    adaptive = AnalysisRequest(detector="adaptive")
    monkeypatch.setattr(request_mod, "transnet_available", lambda: False)
    assert analysis_key(adaptive) == analysis_key(adaptive)


def test_the_key_names_the_model_file(tmp_path):
    model = tmp_path / "m.gguf"
    model.write_bytes(b"a")
    request = make_request({"engine": "llamacpp", "model_path": str(model)})
    first = analysis_key(request)
    model.write_bytes(b"another model")
    assert analysis_key(request) != first


@pytest.mark.parametrize("argv, says", [
    (["analyze", "x.mov", "--min-shot", "inf"], "min shot must be between"),
    (["analyze", "x.mov", "--sensitivity", "nan"], "sensitivity must be between"),
    (["analyze", "x.mov", "--engine", "bogus"], "unknown engine 'bogus'"),
    (["library", "add", "x.mov", "--set", "sensitivity=0"], "sensitivity must be between"),
])
def test_the_cli_refuses_bad_values_before_any_work(argv, says, capsys):
    assert main(argv) == 1
    err = capsys.readouterr().err.strip()
    assert says in err and len(err.splitlines()) == 1


@pytest.mark.parametrize("option", ["timeout=abc", "timeout=inf", "timeout=-1", "mode=rx",
                                    "max_pages=0"])
def test_library_url_options_are_checked(option, tmp_path):
    with pytest.raises(LibraryError, match="library URL option") as err:
        parse_library_url(f"sqlite:///{tmp_path}/lib.sqlite?{option}")
    assert "\n" not in str(err.value)
    assert parse_library_url(f"sqlite:///{tmp_path}/lib.sqlite?timeout=2.5").options == \
        {"timeout": "2.5"}


def test_drive_hands_back_the_result():
    def job():
        yield Progress(1, 2)
        yield Progress(2, 2)
        return "done"

    run = drive(job())
    assert [p.done for p in run] == [1, 2] and run.result == "done"
    with pytest.raises(RuntimeError):
        drive(job()).result                                        # not run yet
    assert run_job(job()) == "done"
