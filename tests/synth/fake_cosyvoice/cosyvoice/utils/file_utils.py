"""Fake of cosyvoice/utils/file_utils.py: ``load_wav`` fails the way torchaudio >= 2.9 does.

Upstream calls ``torchaudio.load(wav, backend='soundfile')``; the torchaudio that
``pip install torch==2.13.0 torchaudio`` resolves to routes every ``load`` through TorchCodec,
so without torchcodec and FFmpeg the call raises. An adapter must replace this function.
"""

import logging


def load_wav(wav, target_sr, min_sr=16000):
    raise ImportError(
        "TorchCodec is required for load_with_torchcodec. Please install torchcodec to use "
        "this function."
    )


__all__ = ["load_wav", "logging"]
