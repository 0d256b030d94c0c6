"""``duplexsynth check-tts``: prove a voice bank on the real engine before a long job.

Every voice speaks the same fixed sentences (:data:`CHECK_SENTENCES`, a backchannel included)
through the normal synthesis path (backend, finishing, signal QC) with the cache off, and the
check reports per voice:

* **RTF**: wall-clock seconds of engine + finishing per second of audio produced;
* **WER**: faster-whisper (bundled tiny.en unless ``asr_model`` says otherwise) transcripts of
  the sentences of 3+ words against their text, mean per voice;
* **QC failures**: any sentence the synth stage would reject (``tts_error``, ``tts_empty``...);
* **distinctness**: the closest pair of voices must sound different. With a speaker-embedding
  ONNX model (:mod:`duplexsynth.synth.speakers`) that is the cosine distance of mean embeddings;
  without one, median pitch (semitones apart) and the mean log-mel spectrum (dB RMS apart):
  a pair is distinct when either differs by its threshold.

:func:`check_bank` returns a :class:`CheckReport` whose ``problems`` lists every threshold
crossed; the command prints the report and exits non-zero when there is any.
"""

from __future__ import annotations

import itertools
import time
from dataclasses import asdict, dataclass, field
from typing import ClassVar

import numpy as np

from duplexsynth.audio import decode_audio
from duplexsynth.config import StageConfig, setting
from duplexsynth.synth.config import SynthConfig
from duplexsynth.synth.engine import Synthesizer, preflight
from duplexsynth.synth.qc import IntelligibilityChecker, QCFailure, spoken_counts, word_error_rate
from duplexsynth.synth.speakers import SpeakerEmbedder, pitch_hz, spectral_profile_db
from duplexsynth.synth.voices import VoiceBank

CHECK_SENTENCES: tuple[str, ...] = (
    "Hello, thanks for calling. How can I help you today?",
    "I would like to move my flight to next Tuesday, if that is possible.",
    "The meeting starts at half past three, so we still have about an hour.",
    "Could you explain that again, a little more slowly please?",
    "That sounds great, let us do it.",
    "Mhm.",
)


class Thresholds(StageConfig):
    """Limits above (or below) which the check fails (``check-tts``'s flags)."""

    SECTION: ClassVar[str] = "check-tts"

    max_rtf: float = setting(1.0, "Highest real-time factor.", flag=True)
    max_wer: float = setting(0.4, "Highest mean WER per voice.", flag=True)
    min_semitones: float = setting(
        1.5, "Two voices are distinct when their median pitch differs by this much ...", flag=True
    )
    min_spectral_db: float = setting(
        2.0, "... or their mean log-mel spectra differ by this much (dB RMS).", flag=True
    )
    min_embedding_distance: float = setting(
        0.3, "With --speaker-model: lowest cosine distance between two voices.", flag=True
    )


@dataclass
class VoiceResult:
    voice: str
    backend: str
    sentences: int
    audio_s: float
    rtf: float
    wer: float | None
    pitch_hz: float | None
    failures: list[str] = field(default_factory=list)
    transcripts: list[str] = field(default_factory=list)


@dataclass
class PairResult:
    a: str
    b: str
    semitones: float | None
    spectral_db: float
    embedding_distance: float | None
    distinct: bool


@dataclass
class CheckReport:
    voices: list[VoiceResult]
    pairs: list[PairResult]
    thresholds: Thresholds
    method: str
    problems: list[str]

    @property
    def ok(self) -> bool:
        return not self.problems

    def to_dict(self) -> dict:
        return {
            "ok": self.ok,
            "method": self.method,
            "thresholds": self.thresholds.to_dict(),
            "voices": [asdict(v) for v in self.voices],
            "pairs": [asdict(p) for p in self.pairs],
            "problems": list(self.problems),
        }

    def render(self) -> str:
        """A plain-text table of the report."""
        lines = [
            f"{'voice':<28} {'backend':<10} {'audio_s':>8} {'RTF':>7} {'WER':>6} {'F0_Hz':>6}  QC"
        ]
        for v in self.voices:
            wer = "-" if v.wer is None else f"{v.wer:.2f}"
            f0 = "-" if v.pitch_hz is None else f"{v.pitch_hz:.0f}"
            qc = "ok" if not v.failures else f"{len(v.failures)} failed"
            lines.append(
                f"{v.voice:<28} {v.backend:<10} {v.audio_s:>8.1f} {v.rtf:>7.3f} {wer:>6} {f0:>6}  {qc}"
            )
        if self.pairs:
            closest = min(self.pairs, key=_closeness)
            lines.append(
                f"closest pair ({self.method}): {closest.a} / {closest.b}: {_pair_text(closest)}"
            )
        lines.append("PASS" if self.ok else "FAIL:\n  " + "\n  ".join(self.problems))
        return "\n".join(lines)


