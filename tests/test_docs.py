"""The manual: mkdocs.yml and docs/ build strictly and offline, its generated pages hold what they are made from,
and README.md stays a front page whose links hold.

The site is built once (about 2 s) by `python -m mkdocs build --strict`, as a user builds it. What the pages
must hold is found here independently of the site's own generators: the commands by walking the click group,
the bad-input ids by reading tests/test_bad_input.py's ROWS with `ast` (never importing it).
"""
from __future__ import annotations

import ast
import os
import re
import subprocess
import sys
from pathlib import Path
from urllib.parse import unquote, urlsplit

import click
import pytest
from bs4 import BeautifulSoup

from sampling.cli import main

ROOT = Path(__file__).resolve().parents[1]

pytest.importorskip("mkdocs", reason="the docs extra is not installed: pip install -e .[docs]")
pytest.importorskip("material", reason="the docs extra is not installed: pip install -e .[docs]")
pytest.importorskip("mkdocs_click", reason="the docs extra is not installed: pip install -e .[docs]")


@pytest.fixture(scope="module")
def site(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("site")
    env = os.environ | {"NO_MKDOCS_2_WARNING": "1", "HF_HUB_OFFLINE": "1"}
    done = subprocess.run([sys.executable, "-m", "mkdocs", "build", "--strict", "--site-dir", str(out)],
                          cwd=ROOT, env=env, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, f"mkdocs build --strict failed:\n{done.stdout}\n{done.stderr}"
    return out


def page_text(site: Path, name: str) -> str:
    return BeautifulSoup((site / name).read_text(encoding="utf-8"), "html.parser").get_text()


def commands(group: click.Command, path: tuple[str, ...] = ()) -> list[tuple[tuple[str, ...], click.Command]]:
    """Every command under the group, nested ones included, with its path of names."""
    found = [(path, group)]
    if isinstance(group, click.Group):
        for name, command in group.commands.items():
            found += commands(command, path + (name,))
    return found


def test_the_command_reference_holds_every_command_and_option(site):
    text = page_text(site, "commands.html")
    listed = commands(main)
    assert len(listed) >= 9, "the walk found too few commands"
    for path, command in listed:
        if path:
            assert "diffviz " + " ".join(path) in text, f"diffviz {' '.join(path)} is not in the command reference"
        for param in command.params:
            if isinstance(param, click.Option):
                for opt in param.opts:
                    assert re.search(rf"(?<![\w-]){re.escape(opt)}(?![\w-])", text), \
                        f"{opt} of diffviz {' '.join(path)} is not in the command reference"


def bad_input_ids() -> list[str]:
    """The ids of tests/test_bad_input.py's ROWS, read with ast: each row's place and fault are literals."""
    tree = ast.parse((ROOT / "tests" / "test_bad_input.py").read_text(encoding="utf-8"))
    rows = next(s.value for s in tree.body if isinstance(s, ast.Assign)
                and any(isinstance(t, ast.Name) and t.id == "ROWS" for t in s.targets))
    return [re.sub(r"[^a-z0-9.]+", "-", f"{ast.literal_eval(r.elts[0])} {ast.literal_eval(r.elts[1])}".lower())
            .strip("-") for r in rows.elts]


def test_the_error_page_has_a_row_for_every_bad_input_case(site):
    ids = bad_input_ids()
    assert len(ids) >= 70, "the inventory read too few rows"
    soup = BeautifulSoup((site / "errors.html").read_text(encoding="utf-8"), "html.parser")
    table = soup.find("table", class_="bad-input")
    assert table is not None, "errors.html has no generated table"
    shown = [row.get("id") for row in table.find_all("tr") if row.get("id")]
    missing = [i for i in ids if i not in shown]
    assert not missing, f"rows of tests/test_bad_input.py that the error page lacks: {missing}"
    assert len(shown) == len(ids), "the error page has rows the inventory does not"


def test_no_page_loads_a_script_stylesheet_or_font_from_the_network(site):
    remote = []
    for page in site.rglob("*.html"):
        soup = BeautifulSoup(page.read_text(encoding="utf-8"), "html.parser")
        for tag in soup.find_all(["script", "link", "img", "iframe", "source"]):
            url = tag.get("src") or (tag.get("href") if tag.name == "link" else None)
            if url and re.match(r"(https?:)?//", url):
                remote.append(f"{page.relative_to(site)}: <{tag.name}> {url}")
        for style in soup.find_all("style"):
            remote += [f"{page.relative_to(site)}: {u}" for u in re.findall(r"url\(\s*['\"]?((?:https?:)?//[^)'\"]+)",
                                                                            style.get_text())]
    for sheet in site.rglob("*.css"):
        remote += [f"{sheet.relative_to(site)}: {u}" for u in re.findall(
            r"(?:@import\s+(?:url\()?|url\()\s*['\"]?((?:https?:)?//[^)'\"\s;]+)", sheet.read_text(encoding="utf-8"))]
    assert not remote, "the site fetches from the network:\n" + "\n".join(remote)


README = ROOT / "README.md"


def test_the_api_reference_holds_every_public_function_with_its_docstring(site):
    """Every public function of sampling.api (its __all__) and tools.widget's show and sandbox, found here with
    inspect: its name, its parameters and its docstring's first line are on the generated page."""
    import inspect

    from sampling import api
    from tools import widget
    text = " ".join(page_text(site, "api.html").split())
    public = [getattr(api, name) for name in api.__all__ if inspect.isfunction(getattr(api, name))]
    assert len(public) == 6
    for fn in [*public, widget.show, widget.sandbox]:
        assert f"{fn.__name__}(" in text, fn.__name__
        assert all(p in text for p in inspect.signature(fn).parameters), fn.__name__
        first = " ".join(inspect.getdoc(fn).split("\n")[0].split()).replace("`", "")
        assert first in text, (fn.__name__, first)


def test_the_readme_is_a_front_page_of_at_most_200_lines():
    lines = README.read_text(encoding="utf-8").splitlines()
    assert len(lines) <= 200, f"README.md has {len(lines)} lines; the manual (docs/) is where more goes"


def test_every_relative_link_and_image_of_the_readme_exists():
    text = README.read_text(encoding="utf-8")
    targets = re.findall(r"!?\[(?:[^\[\]]|\[[^\]]*\])*\]\(([^)\s]+)\)", text) + re.findall(r'src="([^"]+)"', text)
    relative = [t for t in targets if not re.match(r"[a-z][a-z0-9+.-]*:|#|//", t)]
    assert relative, "no relative links found: the pattern is broken"
    missing = [t for t in relative if not (ROOT / unquote(urlsplit(t).path)).exists()]
    assert not missing, f"README.md links to files that do not exist: {missing}"
