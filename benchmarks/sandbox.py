"""The explorer's sandbox, timed in headless Chromium from file://: 2,000 points through DDIM-50 on a mixture of 500
components (points on a spiral), as the view runs it (12 ms slices), with the page's longest unanswered wait meanwhile
(a 0 ms timer's lateness), and as one synchronous call of diffvizSandbox.sample.

    .venv/bin/python -m benchmarks.sandbox
"""
from __future__ import annotations

import os
import shutil
import sys
import tempfile
from pathlib import Path

import numpy as np


def main() -> None:
    from playwright.sync_api import sync_playwright
    chromium = shutil.which("chromium") or shutil.which("chromium-browser")
    if chromium is None:
        sys.exit("no chromium on this machine: apt-get install chromium")
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        (folder / "diffviz.toml").write_text('model = "mixture:smiley"\n')
        os.environ["DIFFVIZ_CACHE"], os.environ["DIFFVIZ_CONFIG"] = str(folder / "cache"), str(folder / "diffviz.toml")
        from tools.explorer import write_explorer
        index = write_explorer(folder / "out")["folder"] / "index.html"
        a = np.linspace(0, 6 * np.pi, 500)
        r = 0.12 * a / np.pi / 1.8  # a spiral within [-1.27, 1.27], what a link carries
        points = np.stack([r * np.cos(a), r * np.sin(a)], 1)
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=chromium, args=["--no-sandbox"])
            page = browser.new_page()
            page.goto(index.as_uri() + "#sandbox/preset=ring/n=200")
            page.wait_for_selector("#sandbox[data-run='done']")
            code = page.evaluate("d => diffvizSandbox.encode(d)", points.flatten().tolist())
            assert page.evaluate("c => diffvizSandbox.decode(c).length", code) == 1000
            page.evaluate("""() => { window.lateness = 0; let last = performance.now();
                const tick = () => { const now = performance.now();
                  window.lateness = Math.max(window.lateness, now - last);
                  last = now; if (document.getElementById('sandbox').dataset.run !== 'done') setTimeout(tick, 0); };
                window.startWatch = () => { window.lateness = 0; last = performance.now(); setTimeout(tick, 0); }; }""")
            began = page.evaluate("() => { const t = performance.now(); location.hash = '#sandbox/p=" + code +
                                  "/n=2000/sampler=ddim/steps=50/schedule=linear'; startWatch(); return t; }")
            page.wait_for_selector("#sandbox[data-run='done']", timeout=120000)
            sliced = page.evaluate("performance.now()") - began
            status, lateness = page.text_content("#sandbox-status"), page.evaluate("window.lateness")
            sync = page.evaluate("""p => { const noise = diffvizSandbox.gaussians(4000, 1), t = performance.now();
                diffvizSandbox.sample({mixture: {points: p}, sampler: 'ddim', steps: 50, schedule: 'linear', noise});
                return performance.now() - t; }""", points.flatten().tolist())
            browser.close()
    print(f"sandbox, 2000 points, DDIM-50, 500 components, headless Chromium: in the view {sliced / 1000:.2f} s "
          f"({status}); longest wait for the page meanwhile {lateness:.0f} ms; "
          f"one synchronous call {sync / 1000:.2f} s")


if __name__ == "__main__":
    main()
