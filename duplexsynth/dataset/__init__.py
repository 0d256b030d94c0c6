"""Product commands on a written dataset (OUT): validate, export, report, preview, stats;
the readers of its final shards (:mod:`duplexsynth.dataset.shards`)."""
