"""An mkdocs hook: the table of errors.md, made from the bad-input inventory of tests/test_bad_input.py.

The inventory (`ROWS`) is read with `ast`, never imported (the test module imports pytest and torch): each
row's place, fault, command, exit status and expected words are literals, or commands built from the
module's string constants (SAMPLE, BUILD, ...) with `+` and `.replace(...)`. The page holds the marker
below where the table goes; a row that cannot be read stops the build, so the table cannot drift.
"""
from __future__ import annotations

import ast
import html
import re
from pathlib import Path

from mkdocs.exceptions import PluginError

MARKER = "<!-- bad-input-rows -->"
INVENTORY = "tests/test_bad_input.py"


def row_id(place: str, fault: str) -> str:
    """The row's test id, as `_id()` in tests/test_bad_input.py makes it."""
    return re.sub(r"[^a-z0-9.]+", "-", f"{place} {fault}".lower()).strip("-")


def _value(node: ast.expr, names: dict[str, object]) -> object:
    """A literal, a module constant, `a + b` or `s.replace(a, b)` of those; anything else is an error."""
    if isinstance(node, ast.Constant):
        return node.value
    if isinstance(node, ast.Name) and node.id in names:
        return names[node.id]
    if isinstance(node, (ast.List, ast.Tuple)):
        return [_value(e, names) for e in node.elts]
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Add):
        return _value(node.left, names) + _value(node.right, names)
    if (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr == "replace"
            and not node.keywords):
        return str(_value(node.func.value, names)).replace(*(_value(a, names) for a in node.args))
    raise ValueError(f"line {node.lineno}: cannot read {ast.unparse(node)!r} without running the test module")


def read_rows(source: str) -> list[dict]:
    """Every ROWS entry of the test module's source: place, fault, command, status, words, id."""
    tree = ast.parse(source)
    names: dict[str, object] = {}
    rows = None
    for statement in tree.body:
        if not (isinstance(statement, ast.Assign) and len(statement.targets) == 1
                and isinstance(statement.targets[0], ast.Name)):
            continue
        name = statement.targets[0].id
        if name == "ROWS":
            rows = statement.value
        elif name.isupper():
            try:
                names[name] = _value(statement.value, names)
            except ValueError:
                pass  # a constant the rows do not use as a command
    if not isinstance(rows, ast.List):
        raise ValueError("no `ROWS = [...]` at module level")
    found = []
    for row in rows.elts:
        if not (isinstance(row, ast.Tuple) and len(row.elts) == 6):
            raise ValueError(f"line {row.lineno}: a row is (place, fault, make, command, status, words)")
        place, fault, _make, command, status, words = row.elts
        place, fault = _value(place, names), _value(fault, names)
        found.append({"place": place, "fault": fault, "command": _value(command, names),
                      "status": _value(status, names), "words": _value(words, names), "id": row_id(place, fault)})
    return found


def table(rows: list[dict]) -> str:
    """An HTML table, one row per inventory row, each with its id as an anchor."""
    def code(text: object) -> str:
        return f"<code>{html.escape(str(text))}</code>"

    lines = ['<table class="bad-input">',
             "<thead><tr><th>place</th><th>fault</th><th>command</th><th>exit</th>"
             "<th>the one line holds</th><th>test id</th></tr></thead>", "<tbody>"]
    for r in rows:
        words = "<br>".join(code(w) for w in r["words"])
        lines.append(f'<tr id="{r["id"]}"><td>{html.escape(r["place"])}</td><td>{html.escape(r["fault"])}</td>'
                     f'<td>{code(r["command"])}</td><td>{r["status"]}</td><td>{words}</td>'
                     f'<td><a href="#{r["id"]}">{code(r["id"])}</a></td></tr>')
    lines += ["</tbody>", "</table>"]
    return "\n".join(lines)


def on_page_markdown(markdown: str, page, config, files) -> str:
    if page.file.src_uri != "errors.md":
        return markdown
    if MARKER not in markdown:
        raise PluginError(f"errors.md lacks the marker {MARKER} where the table of {INVENTORY} goes")
    inventory = Path(config.config_file_path).parent / INVENTORY
    try:
        rows = read_rows(inventory.read_text(encoding="utf-8"))
    except (OSError, SyntaxError, ValueError) as e:
        raise PluginError(f"{INVENTORY}: {e}") from None
    return markdown.replace(MARKER, table(rows))
