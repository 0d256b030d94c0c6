"""``augment_dialogue``: sample every step's parameters, then apply them to the mixed audio.

Per augmented channel (the user's, channel 1, by default), from independent RNG streams
``augment/<channel>/<step>`` of ``dialogue_rng(seed, id, ...)`` so that turning one step off
never changes what another step draws:

1. reverb  — the channel's own speech through a room impulse response (direct path at lag 0);
2. gain    — on that speech, peak-safe;
3. echo    — the *clean* other channel through a room, scaled and delayed, added;
4. noise   — a noise bed at the sampled level re the speech (measured over the channel's
             speech spans from ``turns``), continuous or alternating with silence, added;
5. chain   — channel effects over the whole microphone signal (telephone, laptop, lo-fi);
6. limiter — if the result would peak above ``peak_limit_dbfs`` the whole channel is scaled down
             (recorded as ``limiter_gain_db``; level ratios between components are kept).

Channels not augmented are copied as integers, so they come out bit-for-bit as mixed. Nothing
moves in time: ``words``, ``turns`` times and ``duration_s`` stay valid and unchanged.
"""

from __future__ import annotations

import dataclasses
import logging
from dataclasses import dataclass
from typing import Any

import numpy as np

from duplexsynth.audio import decode_audio, gain_to_db, resample
from duplexsynth.augment.chain import ChainParams, apply_chain, sample_chain
from duplexsynth.augment.config import CHANNEL_INDEX, AugmentConfig
from duplexsynth.augment.echo import EchoParams, render_echo, sample_echo
from duplexsynth.augment.gain import GainParams, apply_gain, sample_gain
from duplexsynth.augment.noise import (
    NoiseContext,
    NoiseParams,
    noise_level,
    render_noise,
    sample_noise,
)
from duplexsynth.augment.rooms import RirLibrary, build_rir_library
from duplexsynth.augment.signal import (
    Pcm,
    active_mask,
    channel_to_float,
    convolve_aligned,
    decode_pcm,
    encode_pcm,
    float_to_channel,
    mean_power,
    span_mask,
)
from duplexsynth.augment.sources import AudioIndex, scan_audio_dirs
from duplexsynth.schemas.records import AudioRef, Dialogue
from duplexsynth.schemas.rng import dialogue_rng

log = logging.getLogger("duplexsynth.augment")

STAGE = "augment"
#: bump when sampling or rendering changes what a given seed produces
AUGMENT_VERSION = "1"
CHANNEL_NAME = {v: k for k, v in CHANNEL_INDEX.items()}


class AugmentInputError(ValueError):
    """The dialogue does not meet the augment stage's input contract (a mixed stereo row)."""


@dataclass
class AugmentResources:
    """What a worker builds once: the RIR library and the noise-file index (either may be None)."""

    rirs: RirLibrary | None = None
    noise_index: AudioIndex | None = None

    @classmethod
    def build(cls, config: AugmentConfig, seed: int) -> AugmentResources:
        rirs = build_rir_library(config, seed) if config.needs_rirs else None
        index = None
        if config.noise and config.noise_p > 0 and config.noise_dirs:
            index = scan_audio_dirs(
                config.noise_dirs,
                what="noise dir",
                include=config.noise_include,
                min_duration_s=config.noise_min_file_s,
            )
            if not len(index):
                log.warning("no usable noise file: generated noise is used instead")
        return cls(rirs=rirs, noise_index=index)


@dataclass(frozen=True)
class ReverbParams:
    applied: bool
    rir_index: int | None = None

    def to_dict(self, rirs: RirLibrary | None) -> dict[str, Any]:
        if not self.applied or self.rir_index is None or rirs is None:
            return {"applied": False}
        return {"applied": True, "rir": rirs.describe(self.rir_index)}


@dataclass(frozen=True)
class ChannelPlan:
    """Everything sampled for one channel, before any audio is touched."""

    channel: int
    reverb: ReverbParams
    gain: GainParams
    echo: EchoParams
    noise: NoiseParams
    chain: ChainParams

    @property
    def changes_audio(self) -> bool:
        return any(
            (self.reverb.applied, self.gain.applied, self.echo.applied, self.noise.applied)
        ) or (self.chain.applied and any(s.applied for s in self.chain.steps))


