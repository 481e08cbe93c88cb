"""Recorded trajectories: settings, model files, experiment specs, keys and the store. Needs numpy and
Pillow, never torch: it finds and stores; sampling/ records."""
