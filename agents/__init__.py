"""Specialists, supervisor classifier, explainer, what-if analysis, policy rules and the LLM provider."""
