"""The authorization engine: request context, conditions, principals, evaluation logic."""
