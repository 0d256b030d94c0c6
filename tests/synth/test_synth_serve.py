"""duplexsynth's OpenAI-compatible speech server, reached by the project's own openai backend
over loopback HTTP (a real server and client, the offline espeak voices behind it)."""

from __future__ import annotations

import json
import subprocess
import sys
import urllib.request

import numpy as np
import pytest

from duplexsynth.synth.backends.base import TTSError
from duplexsynth.synth.backends.openai_speech import OpenAISpeechBackend
from duplexsynth.synth.config import SynthConfig
from duplexsynth.synth.serve import SpeechService, start_in_thread
from duplexsynth.synth.voices import load_voice_bank

TEXT = "Hello there, how are you doing today?"


@pytest.fixture(scope="module")
def server():
    service = SpeechService(SynthConfig(voice_bank="espeak"), load_voice_bank("espeak"))
    srv = start_in_thread(service, "127.0.0.1", 0)
    yield f"http://127.0.0.1:{srv.server_port}/v1", service
    srv.shutdown()
    srv.server_close()


@pytest.mark.parametrize("fmt", ["wav", "flac", "pcm"])
def test_served_audio_is_the_engine_audio(server, fmt) -> None:
    url, service = server
    client = OpenAISpeechBackend(base_url=url, response_format=fmt)
    got = client.synthesize(TEXT, {"voice": "espeak-gb-f2"})
    direct = service.backends["espeak"].synthesize(
        TEXT, service.bank.get("espeak-gb-f2").engine_params()
    )
    if fmt == "pcm":  # OpenAI's raw format is 24 kHz
        assert got.sample_rate == 24000
        assert abs(got.duration_s - direct.duration_s) < 0.01
    else:
        assert got.sample_rate == direct.sample_rate
        assert len(got.audio) == len(direct.audio)
        assert float(np.max(np.abs(got.audio - direct.audio))) < 2.0 / 32768  # 16-bit rounding


def test_errors_come_back_as_messages(server) -> None:
    url, _ = server
    client = OpenAISpeechBackend(base_url=url, max_retries=0)
    with pytest.raises(TTSError, match="unknown voice 'nobody'"):
        client.synthesize(TEXT, {"voice": "nobody"})
    with pytest.raises(TTSError, match="does not take a speed"):
        client.synthesize(TEXT, {"voice": "espeak-gb-f2", "speed": 1.2})
    with urllib.request.urlopen(f"{url}/audio/voices") as resp:
        voices = json.load(resp)["voices"]
    assert {v["id"] for v in voices} == {v.id for v in load_voice_bank("espeak").voices}


def test_server_module_imports_without_beam_or_click() -> None:
    """The CosyVoice environment need not hold Beam, datasets, pyarrow or click."""
    code = (
        "import sys\n"
        "for m in ('apache_beam', 'datasets', 'pyarrow', 'click'): sys.modules[m] = None\n"
        "import duplexsynth.synth.serve, duplexsynth.synth.backends.cosyvoice\n"
        "print('ok')\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr[-2000:]
