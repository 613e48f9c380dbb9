"""The default appeal detector: explainable word rules for questions, complaints and requests."""
