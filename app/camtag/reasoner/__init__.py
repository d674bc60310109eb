"""CamReasoner on the local machine: backends, prompts, parsing, fusion and the tagging job.

``settings`` keys (all optional): ``engine``, ``model_path``/``mmproj_path`` (llamacpp),
``hf_model_dir`` (transformers), ``server_url``/``server_model``/``server_api_key``/
``server_timeout``/``server_allow_remote``/``server_logprobs``/``server_parallel`` (server), ``models_dir``,
``preset`` ("fast" | "eval", see :mod:`camtag.reasoner.inputs`), ``max_frames`` and
``max_pixels`` (override the preset), ``max_new_tokens`` (1024), ``prefix_reuse`` (True),
``calibration`` (path of a calibration JSON, :mod:`camtag.reasoner.calibration`),
``experimental_dominant`` (False), ``n_threads``, ``n_gpu_layers``, ``n_ctx``, ``allow_cpu``.

Every backend has ``name`` (the engine that actually ran: record it), ``work`` (counters of
prefills, images, prefix/suffix/decoded tokens) and ``ask_all(frames, questions)``: one
prefill of the shot's frames, then each question from that state.
"""

from __future__ import annotations

from camtag.reasoner.base import REGISTRY, Backend, ModelFileError, ReasonerError, Reply, create
from camtag.reasoner.job import reason_job

__all__ = ["Backend", "ReasonerError", "ModelFileError", "Reply", "available_backends", "pick_backend",
           "reason_job", "hardware"]

AUTO_ORDER = ("server", "llamacpp", "transformers")


def available_backends(settings: dict | None = None) -> dict[str, str]:
    """Backend name -> ``"ok"`` or the one-line reason it cannot run here."""
    out = {}
    for name in REGISTRY:
        try:
            out[name] = create(name, settings).availability()
        except Exception as exc:  # a broken optional install must not break the app
            out[name] = f"{type(exc).__name__}: {exc}"
    return out


def hardware() -> dict[str, object]:
    """What could accelerate a model here (cheap: no torch import unless it is installed)."""
    import importlib.util
    import platform
    import shutil

    info: dict[str, object] = {"platform": f"{platform.system()} {platform.machine()}",
                               "nvidia_smi": bool(shutil.which("nvidia-smi")),
                               "apple_silicon": platform.system() == "Darwin" and platform.machine() == "arm64"}
    from camtag.reasoner.llamacpp_backend import llama_cpp_status

    status, offload = llama_cpp_status()
    info["llama_cpp"] = status
    info["llama_gpu_offload"] = offload
    info["cuda"] = False
    info["mps"] = False
    if importlib.util.find_spec("torch") is not None:
        try:
            import torch

            info["cuda"] = bool(torch.cuda.is_available())
            if info["cuda"]:
                free, total = torch.cuda.mem_get_info()
                info["cuda_device"] = f"{torch.cuda.get_device_name(0)}, {total / 2**30:.1f} GiB ({free / 2**30:.1f} free)"
            mps = getattr(torch.backends, "mps", None)
            info["mps"] = bool(mps is not None and mps.is_available())
        except Exception as exc:
            info["torch_error"] = str(exc)
    info["bitsandbytes"] = importlib.util.find_spec("bitsandbytes") is not None
    return info


def pick_backend(preferred: str = "auto", settings: dict | None = None) -> Backend | None:
    """The backend to use, or ``None`` for the geometric engine alone.

    An explicit name returns that backend if it can run (else ``None``; ``available_backends``
    says why). ``auto``: a configured server that answers, else llama.cpp when its build can
    offload to a GPU, else transformers on CUDA or Metal; on a CPU-only machine a 7B model takes
    minutes per shot, so ``auto`` picks nothing there unless ``settings["allow_cpu"]`` is true.
    """
    settings = dict(settings or {})
    preferred = preferred or settings.get("engine", "auto")
    if preferred == "geometry":
        return None
    if preferred != "auto":
        backend = create(preferred, settings)
        return backend if backend.availability() == "ok" else None
    names = [n for n in AUTO_ORDER if n != "server" or settings.get("server_url")]
    names += [n for n in REGISTRY if n not in names and n != "server"]
    hw = None
    for name in names:
        backend = create(name, settings)
        if backend.availability() != "ok":
            continue
        if name == "server" or settings.get("allow_cpu"):
            return backend
        hw = hw or hardware()
        if name == "llamacpp" and hw["llama_gpu_offload"]:
            return backend
        if name == "transformers" and (hw["cuda"] or hw["mps"]):
            return backend
    return None
