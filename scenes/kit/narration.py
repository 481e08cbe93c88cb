"""Narration: numbers and lists as a sentence reads them. The prose that reads a trajectory is made of
these and lives beside its scene as pure functions (trajectory in, text out), tested without rendering."""
from __future__ import annotations

WORDS = "zero one two three four five six seven eight nine ten eleven twelve".split()


def in_words(n: int) -> str:
    """A count as it reads in a sentence: "three" Gaussians, 104 Gaussians."""
    return WORDS[n] if 0 <= n < len(WORDS) else str(n)


def listed(items) -> str:
    """Items as a sentence lists them: "a", "a and b", "a, b and c"."""
    items = [str(i) for i in items]
    return ", ".join(items[:-1]) + " and " + items[-1] if len(items) > 1 else "".join(items)
