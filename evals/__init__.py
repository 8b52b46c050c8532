"""Offline evaluation of decisions and their justifications."""
