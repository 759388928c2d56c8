"""Verified repairs: propose the smallest change for each finding, prove it with the engine."""
