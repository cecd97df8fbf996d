"""Timing mode: the cycle model's inputs (``tables``), its driver over the SMs (``simulate``), and what it reports."""
