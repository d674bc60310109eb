"""`camtag doctor`: everything a run depends on (decoders, shot detectors and what they need, the
desktop app's Qt plugins and system libraries, GPU and model backends, model files, a server only
when one is configured) and the one next step."""

from __future__ import annotations

import argparse
import importlib.util

NAME = "doctor"
HELP = "check decoders, shot detectors, the app's Qt libraries, GPU, model backends and files"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--server-url", help="also check this OpenAI-compatible server (none is checked "
                        "unless one is given here or in $CAMTAG_SERVER_URL)")
    parser.add_argument("--models-dir", help="an extra folder to look for model files in")
    parser.add_argument("--smoke", action="store_true",
                        help="run a tiny built-in model through llama.cpp's vision path (needs the gguf package)")


def _version(module: str) -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version(module)
    except PackageNotFoundError:
        return ""


def run(args) -> int:
    import os

    from camtag import models_registry as reg
    from camtag import reasoner, syscheck
    from camtag.reasoner.base import ModelFileError

    settings = {}
    server_url = args.server_url or os.environ.get("CAMTAG_SERVER_URL", "")
    if server_url:
        settings["server_url"] = server_url
    if args.models_dir:
        settings["models_dir"] = args.models_dir
    findings: list = []

    def section(title: str, items) -> None:
        print(title)
        for f in items:
            findings.append(f)
            mark = {"ok": "ok  ", "warning": "warn", "error": "FAIL"}.get(f.level, f.level)
            print(f"  {mark} {f.what:<16} {f.message}")

    section("Decoding", syscheck.check_decoders() + [_decode_route(syscheck.Finding)])
    section("Shot detectors", syscheck.check_shot_detectors())
    plugins = syscheck.qt_platform_plugins()
    app = [syscheck.Finding("ok" if plugins else "error", "Qt platforms",
                            ", ".join(plugins) if plugins else "PySide6 is not installed")]
    gui = [syscheck.Finding("warning", f.what, f.message) if f.what == "display" else f
           for f in syscheck.check_gui(audio=False)] if plugins else []
    section("Desktop app", app + gui)
    hw = reasoner.hardware()
    gpu = bool(hw["cuda"] or hw["mps"] or hw["llama_gpu_offload"])
    print("Hardware")
    print(f"  platform            {hw['platform']}")
    print(f"  CUDA (torch)        {hw.get('cuda_device') or ('yes' if hw['cuda'] else 'no')}"
          + ("" if importlib.util.find_spec("torch") else "  (torch not installed)"))
    print(f"  Metal               {'yes (MPS)' if hw['mps'] else ('Apple Silicon' if hw['apple_silicon'] else 'no')}")
    print(f"  nvidia-smi          {'found' if hw['nvidia_smi'] else 'not found'}")
    print("Backends")
    llama_v = _version("llama_cpp_python") or _version("llama-cpp-python")
    print(f"  llama-cpp-python    {llama_v or 'not installed'}; GPU offload compiled in: "
          f"{'yes' if hw['llama_gpu_offload'] else 'no'}")
    print(f"  torch/transformers  {_version('torch') or '-'} / {_version('transformers') or '-'}; "
          f"bitsandbytes: {'yes' if hw['bitsandbytes'] else 'no'}")
    status = {}
    for name in reasoner.REGISTRY:
        if name == "server" and not server_url:
            status[name] = "none configured (--server-url URL or $CAMTAG_SERVER_URL to check one)"
            continue
        try:
            status[name] = reasoner.create(name, settings).availability()
        except Exception as exc:  # a broken optional install must not stop the report
            status[name] = f"{type(exc).__name__}: {exc}"
    for name, why in status.items():
        print(f"  {name:<18}  {why}")
    print("Model files")
    found = [e for e in reg.entries(settings) if e.path]
    for e in found:
        try:
            line = reg.check_file(e.kind, e.path)
            print(f"  OK   {e.name}: {line} ({e.path})")
        except ModelFileError as exc:
            print(f"  BAD  {e.name}: {exc}")
    if not found:
        print("  none found in " + ", ".join(str(d) for d in reg.model_dirs(settings)))
    if args.smoke:
        print("Smoke test")
        print("  " + _smoke())
    chosen = reasoner.pick_backend("auto", settings)
    print("Engine")
    print(f"  --engine auto uses  {chosen.name + ' (' + chosen.model_id + ')' if chosen else 'geometry only'}")
    steps = [f"{f.what}: {f.message}" for f in findings if f.level == "error"]
    steps += [f"{f.what}: {f.message}" for f in findings if f.level == "warning"]
    steps += _next_steps(hw, status, found, gpu)
    print("Next step")
    print(f"  {steps[0]}")
    if len(steps) > 1:
        print("Later")
        for step in steps[1:]:
            print(f"  - {step}")
    return 0


