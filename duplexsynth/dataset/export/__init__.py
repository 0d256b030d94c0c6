"""Exporters from the final shards (``OUT/dialogues``) to what training repos read.

- :mod:`.moshi`: kyutai moshi-finetune (stereo WAV + word-alignment JSON + JSONL manifest).
- :mod:`.lhotse`: Lhotse manifests (recordings, supervisions, MultiCuts; optional Shar).
"""
