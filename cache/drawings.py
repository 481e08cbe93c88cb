"""A drawing saved by the explorer's sandbox ("save the drawing"), read as a mixture: `--model mixture:FILE.json`.

The file is JSON and nothing else runs: one object with exactly these keys,

    {"format": "diffviz-drawing", "version": 1,
     "points": [[x, y], ...],      1..600 points, each coordinate a finite number within [-1.27, 1.27]
     "classes": [0, 1, ...]}       each point's brush, 0 or 1 (the classes of guidance: 'brush 0', 'brush 1')

checked strictly (unknown keys, NaN, booleans for numbers, a file over 256 KiB are refused) before anything is
recorded; its mixture is mixture_from_points's (cache/mixtures.py), the rule that the sandbox mirrors. A recording's
cache key holds the mixture's sha256, so it follows the file's content.
"""
from __future__ import annotations

import json
import math
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from .errors import DiffvizError
from .mixtures import Mixture, mixture_from_points

FORMAT, VERSION = "diffviz-drawing", 1
MAX_POINTS = 600      # what the sandbox holds (and a link carries)
LIMIT = 1.27          # |x|, |y| at most: the sandbox's square (int8 of x * 100 in a link)
MAX_BYTES = 256 * 1024
KEYS = ("format", "version", "points", "classes")
FIX = "save it again with the sandbox's \"save the drawing\" button"


class DrawingError(DiffvizError, ValueError):
    """A drawing file that cannot be used; the message names the file, the value and the fix."""


def is_drawing(model: str) -> bool:
    """Whether a model name is a drawing: mixture:FILE.json."""
    return model.startswith("mixture:") and model.lower().endswith(".json")


TWO_D = "mixture:smiley"  # the 2D mixture of the chapters (toy, schedules, guidance, flow) a drawing stands in for


def two_d_mixture(configured: str, shown: str = TWO_D) -> str:
    """The mixture a 2D mixture scene or view shows: the configured drawing (mixture:FILE.json) where `shown` is
    the 2D mixture it stands in for, else `shown`."""
    return configured if is_drawing(configured) and shown == TWO_D else shown


@dataclass(frozen=True)
class MixtureWords:
    """How the words of a 2D mixture's scene or view name what it shows: the smiley, or a drawing."""
    the: str         # "the smiley": Forward: the smiley dissolves
    a: str           # "a smiley": 2000 points of a smiley
    name: str        # "smiley": Noise to smiley
    points: str      # "a smiley of points": the 2D toy's subtitle and the explorer's title
    drawing_it: str  # "drawing a smiley face": points x_0 drawing a smiley face
    x0: str          # "the smiley x_0"
    both: str        # "both smileys": the last frame of two clouds
    whole: str       # "the whole smiley": all of it, against one class
    face: str        # "the smiley's face": the shape the samples make
    sharp: str       # "a sharp face": the shape where few samples land between its strokes
    parts: str       # "the smiley's parts": what guidance's classes are
    against: str     # what the class is sampled against, after "c = mouth": "" for the smiley
    is_drawing: bool = False

    @property
    def whose(self) -> str:
        """"the smiley's", "your drawing's"."""
        return f"{self.the}'s"

    def the_class(self, c: str) -> str:
        """A class of it in a sentence: "the mouth" of the smiley, "brush 1" of a drawing."""
        return c if self.is_drawing else f"the {c}"


SMILEY_WORDS = MixtureWords("the smiley", "a smiley", "smiley", "a smiley of points", "drawing a smiley face",
                            "the smiley x_0", "both smileys", "the whole smiley", "the smiley's face", "a sharp face",
                            "the smiley's parts", "")
DRAWING_WORDS = MixtureWords("your drawing", "your drawing", "your drawing", "your drawing's points",
                             "of your drawing", "your drawing's x_0", "both copies of your drawing",
                             "all of your drawing", "your drawing", "a sharp copy of it", "your drawing's brushes",
                             " against the rest, brush 0", is_drawing=True)


def mixture_words(model: str) -> MixtureWords:
    """The words for the 2D mixture that `model` names (a model name, mixture:smiley or mixture:FILE.json, as
    a recording's manifest keeps it): a drawing's, else the smiley's."""
    return DRAWING_WORDS if is_drawing(model) else SMILEY_WORDS


