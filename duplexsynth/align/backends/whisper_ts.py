"""whisper-timestamped: the aligner moshi-finetune's annotation script uses (model ``medium``).

Real loading code: ``whisper_timestamped.load_model(name_or_path, device=..., download_root=...)``
then ``whisper_timestamped.transcribe(model, audio_16k, language=..., vad=...)``. It needs torch,
openai-whisper and whisper-timestamped (``pip install torch==2.13.0`` for the CPU wheel, then
``pip install 'duplexsynth[whisper]'``) and an openai-format checkpoint: a name (``medium``,
``small.en``, ...) that openai-whisper downloads into ``download_root`` (default
``~/.cache/whisper``) on first use, or a path to a ``.pt`` file / model folder, which works
offline. VAD ``silero`` is fetched through ``torch.hub`` on first use; ``auditok`` is a pip
package. Recognised words are mapped onto the known text by :mod:`duplexsynth.align.textmap`.
"""

from __future__ import annotations

import os
from typing import Any

import numpy as np

from duplexsynth.align.base import AsrAligner, HeardWord

METHOD = "whisper_timestamped"
INSTALL_HINT = (
    "whisper-timestamped is not installed: it needs torch, so install the CPU wheel first "
    "(pip install torch==2.13.0), then pip install 'duplexsynth[whisper]'"
)


def import_whisper_timestamped() -> Any:
    """The ``whisper_timestamped`` module, or a ``RuntimeError`` telling how to install it."""
    try:
        import whisper_timestamped
    except ImportError as exc:
        raise RuntimeError(f"{INSTALL_HINT} ({exc})") from exc
    return whisper_timestamped


def apply_alignment_heads(model: Any, sidecar: str) -> bool:
    """Set ``model``'s alignment heads from ``sidecar`` (JSON ``[[layer, head], ...]``) if present.

    openai-whisper knows the heads of its named models only; a checkpoint loaded from a path
    (a fine-tune, or one made by :mod:`duplexsynth.align.convert`) otherwise uses every head of
    the upper half of the decoder, which places words less precisely.
    """
    if not os.path.isfile(sidecar) or not hasattr(model, "register_buffer"):
        return False
    import json

    import torch

    dims = model.dims
    mask = torch.zeros(dims.n_text_layer, dims.n_text_head, dtype=torch.bool)
    for layer, head in json.loads(open(sidecar).read()):
        mask[int(layer), int(head)] = True
    model.register_buffer("alignment_heads", mask.to_sparse(), persistent=False)
    return True


class WhisperTimestampedAligner(AsrAligner):
    """Recognise with whisper-timestamped and map the words onto the text.

    ``module`` replaces the ``whisper_timestamped`` module (tests inject a fake one).
    """

    name = METHOD
    described = ("vad_method",)
    config_keys = {
        "device": "device",
        "download_root": "whisper_download_root",
        "vad_method": "vad_method",
    }

    def __init__(
        self,
        model: str = "medium",
        *,
        device: str = "cpu",
        download_root: str | None = None,
        vad_method: str = "silero",
        module: Any = None,
        **options,
    ) -> None:
        super().__init__(model or "medium", **options)
        self.device = device
        self.download_root = download_root
        self.vad_method = vad_method
        self._module = module

    def __getstate__(self) -> dict[str, Any]:
        state = super().__getstate__()
        if state.get("_module") is not None and getattr(state["_module"], "__name__", "") == (
            "whisper_timestamped"
        ):
            state["_module"] = None  # the real module is imported again on the worker
        return state

    def open_model(self) -> Any:
        if self._module is None:
            self._module = import_whisper_timestamped()
        model = os.path.expanduser(self.model)
        try:
            loaded = self._module.load_model(
                model, device=self.device, download_root=self.download_root
            )
        except Exception as exc:
            raise RuntimeError(
                f"cannot load whisper-timestamped model {self.model!r}: {exc}; pass --whisper-model "
                "a local openai-whisper checkpoint (.pt) or place it in the download root"
            ) from exc
        apply_alignment_heads(loaded, f"{model}.alignment_heads.json")
        return loaded

    def transcribe(self, audio_16k: np.ndarray, text: str) -> list[HeardWord]:
        self.load()
        duration_s = len(audio_16k) / 16000.0
        result = self._module.transcribe(
            self._model,
            np.asarray(audio_16k, dtype=np.float32),
            language=None if self.language == "auto" else self.language.split("-")[0],
            vad=self.vad_method if self.use_vad(duration_s) else False,
            beam_size=self.beam_size if self.beam_size > 1 else None,
            best_of=None,
            temperature=0.0,
            condition_on_previous_text=False,
            initial_prompt=text if self.prompt_with_text and text else None,
            compute_word_confidence=True,
            fp16=self.device != "cpu",
            verbose=None,
        )
        out = []
        for seg in result.get("segments") or []:
            for w in seg.get("words") or []:
                conf = w.get("confidence")
                out.append(
                    HeardWord(
                        str(w["text"]),
                        float(w["start"]),
                        float(w["end"]),
                        None if conf is None else float(conf),
                    )
                )
        return out
