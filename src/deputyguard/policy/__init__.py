"""Parsing and modelling of AWS policy documents."""
