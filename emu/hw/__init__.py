"""Real GPUs: record what they compute for a fixed corpus (``capture``, ``corpus``) and replay it through emu
(``replay``)."""
