"""Recorded trajectories: settings, experiment specs, keys and the store. Needs numpy only."""