def _closeness(p: PairResult) -> tuple:
    if p.embedding_distance is not None:
        return (p.distinct, p.embedding_distance)
    return (p.distinct, p.spectral_db + (p.semitones or 0.0))


def _pair_text(p: PairResult) -> str:
    if p.embedding_distance is not None:
        return f"embedding distance {p.embedding_distance:.3f}"
    st = "-" if p.semitones is None else f"{p.semitones:.1f}"
    return f"{st} semitones, {p.spectral_db:.1f} dB spectral"


def check_bank(
    config: SynthConfig,
    bank: VoiceBank,
    thresholds: Thresholds = Thresholds(),
    sentences: tuple[str, ...] = CHECK_SENTENCES,
    voice_ids: list[str] | None = None,
    speaker_model: str | None = None,
    asr: IntelligibilityChecker | None = None,
) -> CheckReport:
    """Synthesize ``sentences`` in every voice (or ``voice_ids``) and measure; see the module."""
    preflight(config, bank)
    voices = [bank.get(v) for v in voice_ids] if voice_ids else list(bank.voices)
    config.cache = False
    synth = Synthesizer(config, bank)
    synth.setup()
    asr = asr or IntelligibilityChecker(config.asr_model, config.engine_threads)
    embedder = SpeakerEmbedder(speaker_model) if speaker_model else None
    results, audio_by_voice, problems = [], {}, []
    for voice in voices:
        start = time.perf_counter()
        rendered = synth.render_many(voice, list(sentences))
        elapsed = time.perf_counter() - start
        clips, failures, wers, heard = [], [], [], []
        for text, r in zip(sentences, rendered):
            if isinstance(r, QCFailure):
                failures.append(f"{text!r}: {r.reason.value}: {r.detail}")
                continue
            audio, sr = decode_audio(r.flac)
            clips.append(audio)
            if spoken_counts(text)[0] >= config.asr_min_words:
                transcript = asr.transcribe(audio, sr)
                heard.append(transcript)
                wers.append(word_error_rate(text, transcript))
        audio = np.concatenate(clips) if clips else np.zeros(0, np.float32)
        audio_s = len(audio) / config.sample_rate_hz
        res = VoiceResult(
            voice=voice.id,
            backend=voice.backend,
            sentences=len(sentences),
            audio_s=round(audio_s, 3),
            rtf=round(elapsed / audio_s, 4) if audio_s else float("inf"),
            wer=round(float(np.mean(wers)), 4) if wers else None,
            pitch_hz=pitch_hz(audio, config.sample_rate_hz),
            failures=failures,
            transcripts=heard,
        )
        results.append(res)
        audio_by_voice[voice.id] = audio
        for f in failures:
            problems.append(f"{voice.id}: QC failure {f}")
        if res.rtf > thresholds.max_rtf:
            problems.append(f"{voice.id}: RTF {res.rtf:.3f} > {thresholds.max_rtf}")
        if res.wer is not None and res.wer > thresholds.max_wer:
            problems.append(
                f"{voice.id}: WER {res.wer:.2f} > {thresholds.max_wer} (heard {heard!r})"
            )
    pairs = _pairs(audio_by_voice, results, config.sample_rate_hz, thresholds, embedder)
    for p in pairs:
        if not p.distinct:
            problems.append(f"voices {p.a} and {p.b} sound alike: {_pair_text(p)}")
    method = f"speaker embedding {speaker_model}" if embedder else "pitch + spectrum"
    return CheckReport(results, pairs, thresholds, method, problems)


def _pairs(audio_by_voice, results, sr, thresholds, embedder) -> list[PairResult]:
    pitch = {r.voice: r.pitch_hz for r in results}
    spectra = {v: spectral_profile_db(a, sr) for v, a in audio_by_voice.items() if len(a)}
    emb = (
        {v: embedder.embed(a, sr) for v, a in audio_by_voice.items() if len(a)} if embedder else {}
    )
    out = []
    for a, b in itertools.combinations(sorted(spectra), 2):
        st = None
        if pitch[a] and pitch[b]:
            st = round(float(abs(12.0 * np.log2(pitch[a] / pitch[b]))), 3)
        spec = round(float(np.sqrt(np.mean((spectra[a] - spectra[b]) ** 2))), 3)
        dist = None
        if embedder:
            ea, eb = emb[a], emb[b]
            dist = round(
                1.0 - float(ea @ eb / (np.linalg.norm(ea) * np.linalg.norm(eb) + 1e-12)), 4
            )
            distinct = bool(dist >= thresholds.min_embedding_distance)
        else:
            distinct = bool(
                (st is not None and st >= thresholds.min_semitones)
                or spec >= thresholds.min_spectral_db
            )
        out.append(PairResult(a, b, st, spec, dist, distinct))
    return out
