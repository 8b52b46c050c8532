"""Deterministic models and solvers: every number a decision uses comes from here."""
