"""duplexsynth: text dialogue corpora -> synthetic two-channel spoken dialogue for full-duplex models.

Stages, in data-flow order, one subpackage each: ``filters`` -> ``rewrite`` -> ``synth`` ->
``align`` -> ``schedule`` -> ``augment``; ``schemas`` holds the records and Arrow schemas that
cross stage boundaries and ``pipelines`` wraps the stages in Apache Beam transforms and the CLI.
"""

__version__ = "0.1.0"
