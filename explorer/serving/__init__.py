"""What TF Serving makes of a model: its signature rules and verdicts, its metadata JSON,
and the human-readable listing built on both. Imports ``model`` and below."""
