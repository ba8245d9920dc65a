"""The MoCap trainer: the multi-clip policy distilled from the tracking expert (distill.py)."""
