"""Everything that touches torch and diffusers: models, samplers, recordings, the CLI."""
