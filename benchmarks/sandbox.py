"""The explorer's sandbox, timed in headless Chromium from file://: 2,000 points through DDIM-50 on a mixture of 500
components (points on a spiral), side by side in one page: as the view runs it in its Web Worker and in slices of
~20 ms on the page's own thread (each with the page's longest unanswered wait meanwhile, a 0 ms timer's lateness),
and as one synchronous call of diffvizSandbox.sample with the far components pruned (the default) and without.

    .venv/bin/python -m benchmarks.sandbox
"""
from __future__ import annotations

import os
import shutil
import sys
import tempfile
from pathlib import Path

import numpy as np

ROUNDS = 5


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

            def in_view(worker: bool) -> tuple[float, float, str]:
                """(seconds, longest wait for the page, engine) of the view's run, from a change of the link."""
                page.evaluate(f"location.hash = '#sandbox/p={code}/n=200/sampler=ddim/steps=50/schedule=linear'")
                page.wait_for_function("diffvizSandbox.state.n === 200 && diffvizSandbox.state.done", timeout=120000)
                began = page.evaluate("w => { diffvizSandbox.useWorker = w; const t = performance.now(); "
                                      f"location.hash = '#sandbox/p={code}/n=2000/sampler=ddim/steps=50/"
                                      "schedule=linear'; startWatch(); return t; }", worker)
                page.wait_for_function("diffvizSandbox.state.n === 2000 && diffvizSandbox.state.done", timeout=120000)
                took = page.evaluate("performance.now()") - began
                return took / 1000, page.evaluate("window.lateness"), page.get_attribute("#sandbox", "data-engine")

            rounds = {"view, workers": [], "view, slices": [], "call, pruned": [],
                      "call, without pruning": []}
            for _ in range(ROUNDS):  # interleaved, so that a busy moment of the machine hits each alike
                for worker in (True, False):
                    rounds[f"view, {'workers' if worker else 'slices'}"].append(in_view(worker))
                for prune, name in ((None, "call, pruned"), (746, "call, without pruning")):
                    took = page.evaluate("""([p, prune]) => { const noise = diffvizSandbox.gaussians(4000, 1);
                        const t = performance.now();
                        diffvizSandbox.sample({mixture: {points: p}, sampler: 'ddim', steps: 50, schedule: 'linear',
                          noise, prune: prune});
                        return performance.now() - t; }""", [points.flatten().tolist(), prune])
                    rounds[name].append((took / 1000, 0.0, "here"))
            browser.close()
    print(f"sandbox, 2000 points, DDIM-50, 500 components, headless Chromium, {os.cpu_count()} cores, {ROUNDS} rounds "
          "(median, fastest):")
    for name, runs in rounds.items():
        times = sorted(r[0] for r in runs)
        late = max(r[1] for r in runs)
        print(f"  {name:28s} {times[len(times) // 2]:.2f} s, {times[0]:.2f} s  ({runs[0][2]}"
              + (f"; longest wait for the page meanwhile {late:.0f} ms)" if name.startswith("view") else ")"))

if __name__ == "__main__":
    main()
