"""Manim scenes that read recorded trajectories. Importing a scene never imports torch."""
