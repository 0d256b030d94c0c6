"""What a CosyVoice model folder must hold, and prompt audio loaded without ``torchaudio.load``.

Both are checked or done by duplexsynth before CosyVoice sees them, so that a user's first
contact fails in one clear line instead of a traceback from deep inside model loading:

* :func:`model_generation` / :func:`check_model_dir`: the config file names the version (2 or
  3; version 1 models such as CosyVoice-300M are refused: they have no ``inference_instruct2``
  and use another prompt format), and the weights, ONNX models and the ``CosyVoice-BlankEN``
  tokenizer folder the loader opens must all be there. Given a missing folder CosyVoice would
  try to download the name from ModelScope, which an offline worker must never do.
* :func:`load_prompt_audio`: CosyVoice's ``load_wav`` calls ``torchaudio.load``, which in
  torchaudio >= 2.9 goes through TorchCodec (and FFmpeg) whatever ``backend=`` says. This reads
  the file with soundfile, averages to mono, refuses rates below 16 kHz (CosyVoice's own check)
  and resamples with soxr to the rate asked for, returning the ``[1, T]`` float tensor CosyVoice
  expects. :func:`install_prompt_loader` puts it in place of ``load_wav`` in CosyVoice's modules.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import Any

import numpy as np

CONFIG_FILES = {"cosyvoice.yaml": 1, "cosyvoice2.yaml": 2, "cosyvoice3.yaml": 3}
#: CosyVoice's prompt audio floor (``load_wav(..., min_sr=16000)``)
MIN_PROMPT_RATE = 16000
#: the modules of a CosyVoice checkout that hold a ``load_wav`` used on prompt audio
LOADER_MODULES = ("cosyvoice.utils.file_utils", "cosyvoice.cli.frontend")


def model_generation(model_dir: str | os.PathLike[str]) -> int:
    """2 or 3 from the config file in ``model_dir``; ``ValueError`` for anything else."""
    path = Path(model_dir)
    if not path.is_dir():
        raise ValueError(f"--cosyvoice-model {str(path)!r} is not a directory")
    found = [gen for name, gen in CONFIG_FILES.items() if (path / name).is_file()]
    if not found:
        raise ValueError(
            f"--cosyvoice-model {str(path)!r} holds none of {', '.join(CONFIG_FILES)}: point it "
            "at a downloaded CosyVoice model folder (e.g. pretrained_models/CosyVoice2-0.5B)"
        )
    gen = max(found)
    if gen == 1:
        raise ValueError(
            f"--cosyvoice-model {str(path)!r} is a CosyVoice version 1 model (cosyvoice.yaml): "
            "duplexsynth supports versions 2 and 3 only (CosyVoice2-0.5B, Fun-CosyVoice3-0.5B)"
        )
    return gen


def required_files(generation: int) -> tuple[str, ...]:
    """Paths (relative to the model folder) CosyVoice ``generation``'s loader opens."""
    return (
        f"cosyvoice{generation}.yaml",
        "llm.pt",
        "flow.pt",
        "hift.pt",
        "campplus.onnx",
        f"speech_tokenizer_v{generation}.onnx",
        "CosyVoice-BlankEN/",
    )


def check_model_dir(model_dir: str | os.PathLike[str]) -> int:
    """The model's version after checking every file its loader opens; one-line ``ValueError``."""
    gen = model_generation(model_dir)
    path = Path(model_dir)
    missing = [
        name
        for name in required_files(gen)
        if not ((path / name).is_dir() if name.endswith("/") else (path / name).is_file())
    ]
    if missing:
        raise ValueError(
            f"--cosyvoice-model {str(path)!r} is incomplete: missing {', '.join(missing)} "
            "(download the whole model folder, e.g. with huggingface_hub.snapshot_download)"
        )
    return gen


def audio_source(path: Any) -> Any:
    """What soundfile opens for ``path``: the path itself, or the bytes of an object-store URL
    (``s3://``, ``gs://``: a voice bank's prompt clips may live beside the data on a cluster)."""
    if isinstance(path, str) and "://" in path:
        import io

        from duplexsynth import fs

        return io.BytesIO(fs.read_bytes(path))
    return path


def load_prompt_audio(wav: Any, target_sr: int, min_sr: int = MIN_PROMPT_RATE) -> Any:
    """``wav`` (a path, an object-store URL or a file object) as mono ``[1, T]`` float32 at
    ``target_sr``.

    A torch tensor when torch is loaded (always the case inside CosyVoice), else a numpy array.
    ``ValueError`` when the file must be resampled and its rate is below ``min_sr``.
    """
    import soundfile as sf
    import soxr

    audio, rate = sf.read(audio_source(wav), dtype="float32", always_2d=True)
    mono = audio.mean(axis=1)
    if rate != target_sr:
        if rate < min_sr:
            raise ValueError(
                f"prompt audio {wav!r} is {rate} Hz; CosyVoice needs at least {min_sr} Hz"
            )
        mono = soxr.resample(mono, rate, target_sr)
    arr = np.ascontiguousarray(mono[None, :], dtype=np.float32)
    torch = sys.modules.get("torch")
    return torch.from_numpy(arr) if torch is not None else arr


def install_prompt_loader() -> list[str]:
    """Replace ``load_wav`` in the imported CosyVoice modules; returns the modules patched."""
    patched = []
    for name in LOADER_MODULES:
        module = sys.modules.get(name)
        if module is not None and hasattr(module, "load_wav"):
            module.load_wav = load_prompt_audio
            patched.append(name)
    return patched
