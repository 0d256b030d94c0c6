"""``duplexsynth serve-tts``: the voices of a bank behind an OpenAI-compatible speech route."""

from __future__ import annotations

import click

from duplexsynth.cli.commands.common import run_or_fail
from duplexsynth.config import cli_options
from duplexsynth.synth.config import SynthConfig

#: the engine settings come from the synth stage's model (one definition, one help text)
ENGINE_OPTIONS = cli_options(
    SynthConfig, only=("cosyvoice_model", "cosyvoice_repo", "cosyvoice_fp16")
)


@click.command("serve-tts")
@click.option(
    "--voice-bank",
    default="default",
    show_default=True,
    help="Voices to serve (a YAML/JSON file or a bundled bank); requests name a voice id.",
)
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on.")
@click.option("--port", type=click.IntRange(0, 65535), default=8880, show_default=True)
@ENGINE_OPTIONS
def command(
    voice_bank: str,
    host: str,
    port: int,
    cosyvoice_model: str | None,
    cosyvoice_repo: str | None,
    cosyvoice_fp16: bool,
) -> None:
    """Serve a voice bank at http://HOST:PORT/v1/audio/speech (OpenAI's speech API).

    Loads every engine the bank uses once (CosyVoice: model checked and one prompt registered
    before listening), then answers POST /v1/audio/speech with {"input", "voice": <voice id>,
    "response_format": wav|flac|pcm, "speed"}. Pipeline workers reach it through voices of
    backend `openai` and --tts-base-url http://HOST:PORT/v1. Same server without click or Beam:
    python -m duplexsynth.synth.serve. Recipe for CosyVoice: docs/cosyvoice.md.
    """
    from duplexsynth.synth.config import SynthConfig
    from duplexsynth.synth.serve import serve

    config = SynthConfig(
        voice_bank=voice_bank,
        cosyvoice_model=cosyvoice_model,
        cosyvoice_repo=cosyvoice_repo,
        cosyvoice_fp16=cosyvoice_fp16,
        cache=False,
    )
    run_or_fail(lambda: serve(config, host, port))
