"""What the scene files share, by concern: the palette and text, numbers that change every step, image
panels, plots, equations, narration, the scene base (slides, the video clock, sweeps), the camera and the
encoder, and the layout check. The kit never imports a scene file."""
