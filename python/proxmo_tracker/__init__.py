"""proxmo's tracker logger: the process `sink.tracker` starts (`python -m proxmo_tracker`) to
stream a run's metrics to W&B or MLflow with their own libraries (docs/tracking.md)."""
