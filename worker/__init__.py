"""Background work: the periodic jobs, the queue worker and webhook delivery."""
