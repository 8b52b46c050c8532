"""The day-by-day simulation: the desk, a playbook or no action run over simulated days, and its report."""
