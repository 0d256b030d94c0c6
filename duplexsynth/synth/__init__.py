"""synth stage (being built)."""
