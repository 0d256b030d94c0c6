"""espeak-ng backend through the C library of ``espeakng-loader`` (ctypes, no subprocess).

Fast (hundreds of times faster than real time) and robotic: the engine for tests and quick
looks. ~10 English accents (``en-us``, ``en-gb``, ``en-gb-scotland``, ``en-029``...) times
voice variants (``m1``-``m7``, ``f1``-``f5``, ``klatt``...) give many distinct voices. Word
timings come from the library's word events (start of each word, in ms); a word ends where
the next one starts, minus the silence before it.
"""

from __future__ import annotations

import _ctypes
import contextlib
import ctypes
import os
import shutil
import tempfile
import threading
from importlib.metadata import PackageNotFoundError, version
from typing import Any

import numpy as np

from duplexsynth.synth.backends.base import BackendUnavailable, TTSBackend, TTSError, TTSResult
from duplexsynth.synth.textnorm import tokens

_AUDIO_OUTPUT_SYNCHRONOUS = 2
_EVENT_WORD = 1
_POS_CHARACTER = 1
_CHARS_UTF8 = 1
_PARAMS = {"rate": 1, "volume": 2, "pitch": 3, "range": 4, "wordgap": 7}
#: language codes people write that espeak-ng names differently
_ALIASES = {"en-gb": "en", "en-uk": "en", "en_gb": "en", "en_us": "en-us", "english": "en"}
#: espeak-ng's own random generator (voicing noise) is seeded with this, not the clock
RAND_SEED = 20240501
_INSTALL = "pip install espeakng-loader (or apt-get install libespeak-ng1)"


class _EventId(ctypes.Union):
    _fields_ = [("number", ctypes.c_int), ("name", ctypes.c_char_p), ("string", ctypes.c_char * 8)]


class _Event(ctypes.Structure):
    _fields_ = [
        ("type", ctypes.c_int),
        ("unique_identifier", ctypes.c_uint),
        ("text_position", ctypes.c_int),
        ("length", ctypes.c_int),
        ("audio_position", ctypes.c_int),
        ("sample", ctypes.c_int),
        ("user_data", ctypes.c_void_p),
        ("id", _EventId),
    ]


_CALLBACK = ctypes.CFUNCTYPE(
    ctypes.c_int, ctypes.POINTER(ctypes.c_short), ctypes.c_int, ctypes.POINTER(_Event)
)


