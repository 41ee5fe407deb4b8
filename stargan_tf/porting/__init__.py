"""Importing pretrained PyTorch weights: reading checkpoint files without torch and without
running code from them (``torch_files``), and mapping state dicts onto our networks."""
