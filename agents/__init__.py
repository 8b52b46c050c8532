"""Specialists, supervisor classifier, explainer, policy rules and the LLM provider."""