def _number(value) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def read_drawing(path: str | Path) -> Mixture:
    """The drawing at `path` as a labelled Mixture (classes 'brush 0', 'brush 1'); DrawingError, one line naming
    the file and what to do, where it is missing, too large, not JSON, or not exactly a drawing."""
    path = Path(path).expanduser()
    if not path.exists():
        raise DrawingError(f"{path} does not exist; give the file the sandbox's \"save the drawing\" button wrote, "
                           "or a built-in mixture (mixture:1d, mixture:smiley)")
    if path.is_dir():
        raise DrawingError(f"{path} is a folder, not a drawing file; {FIX}")
    size = path.stat().st_size
    if size > MAX_BYTES:
        raise DrawingError(f"{path} is {size:,} bytes, over the {MAX_BYTES:,} a drawing of {MAX_POINTS} points "
                           f"may take; {FIX}")
    data = path.read_bytes()
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        raise DrawingError(f"{path} is not UTF-8 text; {FIX}") from None

    def constant(name):  # NaN, Infinity: not JSON's, though Python's json reads them
        raise ValueError(f"{name} is not a number JSON allows")
    try:
        value = json.loads(text, parse_constant=constant)
    except ValueError as err:
        what = "is empty" if not text.strip() else f"is not valid JSON ({err})"
        raise DrawingError(f"{path} {what}; {FIX}") from None
    if not isinstance(value, dict):
        raise DrawingError(f"{path} holds a JSON {type(value).__name__}, not a drawing object; {FIX}")
    unknown = [k for k in value if k not in KEYS]
    if unknown:
        raise DrawingError(f"{path} has unknown keys {', '.join(map(repr, unknown))}; a drawing holds only "
                           f"{', '.join(KEYS)}")
    missing = [k for k in KEYS if k not in value]
    if missing:
        raise DrawingError(f"{path} has no {', '.join(map(repr, missing))}; {FIX}")
    if value["format"] != FORMAT:
        raise DrawingError(f"{path}: format is {value['format']!r}, not {FORMAT!r}; {FIX}")
    if value["version"] != VERSION or not _number(value["version"]):
        raise DrawingError(f"{path}: version {value['version']!r} is not one this diffviz reads ({VERSION}); {FIX}")
    points, classes = value["points"], value["classes"]
    if not isinstance(points, list) or not 1 <= len(points) <= MAX_POINTS:
        n = f"{len(points)} of them" if isinstance(points, list) else f"a {type(points).__name__}"
        fix = "draw fewer points" if isinstance(points, list) and points else FIX
        raise DrawingError(f"{path}: points must be a list of 1 to {MAX_POINTS} [x, y] pairs, not {n}; {fix}")
    for i, p in enumerate(points):
        if not (isinstance(p, list) and len(p) == 2 and all(_number(v) for v in p)):
            raise DrawingError(f"{path}: points[{i}] is {json.dumps(p)[:40]}, not a pair of numbers [x, y]; {FIX}")
        for j, v in enumerate(p):
            if not (math.isfinite(v) and abs(v) <= LIMIT):
                raise DrawingError(f"{path}: points[{i}][{j}] is {v!r}, outside [-{LIMIT}, {LIMIT}] (the sandbox's "
                                   "square); move the point inside it")
    if not isinstance(classes, list) or len(classes) != len(points):
        n = f"{len(classes)} of them" if isinstance(classes, list) else f"a {type(classes).__name__}"
        raise DrawingError(f"{path}: classes must be a list of one brush (0 or 1) for each of the {len(points)} "
                           f"points, not {n}; {FIX}")
    for i, c in enumerate(classes):
        if not (_number(c) and c in (0, 1)):
            raise DrawingError(f"{path}: classes[{i}] is {json.dumps(c)[:40]}, not a brush 0 or 1; {FIX}")
    return mixture_from_points(points, [int(c) for c in classes])


def brush_counts(mixture: Mixture) -> tuple[int, int]:
    """How many points each brush drew."""
    labels = np.asarray(mixture.labels if mixture.labels is not None else [], np.int64)  # no brushes: none drew
    return int((labels == 0).sum()), int((labels == 1).sum())
