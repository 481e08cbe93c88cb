"""The noise schedules the mixtures can be diffused with: three of diffusers' beta schedules, by the
names diffusers gives them, each with the betas it is known by (1000 training steps in all three).

    linear              betas 1e-4..0.02: Ho et al. (2020), google's DDPM models and the embedded one
    squaredcos_cap_v2   the cosine schedule of Nichol and Dhariwal (2021), betas capped at 0.999
    scaled_linear       sqrt(beta) linear in 0.00085..0.012: Stable Diffusion's

A schedule is a few keys of a diffusers scheduler config; the rest (steps, spacing) is the model's.
"""
from __future__ import annotations

SCHEDULES: dict[str, dict] = {
    "linear": {"beta_schedule": "linear", "beta_start": 0.0001, "beta_end": 0.02},
    "squaredcos_cap_v2": {"beta_schedule": "squaredcos_cap_v2"},
    "scaled_linear": {"beta_schedule": "scaled_linear", "beta_start": 0.00085, "beta_end": 0.012},
}
DEFAULT_SCHEDULE = "linear"
SPOKEN = {"linear": "linear", "squaredcos_cap_v2": "cosine", "scaled_linear": "scaled linear"}  # as a talk says it


def schedule_in_words(schedule: str) -> str:
    """A recording's beta schedule as a talk names it: the image models' own (linear), or another by name."""
    return "the image models' linear schedule" if schedule == DEFAULT_SCHEDULE else f"the {SPOKEN[schedule]} schedule"


def with_schedule(scheduler_config: dict, schedule: str) -> dict:
    """A scheduler config with another beta schedule; the keys of the schedule replace the config's."""
    if schedule not in SCHEDULES:
        raise KeyError(f"no schedule {schedule!r}; the schedules are {', '.join(SCHEDULES)}")
    return {**scheduler_config, **SCHEDULES[schedule]}
