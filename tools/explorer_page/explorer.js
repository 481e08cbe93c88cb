// The diffviz explorer: the recorded trajectories of data/*.js (written by tools/explorer.py), one view each.
// Images are frames of PNG sheets drawn into canvases; numbers are the recording's. The only arithmetic
// is the forward process's x_t = sqrt(alpha_bar_t) x_0 + sqrt(1 - alpha_bar_t) eps (Ho et al. eq. 4).
// window.diffvizExplorer.mount(D, root, options) builds it in `root`: the page (index.html, every view, the
// address follows the view) or, with {only: id, prefix}, one view inside a notebook widget (tools/widget.py).
"use strict";
(() => {
function mount(D, root, {only = null, prefix = ""} = {}) {
  const page = only === null;  // the whole page; else one view in `root`, a widget's element
  const $ = (id) => root.querySelector(`#${prefix}${id}`);  // the page's parts; a widget's are prefixed
  const meta = D.meta;
  const views = {};  // id -> {section, control, go(params)}
  const equations = [];  // [{el, tex}]: typeset again when the theme changes
  const redraws = [];  // what draws in the theme's colours itself (the toy's canvas)
  let theme = "dark";

  // ---- colours and equations: one meaning, one colour (scenes/theme.py) ----
  const MACROS = {  // \colx{...}: that part in the colour of its meaning
    "\\colx": "x0", "\\cole": "eps", "\\colh": "eps_hat", "\\colt": "x_t", "\\colp": "x_prev",
    "\\colo": "x0_hat", "\\coltime": "time", "\\colz": "z", "\\colacc": "accent", "\\coldim": "dim",
  };
  function macros() {
    const P = meta.palettes[theme], m = {};
    // KaTeX takes 6-digit hex without its "#" (a "#" in a macro's body would be read as a parameter)
    const hex = (c) => (c.length === 4 ? c.slice(1).split("").map((d) => d + d).join("") : c.slice(1, 7));
    for (const [name, key] of Object.entries(MACROS)) m[name] = `\\textcolor{${hex(P[key])}}{#1}`;
    return m;
  }
  function render(el, tex) {
    if (window.katex) {
      window.katex.render(tex, el, {macros: macros(), throwOnError: false});
    } else {
      el.textContent = tex.replace(/\\col[a-z]+/g, "");
    }
  }
  function typeset(el, tex) {
    const found = equations.find((e) => e.el === el);
    if (found) found.tex = tex; else equations.push({el, tex});
    render(el, tex);
  }
  function setTheme(name) {
    theme = name;
    const P = meta.palettes[name];
    const themed = page ? document.documentElement : root;
    for (const [key, value] of Object.entries(P)) themed.style.setProperty(`--${key}`, value);
    themed.dataset.theme = name;
    const button = $("theme-toggle");
    button.textContent = name === "dark" ? "light theme" : "dark theme";
    button.setAttribute("aria-pressed", String(name === "light"));
    for (const e of equations) render(e.el, e.tex);
    for (const redraw of redraws) redraw();
    if (page) try { localStorage.setItem("diffviz-theme", name); } catch (err) { /* file:// may refuse storage */ }
  }

  // ---- small builders ----
  function el(tag, attrs = {}, ...children) {
    const node = document.createElement(tag);
    for (const [k, v] of Object.entries(attrs)) {
      if (k === "text") node.textContent = v; else node.setAttribute(k, v);
    }
    for (const c of children) node.append(c);
    return node;
  }
  const fixed = (v, n = 4) => (v === null || v === undefined || Number.isNaN(v) ? "–" : Number(v).toFixed(n));

  function floats(b64) {
    const bin = atob(b64), bytes = new Uint8Array(bin.length);
    for (let i = 0; i < bin.length; i++) bytes[i] = bin.charCodeAt(i);
    return new Float32Array(bytes.buffer);
  }

  function doubles(b64) {
    const bin = atob(b64), bytes = new Uint8Array(bin.length);
    for (let i = 0; i < bin.length; i++) bytes[i] = bin.charCodeAt(i);
    return new Float64Array(bytes.buffer);
  }

  function drawFrame(canvas, sheet, i) {
    if (canvas.width !== sheet.w) canvas.width = sheet.w;
    if (canvas.height !== sheet.h) canvas.height = sheet.h;
    canvas.shown = [sheet, i];
    if (!sheet.img.complete || !sheet.img.naturalWidth) {  // still decoding: drawn when it is there
      sheet.img.addEventListener("load", () => {
        if (canvas.shown[0] === sheet && canvas.shown[1] === i) drawFrame(canvas, sheet, i);
      }, {once: true});
      return;
    }
    const ctx = canvas.getContext("2d", {willReadFrequently: true});
    ctx.imageSmoothingEnabled = false;
    ctx.clearRect(0, 0, sheet.w, sheet.h);
    ctx.drawImage(sheet.img, (i % sheet.cols) * sheet.w, Math.floor(i / sheet.cols) * sheet.h, sheet.w, sheet.h,
      0, 0, sheet.w, sheet.h);
  }

  // An image panel: a canvas (role img, its label says which array and step) in a frame of its meaning's colour.
  function panel(parent, meaning, captionTex, name, large = false) {
    const canvas = el("canvas", {role: "img", "data-array": name});
    const caption = el("figcaption");
    const figure = el("figure", {class: large ? "large" : "", style: `--frame: var(--${meaning})`}, canvas, caption);
    parent.append(figure);
    if (captionTex) typeset(caption, captionTex);
    return {
      canvas, figure, caption,
      show(sheet, i, alt) { drawFrame(canvas, sheet, i); canvas.setAttribute("aria-label", alt); },
    };
  }

  function numberTable(parent, rows) {  // rows: [[name, label tex]] -> {set(name, value, digits)}
    const box = el("dl", {class: "numbers"});
    const values = {};
    for (const [name, tex] of rows) {
      const dt = el("dt"), dd = el("dd", {class: "value", "data-name": name});
      typeset(dt, tex);
      box.append(dt, dd);
      values[name] = dd;
    }
    parent.append(box);
    return {set(name, value, digits = 4) { values[name].textContent = fixed(value, digits); }};
  }

  // A slider with its label, a typed field beside it (t, or what the view counts in) and play/pause.
  function control(parent, {id, label, max, fieldLabel, toField, fromField, onChange, play = true, min = 0}) {
    const slider = el("input", {type: "range", id: `${prefix}${id}-slider`, min, max, step: 1, value: min});
    const field = el("input", {type: "number", id: `${prefix}${id}-field`});
    const readout = el("span", {class: "readout", "aria-live": "off"});
    const box = el("div", {class: "control"}, el("label", {for: slider.id, text: label}), slider,
      el("label", {for: field.id, text: fieldLabel}), field, readout);
    let timer = null;
    const button = el("button", {type: "button", "aria-pressed": "false", text: "play"});
    if (play) box.append(button);
    parent.append(box);
    const c = {
      slider, field, readout, get value() { return Number(slider.value); }, max,
      set(i, fromHash = false) {
        i = Number.isFinite(i) ? Math.max(min, Math.min(max, Math.round(i))) : Number(slider.value);
        slider.value = i;
        field.value = toField(i);
        slider.setAttribute("aria-valuetext", `${fieldLabel} ${toField(i)}`);
        onChange(i);
        if (!fromHash) remember();
      },
      step(d) { c.set(c.value + d); },
      stop() { clearInterval(timer); timer = null; button.textContent = "play"; button.setAttribute("aria-pressed", "false"); },
    };
    slider.addEventListener("input", () => c.set(c.value));
    field.addEventListener("change", () => c.set(fromField(Number(field.value))));
    button.addEventListener("click", () => {
      if (timer) { c.stop(); return; }
      if (c.value >= max) c.set(min);
      button.textContent = "pause";
      button.setAttribute("aria-pressed", "true");
      timer = setInterval(() => { if (c.value >= max) c.stop(); else c.step(1); }, Math.max(40, 6000 / (max - min + 1)));
    });
    return c;
  }

  function nearest(values, v) {  // the index whose value is closest to v
    let best = 0;
    values.forEach((x, i) => { if (Math.abs(x - v) < Math.abs(values[best] - v)) best = i; });
    return best;
  }

  // A line plot (SVG) of series [{values, xs, meaning}], with a cursor the view moves.
  function plot(parent, series, xMax, yMax, xLabel, yMin = 0) {
    const W = 420, H = 220, L = 40, B = 24;
    const svgNS = "http://www.w3.org/2000/svg";
    const svg = document.createElementNS(svgNS, "svg");
    svg.setAttribute("class", "plot");
    svg.setAttribute("viewBox", `0 0 ${W} ${H + B}`);
    svg.setAttribute("role", "img");
    const X = (x) => L + (x / xMax) * (W - L), Y = (y) => H - ((y - yMin) / (yMax - yMin)) * (H - 10);
    const add = (tag, attrs) => {
      const n = document.createElementNS(svgNS, tag);
      for (const [k, v] of Object.entries(attrs)) n.setAttribute(k, v);
      svg.append(n);
      return n;
    };
    add("line", {class: "axis", x1: L, y1: H, x2: W, y2: H});
    add("line", {class: "axis", x1: L, y1: H, x2: L, y2: 10});
    for (const y of [yMin, (yMin + yMax) / 2, yMax]) add("text", {x: L - 4, y: Y(y) + 4, "text-anchor": "end"}).textContent = fixed(y, 2);
    for (const x of [0, xMax / 2, xMax]) add("text", {x: X(x), y: H + 14, "text-anchor": "middle"}).textContent = Math.round(x);
    add("text", {x: W, y: H + 24, "text-anchor": "end"}).textContent = xLabel;
    const cursor = add("line", {class: "cursor", y1: H, y2: 10});
    const dots = series.map((s, k) => {
      const pts = Array.from(s.values, (v, i) => `${X(s.xs ? s.xs[i] : i).toFixed(1)},${Y(v).toFixed(1)}`).join(" ");
      add("polyline", {points: pts, fill: "none", style: `stroke: var(--${s.meaning})`, "stroke-width": 2, "data-series": s.name || k});
      return add("circle", {r: 4, style: `fill: var(--${s.meaning})`, "data-series": s.name || k});
    });
    parent.append(svg);
    return {
      svg,
      move(x, ys) {
        cursor.setAttribute("x1", X(x)); cursor.setAttribute("x2", X(x));
        ys.forEach((y, k) => {
          dots[k].setAttribute("cx", X(x)); dots[k].setAttribute("cy", Y(y ?? yMin));
          dots[k].dataset.x = x; dots[k].dataset.y = y ?? "";
          dots[k].style.display = y === null || y === undefined ? "none" : "";
        });
      },
    };
  }

  function legend(parent, items) {  // [[meaning, tex]]
    const box = el("p", {class: "legend"});
    for (const [, tex] of items) { const s = el("span"); typeset(s, tex); box.append(s); }
    parent.append(box);
  }

  function ints(b64, quant) {  // int16 of x * quant (tools/explorer.py quantised)
    const bin = atob(b64), bytes = new Uint8Array(bin.length);
    for (let i = 0; i < bin.length; i++) bytes[i] = bin.charCodeAt(i);
    return Float32Array.from(new Int16Array(bytes.buffer), (x) => x / quant);
  }

  // A square canvas of 2D points over [-E, E]^2, y up: a dot of 3x3 pixels centred where each point is.
  function cloud(parent, {array, extent, side = 300, captionTex = ""}) {
    const canvas = el("canvas", {role: "img", width: side, height: side, "data-extent": extent, "data-array": array});
    canvas.style.cssText = `width: ${side}px; height: ${side}px; border: 1px solid var(--dim)`;
    const caption = el("figcaption");
    parent.append(el("figure", {}, canvas, caption));
    if (captionTex) typeset(caption, captionTex);
    const px = (x) => ((x + extent) / (2 * extent)) * side, py = (y) => ((extent - y) / (2 * extent)) * side;
    return {
      canvas, caption, px, py,
      draw(xs, offset, N, colour, alt, under) {  // points xs[(offset + p) * 2 + {0, 1}]; under(ctx): drawn first
        const ctx = canvas.getContext("2d", {willReadFrequently: true});
        ctx.fillStyle = meta.palettes[theme].background;
        ctx.fillRect(0, 0, side, side);
        if (under) under(ctx);
        ctx.fillStyle = colour;
        for (let p = 0; p < N; p++) ctx.fillRect(Math.round(px(xs[(offset + p) * 2])) - 1, Math.round(py(xs[(offset + p) * 2 + 1])) - 1, 3, 3);
        canvas.setAttribute("aria-label", alt);
      },
    };
  }

  // ---- the views ----
  const EQ_FORWARD = String.raw`\colt{x_t} = \colx{\sqrt{\bar\alpha_t}}\,\colx{x_0} + \cole{\sqrt{1-\bar\alpha_t}}\,\cole{\epsilon}`;

  function forwardView(s, v) {
    const [C, H, W] = v.shape, HW = H * W;
    const alphaBar = floats(v.alpha_bar), x0 = floats(v.x0), eps = floats(v.eps);
    const eq = el("div", {class: "equation"}), eqNumbers = el("div", {class: "equation"});
    s.append(eq, eqNumbers);
    typeset(eq, EQ_FORWARD);
    const row = el("div", {class: "panels"});
    s.append(row);
    const xt = panel(row, "x_t", String.raw`\colt{x_t}`, "x_t");
    const p0 = panel(row, "x0", String.raw`\colx{x_0}`, "x0");
    const pe = panel(row, "eps", String.raw`\cole{\epsilon}`, "eps");
    p0.show(v.images.x0, 0, "x_0: the clean image (forward recording)");
    pe.show(v.images.eps, 0, "eps: the noise, clipped to [-1, 1] for display (forward recording)");
    const side = el("div", {class: "panels"});
    s.append(side);
    const nums = numberTable(side, [["t", String.raw`\coltime{t}`], ["alpha_bar", String.raw`\bar\alpha_t`],
      ["sqrt_alpha_bar", String.raw`\colx{\sqrt{\bar\alpha_t}}`],
      ["sqrt_one_minus_alpha_bar", String.raw`\cole{\sqrt{1-\bar\alpha_t}}`]]);
    const box = el("div");
    side.append(box);
    legend(box, [["x0", String.raw`\colx{\sqrt{\bar\alpha_t}}`], ["eps", String.raw`\cole{\sqrt{1-\bar\alpha_t}}`]]);
    const chart = plot(box, [{values: Array.from(alphaBar, Math.sqrt), meaning: "x0"},
      {values: Array.from(alphaBar, (a) => Math.sqrt(1 - a)), meaning: "eps"}], v.T - 1, 1, "t");
    chart.svg.setAttribute("aria-label", "the schedule: sqrt(alpha_bar_t) and sqrt(1 - alpha_bar_t) over t");
    const image = new ImageData(W, H);

    function show(t) {
      const a = Math.sqrt(alphaBar[t]), b = Math.sqrt(1 - alphaBar[t]);
      for (let c = 0; c < C && c < 3; c++) {
        for (let p = 0; p < HW; p++) {  // cache/store.py to_display: clip((x + 1) * 127.5 + 0.5), truncated
          const x = a * x0[c * HW + p] + b * eps[c * HW + p];
          image.data[p * 4 + c] = Math.min(255, Math.max(0, Math.floor((x + 1) * 127.5 + 0.5)));
        }
      }
      for (let p = 0; p < HW; p++) { image.data[p * 4 + 3] = 255; if (C === 1) image.data[p * 4 + 1] = image.data[p * 4 + 2] = image.data[p * 4]; }
      xt.canvas.width = W; xt.canvas.height = H;
      xt.canvas.getContext("2d", {willReadFrequently: true}).putImageData(image, 0, 0);
      xt.canvas.setAttribute("aria-label", `x_t at t = ${t}: sqrt(alpha_bar_t) x_0 + sqrt(1 - alpha_bar_t) eps, formed in the page`);
      nums.set("t", t, 0);
      nums.set("alpha_bar", alphaBar[t]);
      nums.set("sqrt_alpha_bar", a);
      nums.set("sqrt_one_minus_alpha_bar", b);
      typeset(eqNumbers, String.raw`\colt{x_{${t}}} = \colx{${fixed(a)}}\,\colx{x_0} + \cole{${fixed(b)}}\,\cole{\epsilon}`);
      chart.move(t, [a, b]);
    }
    const c = control(s, {id: "forward", label: "t", max: v.T - 1, fieldLabel: "t =", toField: (t) => t,
      fromField: (t) => t, onChange: show});
    s.insertBefore(c.slider.parentNode, eq);
    return {control: c, go(p) { c.set(p.t !== undefined ? Number(p.t) : c.value, true); }, hash: () => `t=${c.value}`};
  }

  function reverseView(s, v) {
    const n = v.numbers, S = n.t.length, ddpm = v.sampler === "ddpm";
    const noisy = n.sigma_t.some((x) => x > 0);
    const eq = el("div", {class: "equation"}), eqNumbers = el("div", {class: "equation"}), eqX0 = el("div", {class: "equation"});
    const EQ = ddpm
      ? String.raw`\colp{x_{t-1}} = \frac{1}{\sqrt{\alpha_t}}\Big(\colt{x_t} - \frac{\beta_t}{\sqrt{1-\bar\alpha_t}}\,\colh{\hat\epsilon}\Big) + \sigma_t\,\colz{z}`
      : noisy ? String.raw`\colp{x_{t-1}} = \sqrt{\bar\alpha_{t-1}}\,\colo{\hat x_0} + \sqrt{1-\bar\alpha_{t-1}-\sigma_t^2}\,\colh{\hat\epsilon} + \sigma_t\,\colz{z}`
        : String.raw`\colp{x_{t-1}} = \sqrt{\bar\alpha_{t-1}}\,\colo{\hat x_0} + \sqrt{1-\bar\alpha_{t-1}}\,\colh{\hat\epsilon}`;
    typeset(eq, EQ);
    const row = el("div", {class: "panels"});
    const panels = {
      x_t: panel(row, "x_t", String.raw`\colt{x_t}`, "x"),
      eps_hat: panel(row, "eps_hat", String.raw`\colh{\hat\epsilon(x_t, t)}`, "eps_hat"),
      x_prev: panel(row, "x_prev", String.raw`\colp{x_{t-1}}`, "x_prev"),
      x0_hat: panel(row, "x0_hat", String.raw`\colo{\hat x_0}`, "x0_hat"),
    };
    if (ddpm || noisy) panels.z = panel(row, "z", String.raw`\colz{z}`, "z");
    const coefs = ddpm
      ? [["inv_sqrt_alpha_t", String.raw`\frac{1}{\sqrt{\alpha_t}}`],
        ["beta_t_over_sqrt_one_minus_alpha_bar_t", String.raw`\frac{\beta_t}{\sqrt{1-\bar\alpha_t}}`], ["sigma_t", String.raw`\sigma_t`]]
      : [["sqrt_alpha_bar_prev", String.raw`\sqrt{\bar\alpha_{t-1}}`],
        ["direction_coef", noisy ? String.raw`\sqrt{1-\bar\alpha_{t-1}-\sigma_t^2}` : String.raw`\sqrt{1-\bar\alpha_{t-1}}`],
        ...(noisy ? [["sigma_t", String.raw`\sigma_t`]] : [])];
    const side = el("div", {class: "panels"});
    const nums = numberTable(side, [["t", String.raw`\coltime{t}`], ["t_prev", String.raw`\coltime{t_{\mathrm{prev}}}`],
      ["alpha_bar_t", String.raw`\bar\alpha_t`], ["alpha_bar_prev", String.raw`\bar\alpha_{t-1}`], ...coefs,
      ["clipped", String.raw`\text{share of }\colo{\hat x_0}\text{ clipped}`]]);
    const eqNote = el("p", {class: "note"});
    s.append(eq, eqNumbers, eqX0, row, side, eqNote);
    eqNote.textContent = ddpm
      ? "DDPM, Ho et al. (2020) eq. (11): each step subtracts the scaled predicted noise and adds fresh noise z."
      : `DDIM, Song et al. (2021) eq. (12), eta = ${v.eta}: ${noisy ? "with noise" : "deterministic: no noise is added"}.`;

    function show(i) {
      const t = n.t[i], last = i === S - 1, where = `step ${i + 1} of ${S}, t = ${t}`;
      panels.x_t.show(v.images.x, i, `x_t at t = ${t} (${where}, reverse ${v.sampler.toUpperCase()})`);
      panels.eps_hat.show(v.images.eps_hat, i, `eps_hat(x_t, t), the predicted noise at ${where}`);
      panels.x_prev.show(v.images.x, i + 1, last ? `x_0, the result after ${where}` : `x_{t-1} after ${where}`);
      panels.x0_hat.show(v.images.x0_hat, i, `x0_hat, the predicted clean image at ${where}`);
      if (panels.z) panels.z.show(v.images.z, i, `z, the fresh noise added at ${where}`);
      typeset(panels.x_t.caption, String.raw`\colt{x_{${t}}}`);
      typeset(panels.x_prev.caption, last ? String.raw`\colp{x_0}` : String.raw`\colp{x_{${n.t_prev[i]}}}`);
      nums.set("t", t, 0); nums.set("t_prev", n.t_prev[i], 0);
      nums.set("alpha_bar_t", n.alpha_bar_t[i]); nums.set("alpha_bar_prev", n.alpha_bar_prev[i]);
      for (const [name] of coefs) nums.set(name, n[name][i]);
      nums.set("clipped", n.clipped[i]);
      const k = (name) => String.raw`\coltime{${fixed(n[name][i])}}`;
      const lhs = last ? String.raw`\colp{x_0}` : String.raw`\colp{x_{${n.t_prev[i]}}}`;
      typeset(eqNumbers, ddpm
        ? String.raw`${lhs} = ${k("inv_sqrt_alpha_t")}\Big(\colt{x_{${t}}} - ${k("beta_t_over_sqrt_one_minus_alpha_bar_t")}\,\colh{\hat\epsilon}\Big) + ${k("sigma_t")}\,\colz{z}`
        : String.raw`${lhs} = ${k("sqrt_alpha_bar_prev")}\,\colo{\hat x_0} + ${k("direction_coef")}\,\colh{\hat\epsilon}` +
          (noisy ? String.raw` + ${k("sigma_t")}\,\colz{z}` : ""));
      typeset(eqX0, String.raw`\colo{\hat x_0} = \frac{\colt{x_{${t}}} - \coltime{${fixed(Math.sqrt(1 - n.alpha_bar_t[i]))}}\,\colh{\hat\epsilon}}{\coltime{${fixed(Math.sqrt(n.alpha_bar_t[i]))}}}` +
        String.raw`\quad\text{(}\colo{\hat x_0} = \tfrac{\colt{x_t} - \sqrt{1-\bar\alpha_t}\,\colh{\hat\epsilon}}{\sqrt{\bar\alpha_t}}\text{)}`);
    }
    const c = control(s, {id: s.dataset.view, label: "step", max: S - 1, fieldLabel: "t =", toField: (i) => n.t[i],
      fromField: (t) => nearest(n.t, t), onChange: show});
    s.insertBefore(c.slider.parentNode, eq);
    return {control: c, go(p) { c.set(p.t !== undefined ? nearest(n.t, Number(p.t)) : c.value, true); }, hash: () => `t=${n.t[c.value]}`};
  }

  function similarNoiseView(s, v) {
    const n = v.numbers, S = n.t.length;
    const head = el("div", {class: "equation"});
    const [px, py, size] = v.patch;
    typeset(head, v.kind === "patch"
      ? String.raw`\colacc{n_b} = \colt{n_a}\text{ with its }${size}\times${size}\text{ patch at (${px}, ${py}) drawn afresh}`
      : String.raw`\colacc{n_b} = \sqrt{1-s^2}\,\colt{n_a} + s\,n', \quad s = ${v.scaling}`);
    const row = el("div", {class: "panels"});
    const a = panel(row, "x_t", String.raw`\colt{x^a}`, "x[:, 0]");
    const b = panel(row, "accent", String.raw`\colacc{x^b}`, "x[:, 1]");
    const heat = panel(row, "dim", String.raw`|\colt{x^a} - \colacc{x^b}|`, "x_heatmap");
    const flick = el("button", {type: "button", "aria-pressed": "false", text: "flicker a/b"});
    const side = el("div", {class: "panels"});
    const nums = numberTable(side, [["t", String.raw`\coltime{t}`], ["x_distance", String.raw`\|\colt{x_t^a} - \colacc{x_t^b}\|`],
      ["x0_hat_distance", String.raw`\|\colo{\hat x_0^a} - \colo{\hat x_0^b}\|`],
      ["noise_distance", String.raw`\|\colt{n_a} - \colacc{n_b}\|`], ["output_distance", String.raw`\|x_0^a - x_0^b\|`]]);
    nums.set("noise_distance", n.noise_distance, 2);
    nums.set("output_distance", n.output_distance, 2);
    const box = el("div");
    side.append(box);
    legend(box, [["x_t", String.raw`\colt{\|x_t^a - x_t^b\|}`], ["x0_hat", String.raw`\colo{\|\hat x_0^a - \hat x_0^b\|}`]]);
    const top = Math.max(...n.x_distance, ...n.x0_hat_distance) * 1.1;
    const chart = plot(box, [{values: n.x_distance, meaning: "x_t"},
      {values: n.x0_hat_distance, xs: n.x0_hat_distance.map((_, i) => i + 1), meaning: "x0_hat"}], S, top, "DDIM step");
    chart.svg.setAttribute("aria-label", "distance of the two runs' x_t and x0_hat over the DDIM steps");
    s.append(head, row, flick, side);
    let flickerTimer = null, showingB = false, state = 0;
    const label = (i) => (i === S ? "the outputs x_0" : i === 0 ? `the starting noises (t = ${n.t[0]})` : `x_t at t = ${n.t[i]}, after DDIM step ${i} of ${S}`);
    function show(i) {
      state = i;
      a.show(showingB ? v.images.b : v.images.a, i, `run ${showingB ? "b" : "a"}: ${label(i)}`);
      b.show(v.images.b, i, `run b: ${label(i)}`);
      heat.show(v.images.heat, i, `|x_a - x_b|, mean over channels (inferno, 0 to ${fixed(v.heat_max, 2)}): ${label(i)}`);
      nums.set("t", i < S ? n.t[i] : 0, 0);
      nums.set("x_distance", n.x_distance[i], 2);
      nums.set("x0_hat_distance", i > 0 ? n.x0_hat_distance[i - 1] : null, 2);
      chart.move(i, [n.x_distance[i], i > 0 ? n.x0_hat_distance[i - 1] : null]);
    }
    flick.addEventListener("click", () => {
      if (flickerTimer) {
        clearInterval(flickerTimer); flickerTimer = null; showingB = false; flick.setAttribute("aria-pressed", "false");
      } else {
        flick.setAttribute("aria-pressed", "true");
        flickerTimer = setInterval(() => { showingB = !showingB; show(state); }, 500);
      }
      show(state);
    });
    const c = control(s, {id: s.dataset.view, label: "state", max: S, fieldLabel: "t =", toField: (i) => (i < S ? n.t[i] : 0),
      fromField: (t) => nearest(n.t, t), onChange: show});
    s.insertBefore(c.slider.parentNode, row);
    return {control: c, go(p) { c.set(p.t !== undefined ? nearest(n.t, Number(p.t)) : c.value, true); }, hash: () => `t=${n.t[Math.min(c.value, S - 1)]}`};
  }

  function gridView(s, v) {
    const select = el("select", {id: `${prefix}grid-row`});
    v.grid_rows.forEach((r, k) => select.append(el("option", {value: k, text: `noised to t = ${v.row_t[k]}, ${v.row_steps[k]} DDIM steps back`})));
    s.append(el("div", {class: "control"}, el("label", {for: select.id, text: "row"}), select));
    const note = el("p", {class: "note", text: "Each row: x_0, noised to its level with fresh noise, then denoised by DDIM, a column per step (a row that ends early keeps its result)."});
    const row = el("div", {class: "panels"});
    const big = panel(row, "x_t", String.raw`\colt{x}`, "grid", true);
    const side = el("div");
    row.append(side);
    const nums = numberTable(side, [["distance", String.raw`\|x - \colx{x_0}\|`]]);
    const strip = el("div", {class: "grid-strip"});
    s.append(note, row, strip);
    const thumbs = [];
    for (let j = 0; j < v.columns; j++) {
      const cv = el("canvas", {role: "img", "aria-label": `column ${j}`, tabindex: "-1"});
      cv.addEventListener("click", () => c.set(j));
      strip.append(cv);
      thumbs.push(cv);
    }
    const what = (k, j) => (j === 0 ? "x_0" : j === 1 ? `x_0 noised to t = ${v.row_t[k]}`
      : j - 1 <= v.row_steps[k] ? `after DDIM step ${j - 1} of ${v.row_steps[k]}` : `the result (the row ended after ${v.row_steps[k]} steps)`);
    function show(j) {
      const k = Number(select.value), i = k * v.columns + j;
      big.show(v.images.grid, i, `grid row ${k} (noised to t = ${v.row_t[k]}), column ${j}: ${what(k, j)}`);
      typeset(big.caption, j === 0 ? String.raw`\colx{x_0}` : String.raw`\colt{\text{${what(k, j)}}}`);
      big.figure.style.setProperty("--frame", j === 0 ? "var(--x0)" : "var(--x_t)");
      nums.set("distance", v.column_distance[k][j], 2);
      thumbs.forEach((cv, jj) => { drawFrame(cv, v.images.grid, k * v.columns + jj); cv.classList.toggle("current", jj === j); });
    }
    const c = control(s, {id: "grid", label: "column", max: v.columns - 1, fieldLabel: "column", toField: (j) => j,
      fromField: (j) => j, onChange: show, play: true});
    s.insertBefore(c.slider.parentNode, note);
    select.addEventListener("change", () => c.set(c.value));
    return {control: c, go(p) { if (p.row !== undefined) select.value = p.row; c.set(p.column !== undefined ? Number(p.column) : c.value, true); },
      hash: () => `row=${select.value}/column=${c.value}`};
  }

  function ddimStepsView(s, v) {
    const n = v.numbers, F = v.frames;
    const row = el("div", {class: "panels"});
    const panels = n.step_counts.map((count, r) => panel(row, n.is_ddpm[r] ? "x_t" : "x0_hat",
      String.raw`\text{${n.is_ddpm[r] ? "DDPM" : "DDIM"}, ${count} steps}`, `frames[${r}]`));
    const side = el("div", {class: "panels"});
    const nums = numberTable(side, n.step_counts.map((count, r) => [`distance${r}`,
      String.raw`\text{${n.is_ddpm[r] ? "DDPM" : "DDIM"} ${count}: distance of the result to DDIM ${Math.max(...n.step_counts.filter((_, q) => !n.is_ddpm[q]))}}`]));
    n.distance_to_reference.forEach((d, r) => nums.set(`distance${r}`, d, 2));
    s.append(el("p", {class: "note", text: "One starting noise; each run advances in the same normalised time, 0 (noise) to 1 (image)."}), row, side);
    function show(j) {
      const frac = j / (F - 1);
      panels.forEach((p, r) => {
        const step = n.frame_steps[r][j];
        p.show(v.images[`run${r}`], j, `${n.is_ddpm[r] ? "DDPM" : "DDIM"} with ${n.step_counts[r]} steps, after step ${step} of ${n.step_counts[r]} (normalised time ${fixed(frac, 2)})`);
      });
      c.readout.textContent = `${Math.round(100 * frac)} % of the way`;
    }
    const c = control(s, {id: "ddim-steps", label: "normalised time", max: F - 1, fieldLabel: "frame", toField: (j) => j,
      fromField: (j) => j, onChange: show});
    s.insertBefore(c.slider.parentNode, row);
    return {control: c, go(p) { c.set(p.frame !== undefined ? Number(p.frame) : c.value, true); }, hash: () => `frame=${c.value}`};
  }

  function memorisationView(s, v) {
    const n = v.numbers, S = n.t.length, K = v.samples;
    s.append(el("p", {class: "note", text: `The embedded UNet and the exact denoiser of its ${n.training_count} training images, DDIM from the same ${K} noises; under each result, the training image nearest to it.`}));
    const table = el("table", {class: "memo"});
    const rows = {};
    for (const who of ["unet", "exact", "unet_nearest", "exact_nearest"]) {
      const tr = el("tr");
      tr.append(el("th", {scope: "row", text: {unet: "UNet", exact: "exact denoiser", unet_nearest: "nearest to the UNet's", exact_nearest: "nearest to the exact's"}[who]}));
      rows[who] = [];
      for (let k = 0; k < K; k++) {
        const td = el("td");
        tr.append(td);
        rows[who].push(panel(td, who.endsWith("nearest") ? "dim" : who === "unet" ? "x_t" : "x0", "", `${who} ${k}`));
      }
      table.append(tr);
    }
    s.append(table);
    for (const m of ["unet", "exact"]) {
      rows[`${m}_nearest`].forEach((p, k) => {
        p.show(v.images[`${m}_nearest`], k, `training image ${n[`${m}_nearest_index`][k]}, nearest to the ${m === "unet" ? "UNet's" : "exact denoiser's"} result ${k}`);
        p.caption.textContent = `distance ${fixed(n[`${m}_nearest_distance`][k], 2)}`;
        p.caption.dataset.name = `${m}_nearest_distance`;
      });
    }
    function show(i) {
      const where = i === S ? "the result" : `t = ${n.t[i]}, state ${i} of ${S}`;
      for (const m of ["unet", "exact"]) {
        rows[m].forEach((p, k) => p.show(v.images[`${m}_x${k}`], i, `${m === "unet" ? "UNet" : "exact denoiser"}, sample ${k}: x at ${where}`));
      }
    }
    const c = control(s, {id: "memorisation", label: "state", max: S, fieldLabel: "t =", toField: (i) => (i < S ? n.t[i] : 0),
      fromField: (t) => nearest(n.t, t), onChange: show});
    s.insertBefore(c.slider.parentNode, table);
    return {control: c, go(p) { c.set(p.t !== undefined ? nearest(n.t, Number(p.t)) : c.value, true); }, hash: () => `t=${n.t[Math.min(c.value, S - 1)]}`};
  }

  function toyView(s, v) {
    const q = (b64) => {  // int16 of x * quant (tools/explorer.py quantised)
      const bin = atob(b64), bytes = new Uint8Array(bin.length);
      for (let i = 0; i < bin.length; i++) bytes[i] = bin.charCodeAt(i);
      return Float32Array.from(new Int16Array(bytes.buffer), (x) => x / v.quant);
    };
    const N = v.points, G = v.grid.length, E = v.extent + 0.5;  // a little room for noised points beyond the grid
    const states = {forward: q(v.forward), ddpm: q(v.ddpm), ddim: q(v.ddim)}, field = q(v.field);
    const times = {forward: v.forward_t, ddpm: v.ddpm_t, ddim: v.ddim_t};
    const select = el("select", {id: `${prefix}toy-2d-mode`});
    for (const [value, text] of [["forward", "forward: the chain q(x_t | x_{t-1}), and -eps_hat on a grid"],
      ["ddpm", `DDPM, ${v.steps.ddpm} steps, back from one x_T`], ["ddim", `DDIM, ${v.steps.ddim} steps, from the same x_T`]]) {
      select.append(el("option", {value, text}));
    }
    s.append(el("div", {class: "control"}, el("label", {for: select.id, text: "process"}), select));
    const eq = el("div", {class: "equation"});
    typeset(eq, EQ_FORWARD);
    const row = el("div", {class: "panels"});
    const canvas = el("canvas", {role: "img", width: 480, height: 480, "data-extent": E, "data-array": "points"});
    canvas.style.cssText = "width: 480px; height: 480px; border: 1px solid var(--dim)";
    row.append(canvas);
    const side = el("div", {style: "max-width: 26rem"});
    row.append(side);
    const nums = numberTable(side, [["t", String.raw`\coltime{t}`], ["sqrt_alpha_bar", String.raw`\colx{\sqrt{\bar\alpha_t}}`],
      ["sqrt_one_minus_alpha_bar", String.raw`\cole{\sqrt{1-\bar\alpha_t}}`], ["stray", String.raw`\text{share off the data}`]]);
    side.append(el("p", {class: "note", text: `${N} points of a mixture of small Gaussians (${v.shown || "a smiley"}), its exact denoiser as the model. Off the data: further than ${v.numbers.stray_sd} sd from every component (DDPM ${fixed(100 * v.numbers.ddpm_stray, 1)} %, DDIM ${fixed(100 * v.numbers.ddim_stray, 1)} %, DDIM with as many steps as DDPM ${fixed(100 * v.numbers.ddim_fine_stray, 1)} %).`}));
    s.append(eq, row);
    const px = (x) => ((x + E) / (2 * E)) * canvas.width, py = (y) => ((E - y) / (2 * E)) * canvas.height;
    let frame = 0;
    function show(j) {
      const mode = select.value, T = times[mode], k = Math.min(j, T.length - 1), P = meta.palettes[theme];
      frame = j;
      const ctx = canvas.getContext("2d", {willReadFrequently: true});
      ctx.fillStyle = P.background;
      ctx.fillRect(0, 0, canvas.width, canvas.height);
      if (mode === "forward") {  // the field -eps_hat(z, t): where the denoiser pushes a point at this t
        ctx.strokeStyle = P.eps_hat;
        ctx.lineWidth = 1;
        let longest = 1e-9;  // the longest arrow of this frame spans 90 % of the grid's spacing
        for (let g = 0; g < G; g++) longest = Math.max(longest, Math.hypot(field[(k * G + g) * 2], field[(k * G + g) * 2 + 1]));
        const scale = (0.9 * Math.abs(v.grid[1][0] - v.grid[0][0])) / longest;
        for (let g = 0; g < G; g++) {
          const [x, y] = v.grid[g], ex = field[(k * G + g) * 2], ey = field[(k * G + g) * 2 + 1];
          ctx.beginPath(); ctx.moveTo(px(x), py(y)); ctx.lineTo(px(x - scale * ex), py(y - scale * ey)); ctx.stroke();
        }
      }
      const end = mode !== "forward" && k === T.length - 1;
      ctx.fillStyle = end ? P.x0 : P.x_t;
      const xs = states[mode];
      for (let p = 0; p < N; p++) ctx.fillRect(Math.round(px(xs[(k * N + p) * 2])) - 1, Math.round(py(xs[(k * N + p) * 2 + 1])) - 1, 3, 3);
      const t = T[k];
      nums.set("t", t, 0);
      const a = mode === "forward" ? v.alpha_bar[k] : null;
      nums.set("sqrt_alpha_bar", a === null ? null : Math.sqrt(a));
      nums.set("sqrt_one_minus_alpha_bar", a === null ? null : Math.sqrt(1 - a));
      nums.set("stray", end ? 100 * v.numbers[`${mode}_stray`] : null, 1);
      canvas.setAttribute("aria-label", `${N} points: ${mode === "forward" ? `the forward chain at t = ${t}` : end ? `the ${mode.toUpperCase()} samples` : `${mode.toUpperCase()} states at t = ${t}`}, frame ${k}`);
    }
    redraws.push(() => show(frame));
    const count = Math.max(v.forward_t.length, v.ddpm_t.length, v.ddim_t.length);
    const c = control(s, {id: "toy-2d", label: "frame", max: count - 1, fieldLabel: "frame", toField: (j) => j,
      fromField: (j) => j, onChange: show});
    s.insertBefore(c.slider.parentNode, eq);
    select.addEventListener("change", () => c.set(c.value));
    return {control: c, go(p) { if (p.process) select.value = p.process; c.set(p.frame !== undefined ? Number(p.frame) : c.value, true); },
      hash: () => `process=${select.value}/frame=${c.value}`};
  }

  // ToyDiffusion1D: q(x_t) over (t, x) as a heat map with the first points' paths, and at the chosen state
  // the histogram of every point beside q(x_t) (forward) or q(x_0) (DDPM and DDIM back).
  function toy1dView(s, v) {
    const N = v.points, E = v.extent, G = v.grid.length, T = v.T, B = 40;
    const states = {forward: ints(v.forward, v.quant), ddpm: ints(v.ddpm, v.quant), ddim: ints(v.ddim, v.quant)};
    const times = {forward: v.forward_t, ddpm: v.ddpm_t, ddim: v.ddim_t};
    const paths = {forward: ints(v.forward_paths, v.quant), ddpm: ints(v.ddpm_paths, v.quant), ddim: ints(v.ddim_paths, v.quant)};
    const pathT = {forward: v.heat_t, ddpm: v.ddpm_path_t, ddim: v.ddim_path_t};
    const P8 = paths.forward.length / v.heat_t.length, density = floats(v.density), data = floats(v.data_density);
    const select = el("select", {id: `${prefix}toy-1d-mode`});
    for (const [value, text] of [["forward", "forward: the chain q(x_t | x_{t-1})"],
      ["ddpm", `DDPM, ${v.steps.ddpm} steps, back`], ["ddim", `DDIM, ${v.steps.ddim} steps, back`]]) {
      select.append(el("option", {value, text}));
    }
    s.append(el("div", {class: "control"}, el("label", {for: select.id, text: "process"}), select));
    const eq = el("div", {class: "equation"});
    typeset(eq, EQ_FORWARD);
    const row = el("div", {class: "panels"});
    const cols = v.images.heat.w, rows = v.images.heat.h;
    const heat = el("canvas", {role: "img", "data-array": "density"});
    heat.style.cssText = `width: ${3 * cols}px; height: ${2 * rows}px; image-rendering: auto; display: block`;
    const svgNS = "http://www.w3.org/2000/svg";
    const over = document.createElementNS(svgNS, "svg");
    over.setAttribute("viewBox", `0 0 ${cols} ${rows}`);
    over.setAttribute("preserveAspectRatio", "none");
    over.setAttribute("aria-hidden", "true");
    over.style.cssText = "position: absolute; left: 0; top: 0; width: 100%; height: 100%";
    const wrap = el("div", {style: "position: relative"}, heat, over);
    const heatCaption = el("figcaption");
    row.append(el("figure", {}, wrap, heatCaption));
    typeset(heatCaption, String.raw`q(\colt{x_t})\text{ over }\coltime{t}\text{ (across, }${T - 1}\text{ to the right) and }x\text{ (up)}`);
    const side = el("div");
    row.append(side);
    const histBox = el("div");
    side.append(histBox);
    const nums = numberTable(side, [["t", String.raw`\coltime{t}`], ["sqrt_alpha_bar", String.raw`\colx{\sqrt{\bar\alpha_t}}`],
      ["sqrt_one_minus_alpha_bar", String.raw`\cole{\sqrt{1-\bar\alpha_t}}`], ["stray", String.raw`\text{share off the data (\%)}`]]);
    side.append(el("p", {class: "note", text: `${N} points of a 1D mixture, its exact denoiser as the model; the histogram (${B} bins over [-${E}, ${E}]) lies over the density at this t. Off the data: further than ${v.numbers.stray_sd} sd from every component.`}));
    s.append(eq, row);
    const col = (t) => (Math.max(t, 0) / (T - 1)) * (cols - 1) + 0.5, rowOf = (x) => ((E - x) / (2 * E)) * (rows - 1) + 0.5;
    const hist = el("div");
    histBox.append(hist);
    const binW = (2 * E) / B;
    let frame = 0;
    function show(j) {
      const mode = select.value, TT = times[mode], k = Math.min(j, TT.length - 1), t = TT[k], xs = states[mode];
      frame = j;
      drawFrame(heat, v.images.heat, 0);
      heat.setAttribute("aria-label", `q(x_t) over t = 0..${T - 1} and x in [-${E}, ${E}] (heat, 0 to ${fixed(v.heat_max, 3)}), with the cursor at t = ${t}`);
      over.replaceChildren();
      const pt = pathT[mode], ps = paths[mode];  // the paths, up to this state: forward from t = 0, back from T - 1
      for (let p = 0; p < P8; p++) {
        const pts = [];
        for (let i = 0; i < pt.length; i++) {
          if (mode === "forward" ? pt[i] > t : pt[i] < t) break;
          pts.push(`${col(pt[i]).toFixed(2)},${rowOf(ps[i * P8 + p]).toFixed(2)}`);
        }
        const line = document.createElementNS(svgNS, "polyline");
        line.setAttribute("points", pts.join(" "));
        line.setAttribute("fill", "none");
        line.setAttribute("style", `stroke: var(--${mode === "forward" ? "x_t" : mode === "ddpm" ? "x_t" : "accent"})`);
        line.setAttribute("stroke-width", "0.8");
        line.setAttribute("vector-effect", "non-scaling-stroke");
        over.append(line);
      }
      const cursor = document.createElementNS(svgNS, "line");
      for (const [a, b] of [["x1", col(t)], ["x2", col(t)], ["y1", 0], ["y2", rows]]) cursor.setAttribute(a, b);
      cursor.setAttribute("style", "stroke: var(--time)");
      cursor.setAttribute("vector-effect", "non-scaling-stroke");
      over.append(cursor);
      const counts = new Array(B).fill(0);
      for (let p = 0; p < N; p++) {
        const b = Math.floor((xs[k * N + p] + E) / binW);
        if (b >= 0 && b < B) counts[b] += 1;
      }
      const dens = mode === "forward" ? density.subarray(k * G, (k + 1) * G) : data;
      const hs = counts.map((c) => c / (N * binW));
      const top = Math.max(...dens, ...hs) * 1.1;
      hist.replaceChildren();
      const end = mode !== "forward" && k === TT.length - 1;
      const chart = plot(hist, [{values: dens, xs: v.grid.map((x) => x + E), meaning: mode === "forward" ? "x_t" : "x0", name: "density"},
        {values: hs.flatMap((h) => [h, h]), xs: hs.flatMap((_, b) => [b * binW, (b + 1) * binW]), meaning: end ? "x0" : mode === "forward" ? "dim" : "x_t", name: "histogram"}],
        2 * E, top, `x + ${E}`);
      chart.svg.setAttribute("aria-label", `histogram of the ${N} points at t = ${t} over ${mode === "forward" ? "q(x_t)" : "q(x_0)"}`);
      chart.svg.dataset.counts = counts.join(",");
      chart.svg.dataset.array = "histogram";
      chart.move(0, [null, null]);
      nums.set("t", t, 0);
      const a = mode === "forward" ? v.alpha_bar[k] : null;
      nums.set("sqrt_alpha_bar", a === null ? null : Math.sqrt(a));
      nums.set("sqrt_one_minus_alpha_bar", a === null ? null : Math.sqrt(1 - a));
      nums.set("stray", end ? 100 * v.numbers[`${mode}_stray`] : null, 1);
    }
    redraws.push(() => show(frame));
    const count = Math.max(v.forward_t.length, v.ddpm_t.length, v.ddim_t.length);
    const c = control(s, {id: "toy-1d", label: "state", max: count - 1, fieldLabel: "frame", toField: (j) => j,
      fromField: (j) => j, onChange: show});
    s.insertBefore(c.slider.parentNode, eq);
    select.addEventListener("change", () => c.set(c.value));
    return {control: c, go(p) { if (p.process) select.value = p.process; c.set(p.frame !== undefined ? Number(p.frame) : c.value, true); },
      hash: () => `process=${select.value}/frame=${c.value}`};
  }

  // PerturbationSweep: output distance against noise distance, the patch sizes and the global scalings as two
  // series, the chosen pair's point on them and its output beside the unperturbed one.
  function noiseSweepView(s, v) {
    const n = v.numbers, NP = n.patch_sizes.length, K = NP + n.scalings.length;
    const what = (k) => (k < NP ? `a centred ${n.patch_sizes[k]}x${n.patch_sizes[k]} patch redrawn` : `the global mix with s = ${n.scalings[k - NP]}`);
    const noise = (k) => (k < NP ? n.patch_noise_distance[k] : n.global_noise_distance[k - NP]);
    const output = (k) => (k < NP ? n.patch_output_distance[k] : n.global_output_distance[k - NP]);
    const head = el("div", {class: "equation"});
    typeset(head, String.raw`\text{patch: }\colacc{n_b} = \colt{n_a}\text{ with a square redrawn};\quad\text{global: }\colacc{n_b} = \sqrt{1-s^2}\,\colt{n_a} + s\,n'`);
    const row = el("div", {class: "panels"});
    const base = panel(row, "x_t", String.raw`\colt{x_0^a}\text{ from }\colt{n_a}`, "base");
    const out = panel(row, "accent", String.raw`\colacc{x_0^b}`, "outputs");
    base.show(v.images.base, 0, "the output of DDIM from the unperturbed noise n_a");
    const side = el("div", {class: "panels"});
    const nums = numberTable(side, [["noise_distance", String.raw`\|\colt{n_a} - \colacc{n_b}\|`],
      ["output_distance", String.raw`\|\colt{x_0^a} - \colacc{x_0^b}\|`]]);
    const box = el("div");
    side.append(box);
    legend(box, [["x_t", String.raw`\colt{\text{patch sizes}}`], ["accent", String.raw`\colacc{\text{global scalings}}`]]);
    const xMax = Math.max(...n.patch_noise_distance, ...n.global_noise_distance) * 1.05;
    const yMax = Math.max(...n.patch_output_distance, ...n.global_output_distance) * 1.1;
    const chart = plot(box, [{values: n.patch_output_distance, xs: n.patch_noise_distance, meaning: "x_t", name: "patch"},
      {values: n.global_output_distance, xs: n.global_noise_distance, meaning: "accent", name: "global"}], xMax, yMax, "noise distance");
    chart.svg.setAttribute("aria-label", "output distance against noise distance: the patch sizes and the global scalings");
    s.append(head, row, side);
    function show(k) {
      out.show(v.images.outputs, k, `the output of DDIM from the noise with ${what(k)} (pair ${k + 1} of ${K})`);
      nums.set("noise_distance", noise(k), 2);
      nums.set("output_distance", output(k), 2);
      chart.move(noise(k), [k < NP ? output(k) : null, k < NP ? null : output(k)]);
      c.readout.textContent = what(k);
    }
    const c = control(s, {id: "noise-sweep", label: "perturbation", max: K - 1, fieldLabel: "pair", toField: (k) => k,
      fromField: (k) => k, onChange: show});
    s.insertBefore(c.slider.parentNode, row);
    return {control: c, go(p) { c.set(p.pair !== undefined ? Number(p.pair) : c.value, true); }, hash: () => `pair=${c.value}`};
  }

  const SCHEDULE_MEANING = {linear: "text", squaredcos_cap_v2: "accent", scaled_linear: "eps_hat"};  // scenes/schedules.py
  const SCHEDULE_NAME = {linear: "linear", squaredcos_cap_v2: "cosine", scaled_linear: "scaled linear"};

  // NoiseSchedules: alpha_bar and log SNR under each schedule with a cursor at t, the image noised with the
  // same eps under each at that t, and DDIM's samples of the smiley under each schedule at a step count.
  function schedulesView(s, v) {
    const n = v.numbers, T = v.T, F = v.image_t.length;
    const alphaBar = doubles(v.alpha_bar), logSnr = doubles(v.log_snr), finals = ints(v.ddim, v.quant);
    const name = (r) => SCHEDULE_NAME[v.schedules[r]] || v.schedules[r], meaning = (r) => SCHEDULE_MEANING[v.schedules[r]] || "text";
    const eq = el("div", {class: "equation"});
    typeset(eq, EQ_FORWARD);
    const charts = el("div", {class: "panels"});
    const curve = (arr, r) => arr.subarray(r * T, (r + 1) * T);
    const boxA = el("div"), boxS = el("div");
    charts.append(boxA, boxS);
    const MACRO = {text: "", accent: "\\colacc", eps_hat: "\\colh"};  // the colour of each schedule's meaning
    legend(boxA, v.schedules.map((sc, r) => [meaning(r), String.raw`${MACRO[meaning(r)]}{\text{${name(r)}}}`]));
    const series = (arr) => v.schedules.map((sc, r) => ({values: curve(arr, r), meaning: meaning(r), name: sc}));
    typeset(boxA.appendChild(el("div")), String.raw`\bar\alpha_t`);
    typeset(boxS.appendChild(el("div")), String.raw`\log\mathrm{SNR}_t = \log\frac{\bar\alpha_t}{1-\bar\alpha_t}`);
    const chartA = plot(boxA, series(alphaBar), T - 1, 1, "t");
    chartA.svg.setAttribute("aria-label", "alpha_bar_t over t under each schedule");
    let lo = Infinity, hi = -Infinity;
    for (const x of logSnr) { if (Number.isFinite(x)) { lo = Math.min(lo, x); hi = Math.max(hi, x); } }
    const chartS = plot(boxS, series(logSnr), T - 1, Math.ceil(hi), "t", Math.floor(lo));
    chartS.svg.setAttribute("aria-label", "log SNR_t over t under each schedule");
    const row = el("div", {class: "panels"});
    panel(row, "x0", String.raw`\colx{x_0}`, "x0").show(v.images.x0, 0, "x_0, one of the embedded model's training images");
    panel(row, "eps", String.raw`\cole{\epsilon}`, "eps").show(v.images.eps, 0, "eps, the same noise under every schedule");
    const panels = v.schedules.map((sc, r) => panel(row, meaning(r), String.raw`\text{${name(r)}}`, `x_t[${r}]`));
    const side = el("div", {class: "panels"});
    const nums = numberTable(side, [["t", String.raw`\coltime{t}`], ...v.schedules.flatMap((sc, r) => [
      [`alpha_bar${r}`, String.raw`\bar\alpha_t\text{ (${name(r)})}`], [`log_snr${r}`, String.raw`\log\mathrm{SNR}_t\text{ (${name(r)})}`]])]);
    side.append(el("p", {class: "note", text: `Steps with SNR in [${n.snr_window[0]}, ${n.snr_window[1]}] of the ${T}: ${v.schedules.map((sc, r) => `${name(r)} ${n.steps_in_window[r]}`).join(", ")}.`}));
    s.append(eq, charts, row, side);
    // DDIM under each schedule, from the same x_T: a step count to choose
    const select = el("select", {id: `${prefix}schedules-steps`});
    n.step_counts.forEach((count, q) => select.append(el("option", {value: q, text: `DDIM, ${count} steps`})));
    s.append(el("div", {class: "control"}, el("label", {for: select.id, text: "DDIM samples"}), select));
    const clouds = el("div", {class: "panels"});
    const cl = v.schedules.map((sc, r) => cloud(clouds, {array: `ddim_final[${r}]`, extent: 1.5, captionTex: String.raw`\text{${name(r)}}`}));
    const strays = numberTable(clouds, v.schedules.map((sc, r) => [`stray${r}`, String.raw`\text{${name(r)}: off the data (\%)}`]));
    s.append(clouds);
    function drawClouds() {
      const q = Number(select.value), C = n.step_counts.length, P = meta.palettes[theme];
      cl.forEach((cv, r) => {
        cv.draw(finals, (r * C + q) * v.points, v.points, P.x0, `DDIM's ${v.points} samples under the ${name(r)} schedule, ${n.step_counts[q]} steps from t = ${n.ddim_t[r][q]}`);
        strays.set(`stray${r}`, 100 * n.ddim_stray[r][q], 1);
      });
    }
    select.addEventListener("change", () => c.set(c.value));
    function show(j) {
      const t = v.image_t[j];
      panels.forEach((p, r) => p.show(v.images[`x_t${r}`], j, `x_t at t = ${t} under the ${name(r)} schedule`));
      nums.set("t", t, 0);
      v.schedules.forEach((sc, r) => { nums.set(`alpha_bar${r}`, alphaBar[r * T + t]); nums.set(`log_snr${r}`, logSnr[r * T + t], 3); });
      chartA.move(t, v.schedules.map((sc, r) => alphaBar[r * T + t]));
      chartS.move(t, v.schedules.map((sc, r) => logSnr[r * T + t]));
      drawClouds();
    }
    redraws.push(() => drawClouds());
    const c = control(s, {id: "schedules", label: "t", max: F - 1, fieldLabel: "t =", toField: (j) => v.image_t[j],
      fromField: (t) => nearest(v.image_t, t), onChange: show});
    s.insertBefore(c.slider.parentNode, eq);
    return {control: c, go(p) { if (p.steps !== undefined) select.value = p.steps; c.set(p.t !== undefined ? nearest(v.image_t, Number(p.t)) : c.value, true); },
      hash: () => `t=${v.image_t[c.value]}/steps=${select.value}`};
  }

  // ClassifierFreeGuidance: each w's DDIM states from the same x_T, beside samples of p(x | c) itself; per w
  // the spread, the share on the class and the class's components covered.
  function guidanceView(s, v) {
    const n = v.numbers, W = n.weights.length, F = v.frame_t.length, N = v.points;
    const frames = ints(v.frames, v.quant), reference = ints(v.reference, v.quant);
    const eq = el("div", {class: "equation"});
    typeset(eq, String.raw`\colh{\hat\epsilon_w} = \hat\epsilon_u + w\,(\hat\epsilon_c - \hat\epsilon_u),\quad c = \text{${v.condition}}`);
    const row = el("div", {class: "panels"});
    const clouds = n.weights.map((w, k) => cloud(row, {array: `frames[${k}]`, extent: 2.5, side: 240, captionTex: String.raw`\colh{w} = ${w}`}));
    const ref = cloud(row, {array: "reference", extent: 2.5, side: 240, captionTex: String.raw`\colx{p(x \mid c)}`});
    const side = el("div", {class: "panels"});
    const nums = numberTable(side, [["t", String.raw`\coltime{t}`], ...n.weights.flatMap((w, k) => [
      [`spread${k}`, String.raw`w = ${w}\text{: spread}`], [`on_class${k}`, String.raw`w = ${w}\text{: on the class (\%)}`],
      [`coverage${k}`, String.raw`w = ${w}\text{: components covered (\%)}`]]),
    ["true_spread", String.raw`\colx{p(x \mid c)}\text{: spread}`], ["reference_coverage", String.raw`\colx{p(x \mid c)}\text{: covered (\%)}`]]);
    n.weights.forEach((w, k) => { nums.set(`spread${k}`, n.spread[k], 3); nums.set(`on_class${k}`, 100 * n.on_class[k], 1); nums.set(`coverage${k}`, 100 * n.coverage[k], 1); });
    nums.set("true_spread", n.true_spread, 3);
    nums.set("reference_coverage", 100 * n.reference_coverage, 1);
    side.append(el("p", {class: "note", text: `DDIM from the same ${N} noises at each w, with exact denoisers of the mixture and of its class ${v.condition}. Spread: RMS distance to the mean; on the class: within ${n.stray_sd} sd of one of its components.`}));
    s.append(eq, row, side);
    let frame = 0;
    function show(j) {
      const P = meta.palettes[theme], t = v.frame_t[j], end = j === F - 1;
      frame = j;
      clouds.forEach((cv, k) => cv.draw(frames, (k * F + j) * N, N, end ? P.x0 : P.x_t,
        `w = ${n.weights[k]}: ${end ? `the ${N} samples` : `the ${N} DDIM states at t = ${t}`}, frame ${j} of ${F - 1}`));
      ref.draw(reference, 0, N, P.x0, `${N} samples of p(x | c) itself`);
      nums.set("t", t, 0);
    }
    redraws.push(() => show(frame));
    const c = control(s, {id: "guidance", label: "state", max: F - 1, fieldLabel: "frame", toField: (j) => j,
      fromField: (j) => j, onChange: show});
    s.insertBefore(c.slider.parentNode, eq);
    return {control: c, go(p) { c.set(p.frame !== undefined ? Number(p.frame) : c.value, true); }, hash: () => `frame=${c.value}`};
  }

  // FlowMatching: Euler on the exact velocity and DDIM, at a step count, from the same x_T; the first points'
  // paths up to the state shown, and how straight they are.
  function flowView(s, v) {
    const n = v.numbers, R = n.step_counts.length, F = v.frames, N = v.points, P8 = v.paths, PF = v.path_frames;
    const runs = {};
    for (const sampler of ["euler", "ddim"]) {
      runs[sampler] = {states: ints(v.runs[sampler].states, v.quant), index: v.runs[sampler].frame_state, paths: ints(v.runs[sampler].paths, v.quant)};
    }
    const select = el("select", {id: `${prefix}flow-steps`});
    n.step_counts.forEach((count, r) => select.append(el("option", {value: r, text: `${count} step${count > 1 ? "s" : ""} (evaluations) each`})));
    select.value = R - 1;  // the most steps: the scene's last comparison
    s.append(el("div", {class: "control"}, el("label", {for: select.id, text: "steps"}), select));
    const eq = el("div", {class: "equation"});
    typeset(eq, String.raw`x_s = (1-s)\,\colx{x_0} + s\,\cole{\epsilon},\qquad \frac{dx}{ds} = \mathbb{E}[\cole{\epsilon} - \colx{x_0} \mid x_s]`);
    const row = el("div", {class: "panels"});
    const clouds = {euler: cloud(row, {array: "euler", extent: 3, side: 360, captionTex: String.raw`\text{flow matching, Euler}`}),
      ddim: cloud(row, {array: "ddim", extent: 3, side: 360, captionTex: String.raw`\text{DDIM}`})};
    const side = el("div", {class: "panels"});
    const nums = numberTable(side, [["s", String.raw`\text{Euler: }s`], ["t", String.raw`\text{DDIM: }\coltime{t}`],
      ["euler_straightness", String.raw`\text{Euler: straightness}`], ["ddim_straightness", String.raw`\text{DDIM: straightness}`],
      ["ddim_flow_straightness", String.raw`\text{DDIM, in the flow's coordinates}`],
      ["euler_stray", String.raw`\text{Euler: off the data (\%)}`], ["ddim_stray", String.raw`\text{DDIM: off the data (\%)}`]]);
    side.append(el("p", {class: "note", text: `${N} points from the same noises; straightness: a path's length over the distance between its ends (1 is straight), mean over points. Off the data: further than ${n.stray_sd} sd from every component.`}));
    s.append(eq, row, side);
    let frame = 0;
    function show(j) {
      const r = Number(select.value), P = meta.palettes[theme], end = j === F - 1, upto = v.keep[j];
      frame = j;
      for (const sampler of ["euler", "ddim"]) {
        const run = runs[sampler], cv = clouds[sampler], state = run.index[r * F + j];
        const when = sampler === "euler" ? `s = ${fixed(v.euler_s[r][j], 2)}` : `t = ${v.ddim_t[r][j]}`;
        cv.draw(run.states, state * N, N, end ? P.x0 : P.x_t,
          `${sampler === "euler" ? "Euler" : "DDIM"}, ${n.step_counts[r]} steps: ${end ? `the ${N} samples` : `the ${N} states at ${when}`}, frame ${j} of ${F - 1}`,
          (ctx) => {
            ctx.strokeStyle = P.text; ctx.globalAlpha = 0.7; ctx.lineWidth = 1.2;
            for (let p = 0; p < P8; p++) {
              ctx.beginPath();
              for (let f = 0; f <= upto; f++) {
                const o = ((r * PF + f) * P8 + p) * 2;
                if (f === 0) ctx.moveTo(cv.px(run.paths[o]), cv.py(run.paths[o + 1])); else ctx.lineTo(cv.px(run.paths[o]), cv.py(run.paths[o + 1]));
              }
              ctx.stroke();
            }
            ctx.globalAlpha = 1;
          });
      }
      nums.set("s", v.euler_s[r][j], 2);
      nums.set("t", v.ddim_t[r][j], 0);
      for (const name of ["euler_straightness", "ddim_straightness", "ddim_flow_straightness"]) nums.set(name, n[name][r], 3);
      nums.set("euler_stray", 100 * n.euler_stray[r], 1);
      nums.set("ddim_stray", 100 * n.ddim_stray[r], 1);
    }
    redraws.push(() => show(frame));
    const c = control(s, {id: "flow", label: "state", max: F - 1, fieldLabel: "frame", toField: (j) => j,
      fromField: (j) => j, onChange: show});
    s.insertBefore(c.slider.parentNode, eq);
    select.addEventListener("change", () => c.set(c.value));
    return {control: c, go(p) { if (p.steps !== undefined) select.value = p.steps; c.set(p.frame !== undefined ? Number(p.frame) : c.value, true); },
      hash: () => `steps=${select.value}/frame=${c.value}`};
  }

  // An experiment with no view of its own (tools/explorer.py listing_view): each recording's spec and arrays.
  function listingView(s, v) {
    const box = el("div");
    s.append(el("p", {class: "note", text: v.about}), box);
    function show(i) {
      const r = v.recordings[i];
      const spec = Object.entries(r.spec).map(([k, x]) => `${k}=${JSON.stringify(x)}`).join(", ");
      const table = el("table", {class: "listing"});
      table.append(el("tr", {}, ...["array", "dtype", "shape", "values", "meaning"].map((h) => el("th", {text: h}))));
      for (const a of r.arrays) {
        const values = a.values === undefined ? "" : JSON.stringify(a.values);
        table.append(el("tr", {"data-name": a.name}, ...[a.name, a.dtype, `(${a.shape.join(", ")})`, values, a.meaning]
          .map((text) => el("td", {text}))));
      }
      box.replaceChildren(el("p", {class: "spec", text: `recording ${r.index}: ${spec}`}), table);
    }
    const c = control(s, {id: s.dataset.view, label: "recording", max: v.recordings.length - 1, fieldLabel: "recording",
      toField: (i) => i, fromField: (i) => i, onChange: show, play: false});
    s.insertBefore(c.slider.parentNode, box);
    return {control: c, go(p) { c.set(p.recording !== undefined ? Number(p.recording) : c.value, true); },
      hash: () => `recording=${c.value}`};
  }

  // The views tools/explorer.py makes (its makers), by id; any other is an experiment's listing.
  const MAKERS = {
    "forward": forwardView, "reverse-ddpm": reverseView, "reverse-ddim": reverseView, "patch": similarNoiseView,
    "global": similarNoiseView, "noise-sweep": noiseSweepView, "grid": gridView, "ddim-steps": ddimStepsView,
    "toy-1d": toy1dView, "toy-2d": toyView, "memorisation": memorisationView, "schedules": schedulesView,
    "guidance": guidanceView, "flow": flowView,
  };

  // ---- contents, notices, routing ----
  let current = null;
  function remember() {
    if (!current || !page) return;
    const hash = `#${current}/${views[current].hash()}`;
    try { history.replaceState(null, "", hash); } catch (err) { /* some file:// contexts refuse it */ }
  }
  function route() {
    const [id, ...rest] = decodeURIComponent(location.hash.slice(1)).split("/");
    const target = views[id] ? id : meta.views[0] || (views.sandbox ? "sandbox" : undefined);
    if (!target) return;
    const params = {};
    for (const part of rest) { const [k, val] = part.split("="); if (k) params[k] = val; }
    current = target;
    for (const [vid, view] of Object.entries(views)) view.section.hidden = vid !== target;
    root.querySelectorAll("#contents a").forEach((a) => {
      if (a.getAttribute("href") === `#${target}`) a.setAttribute("aria-current", "page"); else a.removeAttribute("aria-current");
    });
    views[target].go(params);
  }

  function notices() {
    const box = $("notices");
    for (const b of meta.broken) {
      const p = el("p", {class: "notice broken", role: "alert", "data-view": b.id});
      p.append(el("strong", {text: `${b.title}: not shown. `}), b.message.split("`")[0]);
      const cmd = b.message.match(/`([^`]+)`/);
      if (cmd) p.append(el("code", {text: cmd[1]}));
      box.append(p);
    }
    if (!meta.katex) box.append(el("p", {class: "notice missing", text: "KaTeX could not be fetched when this page was made: equations are shown as TeX."}));
    for (const m of meta.missing) {
      const p = el("p", {class: "notice missing", "data-view": m.id});
      p.append(`${m.title}: not recorded. `, el("code", {text: m.message.split("record it with: ")[1] || m.message}));
      box.append(p);
    }
  }

  async function start() {
    const stored = (() => { try { return page ? localStorage.getItem("diffviz-theme") : null; } catch (err) { return null; } })();
    setTheme(stored === "light" || (!page && meta.theme === "light") ? "light" : "dark");
    $("theme-toggle").addEventListener("click", () => setTheme(theme === "dark" ? "light" : "dark"));
    $("model").textContent = `model: ${meta.model}`;
    const sheets = [];
    for (const v of Object.values(D.views)) {
      for (const sheet of Object.values(v.images)) {
        sheet.img = new Image();
        sheet.img.src = sheet.png;
        sheets.push(sheet.img.decode());
      }
    }
    const list = root.querySelector("#contents ul") || el("ul"), main = $("views");
    for (const [id, title] of Object.entries(page ? meta.titles : {})) {
      const li = el("li");
      if (D.views[id]) li.append(el("a", {href: `#${id}`, text: title}));
      else { li.className = "absent"; li.textContent = `${title} (${meta.broken.some((b) => b.id === id) ? "broken" : "not recorded"})`; }
      list.append(li);
    }
    for (const id of meta.views) {
      const section = el("section", {id: `${prefix}${id}`, "data-view": id, "aria-labelledby": `${prefix}${id}-title`});
      section.append(el("h2", {id: `${prefix}${id}-title`, text: meta.titles[id]}));
      main.append(section);
      views[id] = {section, ...(MAKERS[id] || listingView)(section, D.views[id])};
      views[id].control.set(0, true);
    }
    if (window.diffvizSandbox && (page || only === "sandbox")) {  // sandbox.js: computed in the page, whatever the cache holds
      const section = el("section", {id: "sandbox", "aria-labelledby": "sandbox-title"});
      section.append(el("h2", {id: "sandbox-title", text: "Sandbox: draw a distribution, sample it exactly"}));
      main.append(section);
      list.append(el("li", {}, el("a", {href: "#sandbox", text: "Sandbox: draw a distribution"})));
      views.sandbox = {section, ...window.diffvizSandbox.view(section, {el, control, remember, meta, theme: () => theme})};
      redraws.push(views.sandbox.redraw);
    }
    if (page) notices();
    (page ? document : root).addEventListener("keydown", (e) => {
      if (!current || e.target.closest("input, select, textarea, button") || e.altKey || e.ctrlKey || e.metaKey) return;
      const c = views[current].control;
      if (e.key === "ArrowRight") { c.step(1); e.preventDefault(); }
      if (e.key === "ArrowLeft") { c.step(-1); e.preventDefault(); }
      if (e.key === "Home") { c.set(0); e.preventDefault(); }
      if (e.key === "End") { c.set(c.max); e.preventDefault(); }
    });
    if (page) {
      window.addEventListener("hashchange", route);
      route();
    } else {
      current = only;
      views[only].go({});
    }
    await Promise.all(sheets);  // every frame drawn: what the tests wait for
    for (const id of meta.views) views[id].control.set(views[id].control.value, true);
    (page ? document.body : root).dataset.ready = "1";
  }
  return start();
}
window.diffvizExplorer = {mount};
if (window.DIFFVIZ) mount(window.DIFFVIZ, document);  // the page: its data scripts came first
})();
