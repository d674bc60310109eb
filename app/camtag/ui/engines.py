"""Which tagging engines can run here, in words an editor can act on (checked off the GUI thread).

``geometry`` (the CPU motion engine) is always there. The model backends report "ok" or the
reason they cannot run (package missing, no model file, server not answering); ``auto`` says
what it would pick, and says plainly when a CPU-only machine would take minutes per shot.
"""

from __future__ import annotations

LABELS = {
    "geometry": "Geometry (CPU, always available)",
    "auto": "Auto (best model engine available)",
    "llamacpp": "CamReasoner · llama.cpp (GGUF)",
    "transformers": "CamReasoner · transformers (safetensors)",
    "server": "CamReasoner · local server (OpenAI API)",
}


def engine_states(settings: dict) -> dict[str, str]:
    """Engine name -> "ok" or a one-line reason. Never raises (a broken install is a reason)."""
    states = {"geometry": "ok"}
    try:
        from camtag.reasoner import available_backends, hardware
    except Exception as exc:  # noqa: BLE001 - optional parts must not break the app
        reason = f"model engines unavailable ({type(exc).__name__}: {exc})"
        states.update({n: reason for n in ("auto", "llamacpp", "transformers", "server")})
        return states
    try:
        states.update(available_backends(settings))
    except Exception as exc:  # noqa: BLE001
        states.update({n: f"cannot check: {exc}" for n in ("llamacpp", "transformers", "server")})
    usable = [n for n in ("server", "llamacpp", "transformers") if states.get(n) == "ok"]
    if not usable:
        states["auto"] = "no model engine is usable here; geometry tags only"
    else:
        try:
            hw = hardware()
            gpu = bool(hw.get("cuda") or hw.get("mps") or hw.get("llama_gpu_offload"))
        except Exception:  # noqa: BLE001
            gpu = False
        if gpu or "server" in usable or settings.get("allow_cpu"):
            states["auto"] = "ok"
        else:
            states["auto"] = ("no GPU: a 7B model would take minutes per shot on this CPU; "
                              "pick a model engine explicitly to run it anyway")
    return states


def describe(name: str, state: str) -> str:
    label = LABELS.get(name, name)
    return label if state == "ok" else f"{label} — unavailable: {state}"