# ------------------------------------------------------------------------------------ sampling
def sample_plan(
    dialogue: Dialogue,
    config: AugmentConfig,
    seed: int,
    channel: int,
    *,
    duration_s: float,
    resources: AugmentResources,
) -> ChannelPlan:
    """Draw every parameter for one channel of one dialogue (independent stream per step)."""
    name = CHANNEL_NAME[channel]

    def rng(step: str) -> np.random.Generator:
        return dialogue_rng(seed, dialogue.id, f"{STAGE}/{name}/{step}")

    rirs = resources.rirs
    r = rng("reverb")
    reverb = ReverbParams(applied=False)
    if config.reverb and rirs is not None and len(rirs) and r.random() < config.reverb_p:
        reverb = ReverbParams(applied=True, rir_index=int(r.integers(0, len(rirs))))
    return ChannelPlan(
        channel=channel,
        reverb=reverb,
        gain=sample_gain(rng("gain"), config),
        echo=sample_echo(rng("echo"), config, source_channel=1 - channel, rirs=rirs),
        noise=sample_noise(
            rng("noise"),
            config,
            duration_s=duration_s,
            index=resources.noise_index,
            clips=_clip_list(dialogue),
        ),
        chain=sample_chain(rng("chain"), config.chain, config.chain_p, config.chains),
    )


def _clip_list(dialogue: Dialogue) -> list[tuple[str, int, float]]:
    """TTS clips in the row usable for babble: (source, index, duration_s)."""
    clips: list[tuple[str, int, float]] = []
    for t in dialogue.turns:
        if t.audio is not None and t.audio.bytes and (t.duration_s or 0) > 0.2:
            clips.append(("turn", t.turn_index, float(t.duration_s)))
    for i, b in enumerate(dialogue.backchannels or ()):
        if b.audio is not None and b.audio.bytes and b.duration_s > 0.1:
            clips.append(("backchannel", i, float(b.duration_s)))
    return clips


def _clip_reader(dialogue: Dialogue, sample_rate: int):
    turns = {t.turn_index: t for t in dialogue.turns}
    memo: dict[tuple[str, int], np.ndarray] = {}

    def clip(source: str, index: int) -> np.ndarray:
        key = (source, index)
        if key not in memo:
            ref = turns[index].audio if source == "turn" else dialogue.backchannels[index].audio
            audio, sr = decode_audio(ref.bytes)
            if audio.ndim == 2:
                audio = audio.mean(axis=1)
            memo[key] = resample(audio, sr, sample_rate)
        return memo[key]

    return clip


def speech_spans(dialogue: Dialogue, channel: int) -> list[tuple[float, float]]:
    """``(start_s, end_s)`` of every turn and backchannel the mix placed on ``channel``."""
    return [
        (float(t.start_s), float(t.end_s))
        for t in dialogue.turns
        if t.channel == channel and t.start_s is not None and t.end_s is not None
    ]


# ------------------------------------------------------------------------------------ applying
def apply_plan(
    plan: ChannelPlan,
    clean: np.ndarray,
    other: np.ndarray,
    mix: np.ndarray,
    sample_rate: int,
    spans: list[tuple[float, float]],
    dialogue: Dialogue,
    config: AugmentConfig,
    resources: AugmentResources,
) -> tuple[np.ndarray, dict[str, Any]]:
    """Apply one channel's plan to its clean float audio; returns (audio, params record)."""
    rirs = resources.rirs
    n = clean.size
    record: dict[str, Any] = {}
    speech = clean
    if plan.reverb.applied and rirs is not None:
        h, onset = rirs.get(plan.reverb.rir_index, sample_rate)
        speech = convolve_aligned(speech, h, onset)
    record["reverb"] = plan.reverb.to_dict(rirs)

    speech, gain_used = apply_gain(speech, plan.gain, config.peak_limit)
    record["gain"] = plan.gain.to_dict()
    if plan.gain.applied:
        record["gain"]["gain_db_applied"] = gain_used

    mic = speech.astype(np.float32, copy=True)
    if plan.echo.applied:
        mic += render_echo(plan.echo, other, sample_rate, rirs)
    record["echo"] = plan.echo.to_dict(sample_rate, rirs)

    noise_params = plan.noise
    if noise_params.applied:
        mask = span_mask(spans, n, sample_rate) if spans else active_mask(speech, sample_rate)
        speech_power = mean_power(speech, mask)
        ctx = NoiseContext(
            n=n, sample_rate=sample_rate, mix=mix, clip=_clip_reader(dialogue, sample_rate)
        )
        try:
            bed, on_mask = render_noise(noise_params, ctx)
        except Exception as exc:
            if noise_params.kind not in _FALLBACK_KIND:
                raise
            # a noise file that broke after indexing, or an undecodable TTS clip for babble:
            # fall back to generated noise rather than lose the dialogue (recorded in `note`)
            noise_params = _fallback_noise(noise_params, exc, dialogue.id)
            bed, on_mask = render_noise(noise_params, ctx)
        k, levels = noise_level(noise_params, bed, on_mask, speech_power)
        mic += bed * np.float32(k)
        record["noise"] = {**noise_params.to_dict(), **levels}
    else:
        record["noise"] = noise_params.to_dict()

    mic = apply_chain(mic, sample_rate, plan.chain)
    record["chain"] = plan.chain.to_dict()

    peak = float(np.max(np.abs(mic))) if n else 0.0
    limiter_db = 0.0
    if peak > config.peak_limit:
        g = config.peak_limit / peak
        mic = mic * np.float32(g)
        limiter_db = round(gain_to_db(g), 4) + 0.0  # never -0.0
    record["limiter_gain_db"] = limiter_db
    return mic, record


