"""``duplexsynth serve-tts``: the voices of a bank behind an OpenAI-compatible speech route."""

from __future__ import annotations

from typing import Any

import click

from duplexsynth.cli.commands.common import run_or_fail
from duplexsynth.config import cli_options
from duplexsynth.synth.config import SynthConfig


@click.command("serve-tts")
@cli_options(
    SynthConfig, only=("voice_bank", "cosyvoice_model", "cosyvoice_repo", "cosyvoice_fp16")
)
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on.")
@click.option("--port", type=click.IntRange(0, 65535), default=8880, show_default=True)
def command(host: str, port: int, **engine: Any) -> None:
    """Serve a voice bank at http://HOST:PORT/v1/audio/speech (OpenAI's speech API).

    Loads every engine the bank uses once (CosyVoice: model checked and one prompt registered
    before listening), then answers POST /v1/audio/speech with {"input", "voice": <voice id>,
    "response_format": wav|flac|pcm, "speed"}: requests name a voice id of the bank. Pipeline
    workers reach it through voices of backend `openai` and --tts-base-url http://HOST:PORT/v1.
    Same server without click or Beam: python -m duplexsynth.synth.serve. Recipe for CosyVoice:
    docs/cosyvoice.md.
    """
    from duplexsynth.synth.serve import serve

    config = SynthConfig(**engine, cache=False)
    run_or_fail(lambda: serve(config, host, port))