def _decode_route(finding):
    """The route decoding takes here (hardware device or software), as one finding: informative,
    never a step to take (software decode is a complete route)."""
    try:
        from camtag.media import hwaccel

        line = hwaccel.describe()
    except Exception as exc:  # a broken FFmpeg build must not stop the report
        line = f"software decode (hardware decode not checked: {type(exc).__name__}: {exc})"
    return finding("ok", "decode route", line)


def _smoke() -> str:
    import tempfile
    import time

    import numpy as np

    from camtag.media.frames import ShotFrame
    from camtag.reasoner import create
    from camtag.reasoner.parse import parse
    from camtag.reasoner.prompts import binary

    if importlib.util.find_spec("gguf") is None:
        return "skipped: pip install gguf"
    from camtag.reasoner.tiny_models import write_tiny_gguf

    with tempfile.TemporaryDirectory() as tmp:
        model, mmproj = write_tiny_gguf(tmp, reply="<observation>o</observation><think>t</think><answer>B</answer>")
        backend = create("llamacpp", {"model_path": str(model), "mmproj_path": str(mmproj), "n_threads": 1,
                                      "max_new_tokens": 32})
        if backend.availability() != "ok":
            return f"skipped: {backend.availability()}"
        ramp = np.tile(np.linspace(0, 255, 224, dtype=np.uint8)[None, :, None], (168, 1, 3))
        frames = [ShotFrame(i, i, np.roll(ramp, 8 * i, axis=1)) for i in range(2)]
        start = time.perf_counter()
        try:
            parsed = parse(backend.ask(frames, binary("Pan_Left")).text, binary("Pan_Left"))
        finally:
            backend.close()
        ok = parsed.format_ok and parsed.letter == "B"
        return (f"{'passed' if ok else 'FAILED'}: two frames through the vision path in "
                f"{time.perf_counter() - start:.2f} s" + ("" if ok else f" ({parsed.problems})"))


def _next_steps(hw, status, found, gpu) -> list[str]:
    steps = []
    if not gpu:
        steps.append("No usable GPU: camtag tags shots with its geometric engine. A 7B model on this CPU "
                     "takes minutes per shot; point camtag at a GPU machine's server instead "
                     "(--engine server with server_url and server_allow_remote) or set allow_cpu to insist.")
    if hw["cuda"] and not hw["llama_gpu_offload"] and status.get("llamacpp", "").startswith(("ok", "no Cam")):
        steps.append("llama-cpp-python was built without GPU offload: reinstall with "
                     "CMAKE_ARGS=-DGGML_CUDA=on pip install --force-reinstall --no-cache-dir llama-cpp-python")
    if hw["cuda"] and not hw["bitsandbytes"]:
        steps.append("pip install bitsandbytes for 4-bit loading in the transformers backend")
    kinds = {e.kind for e in found}
    if "gguf" not in kinds and "hf" not in kinds:
        steps.append("Get the model: `camtag models pull camreasoner-7b` (safetensors, transformers backend), "
                     "then convert it to GGUF for llama.cpp: see models/README.md")
    elif "gguf" in kinds and "mmproj" not in kinds:
        steps.append("A GGUF text model is there but no mmproj: convert it with --mmproj (models/README.md)")
    if any(v == "ok" for v in status.values()):
        steps.append("Run `camtag models verify` to check sizes and hashes, then `camtag analyze --engine auto`.")
    return steps or ["Nothing to do."]
