"""The one base of every error diffviz reports to a person (standard library only)."""
from __future__ import annotations


class DiffvizError(Exception):
    """A fault in what diffviz was given or found: its message is one line that names the value and the fix.
    The command prints it as `diffviz: <message>`; Jupyter and IPython show that line instead of a traceback."""

    def _render_traceback_(self) -> list[str]:  # IPython's hook for an exception that draws itself
        return [f"{type(self).__name__}: {self}"]
