#!/usr/bin/env python3
"""Convert LaurentWu/CamReasoner-7B (safetensors) to a GGUF text model + f16 mmproj for llama.cpp.

Run once, offline after the download; camtag then only loads the two files. Needs a llama.cpp
checkout (for convert_hf_to_gguf.py and its gguf-py requirements) and a built `llama-quantize`.

    python models/convert_camreasoner.py --hf-dir ~/models/CamReasoner-7B \
        --llama-cpp ~/src/llama.cpp --out ~/.local/share/camtag/models
    python models/convert_camreasoner.py --download --llama-cpp ~/src/llama.cpp   # online users

See models/README.md. `--dry-run` prints the commands without running them.
"""

from __future__ import annotations

import argparse
import hashlib
import shlex
import shutil
import subprocess
import sys
from pathlib import Path

REPO = "LaurentWu/CamReasoner-7B"
STEM = "CamReasoner-7B"


def commands(hf_dir: Path, llama_cpp: Path, out: Path, quant: str, quantize_bin: str) -> list[list[str]]:
    convert = str(llama_cpp / "convert_hf_to_gguf.py")
    f16 = out / f"{STEM}-f16.gguf"
    return [
        [sys.executable, convert, str(hf_dir), "--outtype", "f16", "--outfile", str(f16)],
        [sys.executable, convert, str(hf_dir), "--mmproj", "--outtype", "f16",
         "--outfile", str(out / f"mmproj-{STEM}-f16.gguf")],
        [quantize_bin, str(f16), str(out / f"{STEM}-{quant}.gguf"), quant],
    ]


def find_quantize(llama_cpp: Path) -> str:
    for cand in (llama_cpp / "build" / "bin" / "llama-quantize", llama_cpp / "llama-quantize",
                 llama_cpp / "build" / "bin" / "Release" / "llama-quantize.exe"):
        if cand.exists():
            return str(cand)
    return shutil.which("llama-quantize") or "llama-quantize"


def sha256(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        while block := fh.read(8 << 20):
            h.update(block)
    return h.hexdigest()


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    src = ap.add_mutually_exclusive_group(required=True)
    src.add_argument("--hf-dir", type=Path, help="local CamReasoner-7B folder (config.json + safetensors)")
    src.add_argument("--download", action="store_true", help=f"download {REPO} with huggingface_hub first")
    ap.add_argument("--llama-cpp", type=Path, required=True, help="llama.cpp checkout (recent: Qwen2.5-VL support)")
    ap.add_argument("--out", type=Path, default=Path("."), help="output folder")
    ap.add_argument("--quant", default="Q4_K_M", help="text model quantization (default Q4_K_M); mmproj stays f16")
    ap.add_argument("--keep-f16", action="store_true", help="keep the f16 text model (15 GB) after quantizing")
    ap.add_argument("--dry-run", action="store_true", help="print the commands only")
    args = ap.parse_args(argv)

    out = args.out.expanduser()
    hf_dir = args.hf_dir.expanduser() if args.hf_dir else out / STEM
    if args.download and not args.dry_run:
        from huggingface_hub import snapshot_download

        snapshot_download(REPO, local_dir=hf_dir, allow_patterns=["*.json", "*.safetensors", "*.txt", "*.jinja"])
    if not args.dry_run:
        if not (hf_dir / "config.json").exists():
            ap.error(f"{hf_dir} has no config.json")
        if not (args.llama_cpp / "convert_hf_to_gguf.py").exists():
            ap.error(f"{args.llama_cpp} is not a llama.cpp checkout (no convert_hf_to_gguf.py)")
        out.mkdir(parents=True, exist_ok=True)
    cmds = commands(hf_dir, args.llama_cpp, out, args.quant, find_quantize(args.llama_cpp))
    for cmd in cmds:
        print("$ " + shlex.join(cmd), flush=True)
        if not args.dry_run:
            subprocess.run(cmd, check=True)
    if args.dry_run:
        return 0
    f16 = out / f"{STEM}-f16.gguf"
    if not args.keep_f16 and args.quant.upper() != "F16":
        f16.unlink(missing_ok=True)
    model, mmproj = out / f"{STEM}-{args.quant}.gguf", out / f"mmproj-{STEM}-f16.gguf"
    try:
        sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "app"))
        from camtag.reasoner.model_files import check_gguf_pair

        check_gguf_pair(str(model), str(mmproj))
        print("checked: the text model and the mmproj belong together")
    except ImportError:
        pass
    for path in (model, mmproj):
        print(f"{path.name}: {path.stat().st_size} bytes, sha256 {sha256(path)}")
    print(f"next: camtag models add {shlex.quote(str(mmproj))} && "
          f"camtag models add {shlex.quote(str(model))} --mmproj {shlex.quote(str(mmproj))}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
