"""Everything that touches torch and diffusers: models, samplers, recordings, the CLI."""
from __future__ import annotations

import os
import sys

# torch's CPU convolutions (oneDNN) keep the kernels they compile for each shape in a cache of 1,024 by default.
# The engine calls the UNet at every batch size its runs come to (51 sizes in a full build of the embedded model,
# about 126 kernels a call), so that cache thrashes: each call compiles its kernels again, about 14 % of a call that
# follows one at another batch size (docs/performance.md). Kernels are chosen by shape alone, so the cache's size
# changes no result. oneDNN reads this when it makes its first kernel, so it is set on import, before any model
# runs; a value the user set wins.
os.environ.setdefault("ONEDNN_PRIMITIVE_CACHE_CAPACITY", "16384")


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
