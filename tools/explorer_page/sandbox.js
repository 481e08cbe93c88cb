// The explorer's sandbox: a drawing becomes a Gaussian mixture (the rule of cache/mixtures.py
// mixture_from_points), and the page samples it with the exact denoiser E[x_0 | x_t] (sampling/exact_denoiser.py)
// through DDPM, DDIM or flow-matching Euler (sampling/samplers.py), all in float64, in slices of a few
// milliseconds so that the page stays responsive. window.diffvizSandbox.sample() is what the tests call.
"use strict";
(() => {
  const T = 1000;  // training steps of every schedule
  const SD_MIN = 0.01, SD_MAX = 0.1, SD_ALONE = 0.05;  // cache/mixtures.py DRAWN_SD_*
  const MAX_POINTS = 600;  // a drawing's points: what a link carries (2 bytes a point)
  const STRAY_SD = 3;  // off the strokes: further than 3 sd from every component (cache/specs.py stray_sd)
  const SCHEDULES = {linear: "linear", squaredcos_cap_v2: "cosine", scaled_linear: "scaled linear"};

  // ---- the drawing's mixture: one component per point, weights 1/K, sd half the nearest other's distance ----
  function mixtureFromPoints(points, classes = null) {  // points: flat [x0, y0, x1, y1, ...]
    const K = points.length / 2;
    if (K < 1) throw new Error("a drawing needs at least one point");
    const mx = new Float64Array(K), my = new Float64Array(K), sd = new Float64Array(K), w = new Float64Array(K);
    for (let k = 0; k < K; k++) { mx[k] = points[2 * k]; my[k] = points[2 * k + 1]; w[k] = 1 / K; }
    for (let k = 0; k < K; k++) {
      let best = Infinity;
      for (let j = 0; j < K; j++) {
        if (j === k) continue;
        const d = Math.sqrt((mx[k] - mx[j]) ** 2 + (my[k] - my[j]) ** 2);
        if (d < best) best = d;
      }
      sd[k] = K === 1 ? SD_ALONE : Math.min(SD_MAX, Math.max(SD_MIN, best / 2));
    }
    return {K, w, mx, my, sd, classes: classes ? Int32Array.from(classes) : null};
  }

  // ---- the schedules (cache/beta_schedules.py), as diffusers defines their betas, in float64 ----
  function alphaBar(schedule) {
    const betas = new Float64Array(T);
    if (schedule === "linear" || schedule === "scaled_linear") {
      const [a, b] = schedule === "linear" ? [0.0001, 0.02] : [Math.sqrt(0.00085), Math.sqrt(0.012)];
      for (let i = 0; i < T; i++) {
        const v = a + (i * (b - a)) / (T - 1);
        betas[i] = schedule === "linear" ? v : v * v;
      }
    } else if (schedule === "squaredcos_cap_v2") {
      const f = (t) => Math.cos(((t + 0.008) / 1.008) * Math.PI / 2) ** 2;
      for (let i = 0; i < T; i++) betas[i] = Math.min(1 - f((i + 1) / T) / f(i / T), 0.999);
    } else {
      throw new Error(`no schedule ${schedule}`);
    }
    const ab = new Float64Array(T);
    let prod = 1;
    for (let i = 0; i < T; i++) { prod *= 1 - betas[i]; ab[i] = prod; }
    return ab;
  }

  // E[x_0 | x] for x = scale x_0 + sqrt(noiseVar) n (sampling/exact_denoiser.py posterior_mean). Given k,
  // x ~ N(scale mu_k, v_k I), v_k = scale^2 s_k^2 + noiseVar: Bayes over k (log-sum-exp), then each Gaussian's
  // posterior mean (1 - gain_k scale) mu_k + gain_k x, gain_k = scale s_k^2 / v_k. What depends on k and the
  // time only is worked out once per time (a plan), so that a point costs one exp per component.
  function plan(m, scale, noiseVar) {
    const K = m.K, q = {K, scale, c: new Float64Array(K), h: new Float64Array(K), ax: new Float64Array(K),
      ay: new Float64Array(K), gain: new Float64Array(K), mx: m.mx, my: m.my, logp: new Float64Array(K)};
    for (let k = 0; k < K; k++) {
      const s2 = m.sd[k] * m.sd[k], v = scale * scale * s2 + noiseVar, gain = (scale * s2) / v;
      q.c[k] = Math.log(m.w[k]) - Math.log(v);  // D = 2: 0.5 D log v = log v
      q.h[k] = 1 / (2 * v);
      q.gain[k] = gain;
      q.ax[k] = (1 - gain * scale) * m.mx[k];
      q.ay[k] = (1 - gain * scale) * m.my[k];
    }
    return q;
  }
  function planned(q, x, y, out) {
    const {K, scale, c, h, mx, my, logp} = q;
    let top = -Infinity;
    for (let k = 0; k < K; k++) {
      const dx = x - scale * mx[k], dy = y - scale * my[k];
      const l = c[k] - (dx * dx + dy * dy) * h[k];
      logp[k] = l;
      if (l > top) top = l;
    }
    let z = 0, ax = 0, ay = 0, g = 0;
    for (let k = 0; k < K; k++) {
      const d = logp[k] - top;
      if (d < -746) continue;  // exp underflows to 0 there
      const p = Math.exp(d);
      z += p; ax += p * q.ax[k]; ay += p * q.ay[k]; g += p * q.gain[k];
    }
    out[0] = ax / z + (g / z) * x;
    out[1] = ay / z + (g / z) * y;
  }
  function posteriorMean(m, x, y, scale, noiseVar, out) { planned(plan(m, scale, noiseVar), x, y, out); }

  // eps_hat(x_t, t) = (x_t - sqrt(alpha_bar_t) E[x_0 | x_t]) / sqrt(1 - alpha_bar_t), Ho et al. eq. (4) solved for
  // eps, with q = plan(m, sqrt(alpha_bar_t), 1 - alpha_bar_t)
  function epsHat(q, a, x, y, out) {
    planned(q, x, y, out);
    const r = Math.sqrt(1 - a);
    out[0] = (x - Math.sqrt(a) * out[0]) / r;
    out[1] = (y - Math.sqrt(a) * out[1]) / r;
  }

  // diffusers' "leading" spacing (steps_offset 0): t = i * (T // S) for i = S-1..0, t_prev = t - T // S (< 0: the end)
  function timesteps(steps) {
    const ratio = Math.floor(T / steps), t = [], tPrev = [];
    for (let i = steps - 1; i >= 0; i--) { t.push(i * ratio); tPrev.push(i * ratio - ratio); }
    return {t, tPrev};
  }

  // One run, a step per yield: x (N*2 Float64Array) is updated in place. opts: mixture, sampler ("ddim", "ddpm",
  // "euler"), steps, schedule, noise (the starting x_T, N*2), added (DDPM's z, steps*N*2), onStep(i, x, time).
  function* run(opts) {
    const m = opts.mixture, S = opts.steps, N = opts.noise.length / 2;
    const x = Float64Array.from(opts.noise), out = new Float64Array(2), CHUNK = 256;  // a yield every CHUNK points
    if (opts.sampler === "euler") {  // x_{s_next} = x_s + (s_next - s) v(x_s, s), v = (x_s - E[x_0 | x_s]) / s
      for (let i = 0; i < S; i++) {
        const s = 1 - i / S, sNext = 1 - (i + 1) / S, q = plan(m, 1 - s, s * s);
        for (let p = 0; p < N; p++) {
          if (p && p % CHUNK === 0) yield i;
          const px = x[2 * p], py = x[2 * p + 1];
          planned(q, px, py, out);
          x[2 * p] = px + (sNext - s) * ((px - out[0]) / s);
          x[2 * p + 1] = py + (sNext - s) * ((py - out[1]) / s);
        }
        if (opts.onStep) opts.onStep(i, x, sNext);
        yield i;
      }
      return x;
    }
    const ab = alphaBar(opts.schedule), {t, tPrev} = timesteps(S), ddpm = opts.sampler === "ddpm";
    for (let i = 0; i < S; i++) {
      const a = ab[t[i]], ap = tPrev[i] >= 0 ? ab[tPrev[i]] : 1;  // final alpha_bar 1 (set_alpha_to_one)
      const sa = Math.sqrt(a), s1a = Math.sqrt(1 - a);
      // DDPM, Ho et al. eq. (7) and (11), as DDPMScheduler.step: mean = c0 x0_hat + ct x_t, plus sigma_t z
      const alpha = a / ap, beta = 1 - alpha;
      const c0 = (Math.sqrt(ap) * beta) / (1 - a), ct = (Math.sqrt(alpha) * (1 - ap)) / (1 - a);
      const sigma = t[i] > 0 ? Math.sqrt(Math.max(((1 - ap) / (1 - a)) * beta, 1e-20)) : 0;
      const q = plan(m, sa, 1 - a);
      for (let p = 0; p < N; p++) {
        if (p && p % CHUNK === 0) yield i;
        const px = x[2 * p], py = x[2 * p + 1];
        epsHat(q, a, px, py, out);
        const ex = out[0], ey = out[1];
        const x0x = (px - s1a * ex) / sa, x0y = (py - s1a * ey) / sa;  // eq. (15), never clipped for a mixture
        if (ddpm) {
          const zx = sigma > 0 ? opts.added[(i * N + p) * 2] : 0, zy = sigma > 0 ? opts.added[(i * N + p) * 2 + 1] : 0;
          x[2 * p] = c0 * x0x + ct * px + sigma * zx;
          x[2 * p + 1] = c0 * x0y + ct * py + sigma * zy;
        } else {  // DDIM, Song et al. eq. (12), eta = 0
          x[2 * p] = Math.sqrt(ap) * x0x + Math.sqrt(1 - ap) * ex;
          x[2 * p + 1] = Math.sqrt(ap) * x0y + Math.sqrt(1 - ap) * ey;
        }
      }
      if (opts.onStep) opts.onStep(i, x, tPrev[i]);
      yield i;
    }
    return x;
  }

  // ---- seeded noise (the page's own; the tests hand theirs) ----
  function gaussians(n, seed) {
    let s = seed >>> 0;
    const u = () => {  // mulberry32
      s = (s + 0x6D2B79F5) >>> 0;
      let r = Math.imul(s ^ (s >>> 15), 1 | s);
      r = (r + Math.imul(r ^ (r >>> 7), 61 | r)) ^ r;
      return (((r ^ (r >>> 14)) >>> 0) + 1) / 4294967297;
    };
    const out = new Float64Array(n);
    for (let i = 0; i < n; i += 2) {
      const r = Math.sqrt(-2 * Math.log(u())), a = 2 * Math.PI * u();
      out[i] = r * Math.cos(a);
      if (i + 1 < n) out[i + 1] = r * Math.sin(a);
    }
    return out;
  }

  // Synchronous: {final, states?} as plain arrays. opts as run's, with mixture either built or {points, classes}.
  function sample(opts) {
    const mixture = opts.mixture.K ? opts.mixture : mixtureFromPoints(opts.mixture.points, opts.mixture.classes);
    const states = [];
    const it = run({...opts, mixture, noise: Float64Array.from(opts.noise), added: opts.added && Float64Array.from(opts.added),
      onStep: opts.states ? (i, x) => states.push(Array.from(x)) : null});
    let r = it.next();
    while (!r.done) r = it.next();
    return {final: Array.from(r.value), states: opts.states ? states : undefined};
  }

  // ---- figures: the share off the strokes and the spread (sampling/metrics.py stray, spread) ----
  function stray(m, x) {
    const N = x.length / 2;
    let off = 0;
    for (let p = 0; p < N; p++) {
      let near = false;
      for (let k = 0; k < m.K && !near; k++) {
        near = Math.sqrt((x[2 * p] - m.mx[k]) ** 2 + (x[2 * p + 1] - m.my[k]) ** 2) / m.sd[k] <= STRAY_SD;
      }
      if (!near) off++;
    }
    return off / N;
  }
  function spread(x) {
    const N = x.length / 2;
    let cx = 0, cy = 0, s = 0;
    for (let p = 0; p < N; p++) { cx += x[2 * p] / N; cy += x[2 * p + 1] / N; }
    for (let p = 0; p < N; p++) s += ((x[2 * p] - cx) ** 2 + (x[2 * p + 1] - cy) ** 2) / N;
    return Math.sqrt(s);
  }

  // ---- presets and the link's encoding: points as int8 of x * 100 (2 decimals, within [-1.27, 1.27]) ----
  function presets(meta) {
    const ring = [], moons = [];
    for (let i = 0; i < 60; i++) { const a = (2 * Math.PI * i) / 60; ring.push(0.7 * Math.cos(a), 0.7 * Math.sin(a)); }
    for (let i = 0; i < 40; i++) {  // two interleaved half circles (scikit-learn's make_moons), scaled into the square
      const a = (Math.PI * i) / 39;
      moons.push(0.55 * (Math.cos(a) - 0.5), 0.55 * (Math.sin(a) - 0.25), 0.55 * (0.5 - Math.cos(a)), 0.55 * (0.25 - Math.sin(a)));
    }
    const smiley = meta.sandbox ? meta.sandbox.smiley.flat() : ring;
    return {smiley, "two moons": moons, ring};
  }
  const round2 = (v) => Math.max(-127, Math.min(127, Math.round(v * 100))) / 100;
  function encode(points) {
    let s = "";
    for (const v of points.slice(0, 2 * MAX_POINTS)) s += String.fromCharCode(Math.round(v * 100) & 255);
    return btoa(s).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
  }
  function decode(text) {
    const bin = atob(text.replace(/-/g, "+").replace(/_/g, "/"));
    const out = [];
    for (let i = 0; i + 1 < bin.length && out.length < 2 * MAX_POINTS; i += 2) {
      out.push(((bin.charCodeAt(i) << 24) >> 24) / 100, ((bin.charCodeAt(i + 1) << 24) >> 24) / 100);
    }
    return out;
  }

  // ---- the view (kit: explorer.js's builders) ----
  function view(s, kit) {
    const {el, control, remember, meta} = kit;
    const P = presets(meta), FRAMES = 50, EXTENT = 2, SIDE = 420, PATHS = 6;
    const state = {points: P.smiley.map(round2), preset: "smiley", n: 1000, sampler: "ddim", steps: 50,
      schedule: "linear", seed: 0, frames: [], times: [], paths: [], mixture: null, token: 0, done: false};
    const select = (id, label, options, value) => {
      const node = el("select", {id: `sandbox-${id}`});
      for (const [v, text] of options) node.append(el("option", {value: v, text}));
      node.value = String(value);
      return [el("label", {for: node.id, text: label}), node];
    };
    const [lPreset, preset] = select("preset", "preset", [...Object.keys(P).map((k) => [k, k]), ["drawn", "your drawing"]], "smiley");
    const [lN, nSel] = select("n", "points", [200, 500, 1000, 2000, 5000].map((v) => [v, v]), state.n);
    const [lSampler, samplerSel] = select("sampler", "sampler", [["ddim", "DDIM"], ["ddpm", "DDPM"], ["euler", "flow matching (Euler)"]], "ddim");
    const [lSteps, stepsSel] = select("steps", "steps", [1, 2, 5, 10, 20, 50, 100, 200, 500, 1000].map((v) => [v, v]), 50);
    const [lSched, schedSel] = select("schedule", "schedule", Object.entries(SCHEDULES), "linear");
    const erase = el("input", {type: "checkbox", id: "sandbox-erase"});
    const clear = el("button", {type: "button", id: "sandbox-clear", text: "clear the drawing"});
    const status = el("p", {class: "note", id: "sandbox-status", role: "status"});
    s.append(el("p", {class: "note", text: "Draw points on the square (drag; tick erase to remove them), or pick a preset. " +
      "Each point becomes a small Gaussian (sd: half the distance to its nearest neighbour, within 0.01..0.1); the page " +
      "samples that mixture with its exact denoiser E[x0 | xt], in float64, as the mixture chapters do."}),
    el("div", {class: "control"}, lPreset, preset, lN, nSel, lSampler, samplerSel, lSteps, stepsSel, lSched, schedSel,
      el("label", {for: erase.id, text: "erase"}), erase, clear));
    const canvas = el("canvas", {id: "sandbox-canvas", role: "img", width: SIDE, height: SIDE, tabindex: "0",
      "aria-label": "the drawing and the sampled cloud"});
    canvas.style.cssText = `width: ${SIDE}px; height: ${SIDE}px; border: 1px solid var(--dim); touch-action: none; cursor: crosshair`;
    const figures = el("dl", {class: "numbers"});
    const fig = {};
    for (const [name, text] of [["time", "t"], ["components", "components"], ["stray", "off the strokes (%)"], ["spread", "spread"]]) {
      const dt = el("dt", {text}), dd = el("dd", {class: "value", "data-name": name});
      fig[name] = [dt, dd];
      figures.append(dt, dd);
    }
    s.append(el("div", {class: "panels"}, el("figure", {}, canvas), figures), status);
    const px = (x) => ((x + EXTENT) / (2 * EXTENT)) * SIDE, py = (y) => ((EXTENT - y) / (2 * EXTENT)) * SIDE;

    function frameOf(j) { return Math.round((j * state.steps) / FRAMES); }  // the slider's j -> the step's state
    function show(j) {
      const C = meta.palettes[kit.theme()], ctx = canvas.getContext("2d");
      ctx.fillStyle = C.background;
      ctx.fillRect(0, 0, SIDE, SIDE);
      ctx.strokeStyle = C.dim;
      ctx.strokeRect(px(-1), py(1), px(1) - px(-1), py(-1) - py(1));
      ctx.fillStyle = C.x0;
      for (let k = 0; k < state.points.length; k += 2) ctx.fillRect(px(state.points[k]) - 1.5, py(state.points[k + 1]) - 1.5, 3, 3);
      const f = state.frames[j], i = frameOf(j);
      if (state.mixture && f) {
        const time = state.times[i];  // t (or s) of the frame: where to draw -eps_hat's field
        ctx.strokeStyle = C.eps_hat;
        ctx.globalAlpha = 0.45;  // the field of -eps_hat at the frame's t, under the cloud
        const out = new Float64Array(2);
        if (state.sampler !== "euler" && time >= 0) {
          const a = alphaBar(state.schedule)[time], q = plan(state.mixture, Math.sqrt(a), 1 - a);
          for (let gx = -1.8; gx <= 1.81; gx += 0.3) {
            for (let gy = -1.8; gy <= 1.81; gy += 0.3) {
              epsHat(q, a, gx, gy, out);
              ctx.beginPath(); ctx.moveTo(px(gx), py(gy)); ctx.lineTo(px(gx - 0.08 * out[0]), py(gy - 0.08 * out[1])); ctx.stroke();
            }
          }
        }
        ctx.globalAlpha = 1;
        ctx.fillStyle = C.x_t;
        for (let p = 0; p < f.length / 2; p++) ctx.fillRect(Math.round(px(f[2 * p])) - 1, Math.round(py(f[2 * p + 1])) - 1, 2, 2);
        ctx.strokeStyle = C.accent;
        for (const path of state.paths) {
          ctx.beginPath();
          for (let q = 0; q <= i && q < path.length / 2; q++) ctx[q ? "lineTo" : "moveTo"](px(path[2 * q]), py(path[2 * q + 1]));
          ctx.stroke();
        }
        const x = Float64Array.from(f);
        fig.time[0].textContent = state.sampler === "euler" ? "s" : "t";
        fig.time[1].textContent = state.sampler === "euler" ? (1 - i / state.steps).toFixed(3) : (time < 0 ? "0 (x_0)" : String(time));
        fig.stray[1].textContent = (100 * stray(state.mixture, x)).toFixed(1);
        fig.spread[1].textContent = spread(x).toFixed(3);
      }
      fig.components[1].textContent = String(state.points.length / 2);
      canvas.setAttribute("aria-label", `the drawing (${state.points.length / 2} points) and the cloud of ${state.n} samples at step ${i} of ${state.steps}`);
    }

    // A run in slices of ~20 ms, each posted as a message (a chained setTimeout would wait 4 ms more each time), so
    // that the page answers between them; a newer run cancels it.
    const channel = new MessageChannel(), queued = [];
    channel.port1.onmessage = () => queued.shift()();
    const soon = (f) => { queued.push(f); channel.port2.postMessage(0); };
    function rerun() {
      const token = ++state.token;
      state.done = false;
      s.dataset.run = "running";
      if (!state.points.length) { state.mixture = null; state.frames = []; show(0); status.textContent = "draw some points"; s.dataset.run = "done"; return; }
      const N = state.n, S = state.steps, mixture = mixtureFromPoints(state.points);
      const noise = gaussians(2 * N, 1 + state.seed), added = state.sampler === "ddpm" ? gaussians(2 * N * S, 2 + state.seed) : null;
      const keep = new Set(Array.from({length: FRAMES + 1}, (_, j) => frameOf(j)));
      const frames = new Map([[0, Float32Array.from(noise)]]), paths = Array.from({length: PATHS}, (_, k) => [noise[2 * k], noise[2 * k + 1]]);
      const times = [state.sampler === "euler" ? 1 : timesteps(S).t[0]];
      const it = run({mixture, sampler: state.sampler, steps: S, schedule: state.schedule, noise, added,
        onStep(i, x, time) {
          times[i + 1] = time;
          if (keep.has(i + 1)) frames.set(i + 1, Float32Array.from(x));
          for (let k = 0; k < PATHS && k < N; k++) paths[k].push(x[2 * k], x[2 * k + 1]);
        }});
      const began = performance.now();
      const slice = () => {
        if (token !== state.token) return;
        const until = performance.now() + 20;
        let r;
        do r = it.next(); while (!r.done && performance.now() < until);
        status.textContent = r.done ? `${N} points, ${samplerSel.selectedOptions[0].text}, ${S} steps: ${((performance.now() - began) / 1000).toFixed(2)} s`
          : `sampling… ${Math.round((100 * frames.size) / keep.size)}%`;
        if (!r.done) { soon(slice); return; }
        Object.assign(state, {mixture, frames: Array.from({length: FRAMES + 1}, (_, j) => frames.get(frameOf(j))), times, paths, done: true});
        s.dataset.run = "done";
        c.set(c.value, true);
      };
      slice();
    }

    const c = control(s, {id: "sandbox", label: "step", max: FRAMES, fieldLabel: "step", toField: frameOf,
      fromField: (i) => Math.round((i * FRAMES) / state.steps), onChange: show});
    s.insertBefore(c.slider.parentNode, canvas.closest(".panels"));
    c.set(FRAMES, true);

    function settingsChanged() {
      Object.assign(state, {n: Number(nSel.value), sampler: samplerSel.value, steps: Number(stepsSel.value), schedule: schedSel.value});
      schedSel.disabled = state.sampler === "euler";
      rerun();
      remember();
    }
    for (const node of [nSel, samplerSel, stepsSel, schedSel]) node.addEventListener("change", settingsChanged);
    preset.addEventListener("change", () => {
      if (preset.value !== "drawn") { state.points = P[preset.value].map(round2); state.preset = preset.value; }
      settingsChanged();
    });
    clear.addEventListener("click", () => { state.points = []; state.preset = preset.value = "drawn"; settingsChanged(); });

    // Drawing with the mouse, a pen or a finger: a point every 0.04 along a stroke; erasing within 0.08.
    let drawing = false;
    const at = (e) => {
      const r = canvas.getBoundingClientRect();
      return [((e.clientX - r.left) / r.width) * 2 * EXTENT - EXTENT, EXTENT - ((e.clientY - r.top) / r.height) * 2 * EXTENT];
    };
    const touch = (e) => {
      const [x, y] = at(e);
      if (erase.checked) {
        const kept = [];
        for (let k = 0; k < state.points.length; k += 2) {
          if (Math.hypot(state.points[k] - x, state.points[k + 1] - y) > 0.08) kept.push(state.points[k], state.points[k + 1]);
        }
        state.points = kept;
      } else {
        const L = state.points.length;
        if (Math.abs(x) > 1.27 || Math.abs(y) > 1.27 || L >= 2 * MAX_POINTS) return;
        if (L && Math.hypot(state.points[L - 2] - x, state.points[L - 1] - y) < 0.04) return;
        state.points.push(round2(x), round2(y));
      }
      state.preset = preset.value = "drawn";
      show(c.value);
    };
    canvas.addEventListener("pointerdown", (e) => { drawing = true; canvas.setPointerCapture(e.pointerId); touch(e); });
    canvas.addEventListener("pointermove", (e) => { if (drawing) touch(e); });
    const end = () => { if (drawing) { drawing = false; settingsChanged(); } };
    canvas.addEventListener("pointerup", end);
    canvas.addEventListener("pointercancel", end);

    let started = false;
    window.diffvizSandbox.state = state;  // for the tests: the drawing and settings the view holds
    return {
      control: c,
      redraw: () => show(c.value),
      go(p) {
        let changed = !started;
        started = true;
        const pairs = [[nSel, p.n], [samplerSel, p.sampler], [stepsSel, p.steps], [schedSel, p.schedule]];
        for (const [node, v] of pairs) {
          if (v !== undefined && node.value !== v && [...node.options].some((o) => o.value === v)) { node.value = v; changed = true; }
        }
        if (p.p !== undefined) { state.points = decode(p.p); state.preset = preset.value = "drawn"; changed = true; }
        else if (p.preset !== undefined && P[p.preset] && p.preset !== state.preset) {
          state.points = P[p.preset].map(round2); state.preset = preset.value = p.preset; changed = true;
        }
        Object.assign(state, {n: Number(nSel.value), sampler: samplerSel.value, steps: Number(stepsSel.value), schedule: schedSel.value});
        if (changed) rerun();
        c.set(p.frame !== undefined ? Number(p.frame) : c.value, true);
      },
      hash: () => `${state.preset === "drawn" ? `p=${encode(state.points)}` : `preset=${encodeURIComponent(state.preset)}`}` +
        `/n=${state.n}/sampler=${state.sampler}/steps=${state.steps}/schedule=${state.schedule}/frame=${c.value}`,
      state,
    };
  }

  window.diffvizSandbox = {mixtureFromPoints, alphaBar, posteriorMean, timesteps, sample, gaussians, encode, decode, stray, spread, view,
    MAX_POINTS};
})();