def augment_dialogue(
    dialogue: Dialogue,
    config: AugmentConfig | None = None,
    seed: int = 0,
    *,
    resources: AugmentResources | None = None,
) -> Dialogue:
    """The augmented copy of a mixed dialogue (``audio`` replaced, ``clean_audio`` kept,
    ``params["augment"]`` filled). ``AugmentInputError`` if the row is not a mixed stereo row.

    ``resources`` (RIR library, noise index) are built on the fly when not given; pass them in
    when augmenting many dialogues (:class:`AugmentProcessor` does).
    """
    config = config or AugmentConfig()
    pcm = _validated_pcm(dialogue)
    if resources is None:
        resources = AugmentResources.build(config, seed)
    sr = pcm.sample_rate
    duration_s = pcm.frames / sr
    plans = [
        sample_plan(dialogue, config, seed, c, duration_s=duration_s, resources=resources)
        for c in config.channel_indices
    ]
    channels_record: dict[str, Any] = {}
    out = pcm.samples
    if any(p.changes_audio for p in plans):
        out = pcm.samples.copy()
        mix = np.stack([channel_to_float(pcm.samples[:, c]) for c in range(2)], axis=1)
        for plan in plans:
            c = plan.channel
            if not plan.changes_audio:  # keep this channel's integers untouched
                channels_record[CHANNEL_NAME[c]] = _unapplied_record(plan)
                continue
            audio, rec = apply_plan(
                plan,
                mix[:, c],
                mix[:, 1 - c],
                mix,
                sr,
                speech_spans(dialogue, c),
                dialogue,
                config,
                resources,
            )
            out[:, c] = float_to_channel(audio, pcm.bits)
            channels_record[CHANNEL_NAME[c]] = rec
        audio_bytes = encode_pcm(Pcm(out, sr, pcm.subtype))
    else:
        for plan in plans:
            channels_record[CHANNEL_NAME[plan.channel]] = _unapplied_record(plan)
        audio_bytes = dialogue.audio.bytes  # nothing changed: the mix as it came
    params = {
        "version": AUGMENT_VERSION,
        "seed": int(seed),
        "channels": channels_record,
        "augmented_channels": [CHANNEL_NAME[c] for c in config.channel_indices],
        "keep_clean": config.keep_clean,
        "changed": bool(any(p.changes_audio for p in plans)),
    }
    path = dialogue.audio.path
    return dialogue.replace(
        audio=AudioRef(bytes=audio_bytes, path=path),
        clean_audio=AudioRef(bytes=dialogue.audio.bytes, path=path) if config.keep_clean else None,
    ).with_params(STAGE, params)


_FALLBACK_KIND = {"file": "pink", "babble": "speech_shaped"}


def _fallback_noise(params: NoiseParams, exc: Exception, dialogue_id: str) -> NoiseParams:
    what = f"noise file {params.file.rel_path}" if params.file else "babble clip"
    kind = _FALLBACK_KIND[params.kind]
    log.warning(
        "%s unreadable (%s); dialogue %s gets %s noise instead", what, exc, dialogue_id, kind
    )
    return dataclasses.replace(
        params,
        source="generated",
        kind=kind,
        file=None,
        babble=(),
        note=f"{what} unreadable ({type(exc).__name__}: {exc}); {kind} noise instead",
    )


def _unapplied_record(plan: ChannelPlan) -> dict[str, Any]:
    return {
        "reverb": {"applied": False},
        "gain": {"applied": False},
        "echo": {"applied": False},
        "noise": {"applied": False},
        "chain": plan.chain.to_dict(),
        "limiter_gain_db": 0.0,
    }


def _validated_pcm(dialogue: Dialogue) -> Pcm:
    did = dialogue.id
    if dialogue.audio is None or not dialogue.audio.bytes:
        raise AugmentInputError(
            f"dialogue {did}: no mixed audio (top-level 'audio' is empty); run `duplexsynth mix` first"
        )
    try:
        pcm = decode_pcm(dialogue.audio.bytes)
    except Exception as exc:
        raise AugmentInputError(f"dialogue {did}: mixed audio cannot be decoded: {exc}") from None
    if pcm.channels != 2:
        raise AugmentInputError(
            f"dialogue {did}: mixed audio has {pcm.channels} channel(s); expected stereo "
            "(0 = assistant, 1 = user)"
        )
    if dialogue.sample_rate is not None and int(dialogue.sample_rate) != pcm.sample_rate:
        raise AugmentInputError(
            f"dialogue {did}: sample_rate field says {dialogue.sample_rate} Hz but the audio is "
            f"{pcm.sample_rate} Hz"
        )
    if pcm.frames == 0:
        raise AugmentInputError(f"dialogue {did}: mixed audio is empty")
    return pcm
