"""Everything that touches torch and diffusers: models, samplers, recordings, the CLI."""
from __future__ import annotations

import os
import sys


def quiet_diffusers() -> None:
    """Show diffusers' errors only: its advice (install accelerate, ...) would drown diffviz's one-line messages.
    A step where a diffviz command starts, not a side effect of importing; a DIFFUSERS_VERBOSITY set by the
    user wins."""
    if "DIFFUSERS_VERBOSITY" in os.environ:
        return
    os.environ["DIFFUSERS_VERBOSITY"] = "error"  # read by diffusers when it is first imported
    if "diffusers" in sys.modules:  # imported already: it has read the environment
        from diffusers.utils import logging
        logging.set_verbosity_error()