class EspeakBackend(TTSBackend):
    """Voice params: ``voice`` (espeak language/voice, default ``en-us``), ``variant``
    (``m3``, ``f2``, ``klatt``...), ``rate`` (words per minute, default 175), ``pitch`` and
    ``range`` (0-100), ``wordgap`` (pause between words, 10 ms units), ``volume`` (0-200,
    default 100; the Mandarin voices use less: their loud syllables clip at 100)."""

    name = "espeak"
    param_keys = frozenset({"voice", "variant", "rate", "pitch", "range", "wordgap", "volume"})

    def __init__(self) -> None:
        self._lib_path = ""
        self._sample_rate = 0
        self._lock = threading.Lock()
        self._callback = _CALLBACK(self._on_synth)  # keep a reference for the library's lifetime
        self._samples: list[np.ndarray] = []
        self._events: list[tuple[int, int]] = []
        self._data_path = ""
        self._tmpdir: str | None = None

    # ------------------------------------------------------------------------------ loading
    def load(self) -> None:
        """Make a private copy of the library (espeak-ng keeps process-global state, and other
        users in this process, such as phonemizer under kokoro-onnx, must not share it)."""
        with self._lock:
            if self._lib_path:
                return
            try:
                import espeakng_loader
            except ImportError as exc:
                raise BackendUnavailable(f"espeak-ng is not installed: {_INSTALL}") from exc
            self._tmpdir = tempfile.mkdtemp(prefix="duplexsynth-espeak-")
            lib_path = os.path.join(self._tmpdir, "libespeak-ng.so")
            shutil.copyfile(espeakng_loader.get_library_path(), lib_path)
            self._data_path = espeakng_loader.get_data_path()
            self._lib_path = lib_path
            with self._library():  # fail early, with a clear message, if it cannot start
                pass

    @contextlib.contextmanager
    def _library(self):
        """A freshly loaded, initialized library, unloaded afterwards.

        espeak-ng carries state from one utterance into the next (its pitch flutter phase),
        so the same text would sound slightly different depending on what was said before.
        Loading the library afresh per utterance (about a millisecond) makes every call
        independent: same text and voice, same samples.
        """
        lib = ctypes.CDLL(self._lib_path)
        try:
            lib.espeak_Initialize.restype = ctypes.c_int
            lib.espeak_Initialize.argtypes = [
                ctypes.c_int,
                ctypes.c_int,
                ctypes.c_char_p,
                ctypes.c_int,
            ]
            # espeak wants the folder that holds espeak-ng-data
            rate = lib.espeak_Initialize(
                _AUDIO_OUTPUT_SYNCHRONOUS, 0, os.path.dirname(self._data_path).encode(), 0
            )
            if rate <= 0:
                raise BackendUnavailable(
                    f"espeak-ng failed to initialize (data: {self._data_path})"
                )
            lib.espeak_SetSynthCallback.argtypes = [_CALLBACK]
            lib.espeak_SetSynthCallback(self._callback)
            lib.espeak_SetVoiceByName.argtypes = [ctypes.c_char_p]
            lib.espeak_SetParameter.argtypes = [ctypes.c_int, ctypes.c_int, ctypes.c_int]
            lib.espeak_Synth.argtypes = [
                ctypes.c_char_p,
                ctypes.c_size_t,
                ctypes.c_uint,
                ctypes.c_int,
                ctypes.c_uint,
                ctypes.c_uint,
                ctypes.POINTER(ctypes.c_uint),
                ctypes.c_void_p,
            ]
            if hasattr(lib, "espeak_ng_SetRandSeed"):  # espeak-ng seeds its noise from the clock
                lib.espeak_ng_SetRandSeed.argtypes = [ctypes.c_long]
                lib.espeak_ng_SetRandSeed(RAND_SEED)
            self._sample_rate = int(rate)
            yield lib
        finally:
            with contextlib.suppress(Exception):
                lib.espeak_Terminate()
            with contextlib.suppress(Exception):
                _ctypes.dlclose(lib._handle)

    def version(self) -> str:
        try:
            v = version("espeakng-loader")
        except PackageNotFoundError:
            v = "unknown"
        return f"espeak-ng (espeakng-loader {v}), seed {RAND_SEED}, fresh state per utterance"

    @classmethod
    def validate_params(cls, params: dict[str, Any]) -> None:
        super().validate_params(params)
        for key in ("rate", "pitch", "range", "wordgap", "volume"):
            if key in params and not isinstance(params[key], (int, float)):
                raise ValueError(f"espeak {key} must be a number, got {params[key]!r}")

    # ---------------------------------------------------------------------------- synthesis
    def _on_synth(self, wav, numsamples, events) -> int:
        if numsamples > 0 and wav:
            self._samples.append(np.ctypeslib.as_array(wav, shape=(numsamples,)).copy())
        i = 0
        while events and events[i].type != 0:
            ev = events[i]
            if ev.type == _EVENT_WORD:
                self._events.append((int(ev.text_position), int(ev.audio_position)))
            i += 1
        return 0

    def speak(
        self, text: str, spoken_text: str, spoken_tokens: list[str], params: dict[str, Any]
    ) -> TTSResult:
        # one space between tokens: word events are mapped back by character position (espeak's
        # Mandarin voice gives one event per syllable and sounds the same with or without them)
        spoken_text = " ".join(spoken_tokens)
        voice = str(params.get("voice", "en-us"))
        voice = _ALIASES.get(voice.lower(), voice)
        if params.get("variant"):
            voice = f"{voice}+{params['variant']}"
        with self._lock, self._library() as lib:
            if lib.espeak_SetVoiceByName(voice.encode()) != 0:
                raise TTSError(f"espeak-ng has no voice {voice!r}")
            settings = {"rate": 175, "pitch": 50, "range": 50, "wordgap": 0, "volume": 100}
            settings.update({k: params[k] for k in _PARAMS if k in params})
            for key, value in settings.items():
                lib.espeak_SetParameter(_PARAMS[key] if key != "volume" else 2, int(value), 0)
            self._samples, self._events = [], []
            data = spoken_text.encode("utf-8")
            err = lib.espeak_Synth(
                data, len(data) + 1, 0, _POS_CHARACTER, 0, _CHARS_UTF8, None, None
            )
            if err != 0:
                raise TTSError(f"espeak-ng failed on {text!r} (error {err})")
            samples, events = self._samples, self._events
            self._samples, self._events = [], []
        pcm = np.concatenate(samples) if samples else np.zeros(0, np.int16)
        audio = pcm.astype(np.float32) / 32768.0
        words = _word_timings(tokens(text), spoken_tokens, events, audio, self._sample_rate)
        return TTSResult(audio=audio, sample_rate=self._sample_rate, words=words)


def _word_timings(
    tokens: list[str],
    spoken_tokens: list[str],
    events: list[tuple[int, int]],
    audio: np.ndarray,
    sr: int,
) -> tuple[tuple[str, float, float], ...] | None:
    """Token spans from word events ``(1-based char position, ms)`` in the spoken text."""
    if not events or not len(audio):
        return None
    starts_char = []
    pos = 0
    for tok in spoken_tokens:
        starts_char.append(pos)
        pos += len(tok) + 1
    dur = len(audio) / sr
    first: dict[int, float] = {}
    for char_pos, ms in events:
        idx = int(np.searchsorted(starts_char, char_pos - 1, side="right")) - 1
        idx = min(max(idx, 0), len(tokens) - 1)
        first.setdefault(idx, min(ms / 1000.0, dur))
    # espeak joins some words into one event ("in the", "to be"): a group of tokens that share
    # one event splits the group's span in proportion to the letters each token speaks
    spans: list[tuple[str, float, float]] = []
    floor = 0.0
    i = 0
    while i < len(tokens):
        if i not in first:  # before the first event: nothing spoken yet
            spans.append((tokens[i], floor, floor))
            i += 1
            continue
        j = i + 1
        while j < len(tokens) and j not in first:
            j += 1
        start = max(first[i], floor)
        limit = max(first[j] if j < len(tokens) else dur, start)
        end = _speech_end(audio, sr, start, limit)
        weights = [sum(ch.isalnum() for ch in spoken_tokens[k]) for k in range(i, j)]
        total = sum(weights) or 1
        t = start
        for k, w in zip(range(i, j), weights):
            nxt = t + (end - start) * w / total
            spans.append((tokens[k], t, nxt))
            t = nxt
        floor = end
        i = j
    return tuple(spans)


def _speech_end(audio: np.ndarray, sr: int, start: float, limit: float) -> float:
    """The last moment in ``[start, limit)`` where the signal is above a silence threshold."""
    a, b = int(start * sr), int(limit * sr)
    seg = np.abs(audio[a:b])
    if not seg.size:
        return start
    threshold = max(1e-3, 0.02 * float(np.abs(audio).max()))
    loud = np.flatnonzero(seg > threshold)
    if not loud.size:
        return start
    return min(limit, (a + int(loud[-1]) + 1) / sr)
