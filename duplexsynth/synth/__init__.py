"""synth stage: spoken turns -> per-turn mono audio in a fixed assistant voice and a sampled
user voice, with word timings, loudness normalization, quality control and a backchannel
lexicon. Engines: Piper, Kokoro, espeak-ng (offline), CosyVoice, any OpenAI-compatible server.
"""

from duplexsynth.synth.config import SynthConfig
from duplexsynth.synth.processor import SynthProcessor, synthesize_dialogue
from duplexsynth.synth.voices import Voice, VoiceBank, load_voice_bank

__all__ = [
    "SynthConfig",
    "SynthProcessor",
    "Voice",
    "VoiceBank",
    "load_voice_bank",
    "synthesize_dialogue",
]
