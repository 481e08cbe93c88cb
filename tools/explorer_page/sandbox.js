// The explorer's sandbox: a drawing becomes a Gaussian mixture (the rule of cache/mixtures.py
// mixture_from_points), and the page samples it with the exact denoiser E[x_0 | x_t] (sampling/exact_denoiser.py)
// through DDPM, DDIM or flow-matching Euler (sampling/samplers.py), all in float64, optionally with classifier-free
// guidance towards one brush's points (sampling/exact_denoiser.py GuidedDenoiser). A run goes to a Web Worker made
// from this file's own core (a Blob URL); where none can be made, it runs here in slices of ~20 ms so that the page
// stays responsive. window.diffvizSandbox.sample() is what the tests call.
"use strict";
(() => {
  // ---- the core: plain functions, no page; the worker runs a copy of it (sandboxCore.toString()) ----
  function sandboxCore() {
    const T = 1000;  // training steps of every schedule
    const SD_MIN = 0.01, SD_MAX = 0.1, SD_ALONE = 0.05;  // cache/mixtures.py DRAWN_SD_*
    // A component whose log-weight lies more than PRUNE below the largest has p_k < e^-40 ~ 4e-18 of the top
    // one's: all K of them together move E[x_0 | x] by less than 2 K e^-40 max|mu| ~ 1e-14 for K <= 600, so they
    // are skipped (a bound, not a guess: the tests hold the page to Python's float64 within 1e-6).
    const PRUNE = 40;

    // ---- the drawing's mixture: one component per point, weights 1/K, sd half the nearest other's distance ----
    function mixtureFromPoints(points, classes = null) {  // points: flat [x0, y0, x1, y1, ...]; classes: K ints
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
    function classCount(m, cls) {
      let n = 0;
      for (let k = 0; k < m.K; k++) if (m.classes && m.classes[k] === cls) n++;
      return n;
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
    // time only is worked out once per time (a plan), so that a point costs one exp per component. With cls >= 0
    // the plan also gives E[x_0 | x] under p(x | c), the components of class cls (Mixture.of_class): their weights
    // renormalised by a constant, which cancels in Bayes, so the same log p_k serve, with the class's own maximum.
    function plan(m, scale, noiseVar, cls = -1) {
      const K = m.K, q = {K, scale, c: new Float64Array(K), h: new Float64Array(K), ax: new Float64Array(K),
        ay: new Float64Array(K), gain: new Float64Array(K), mx: m.mx, my: m.my, logp: new Float64Array(K),
        own: cls >= 0 ? m.classes : null, cls};
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
    // out[0..1]: E[x_0 | x] of the mixture; with a class in the plan, out[2..3]: that of p(x | c).
    function planned(q, x, y, out, prune = PRUNE) {
      const {K, scale, c, h, mx, my, logp, own, cls, ax: qax, ay: qay, gain} = q;
      let top = -Infinity, topC = -Infinity;
      for (let k = 0; k < K; k++) {
        const dx = x - scale * mx[k], dy = y - scale * my[k];
        const l = c[k] - (dx * dx + dy * dy) * h[k];
        logp[k] = l;
        if (l > top) top = l;
        if (own && own[k] === cls && l > topC) topC = l;
      }
      const floor = top - prune, floorC = topC - prune, lift = Math.exp(topC - top);
      let z = 0, ax = 0, ay = 0, g = 0, zc = 0, axc = 0, ayc = 0, gc = 0;
      for (let k = 0; k < K; k++) {
        const l = logp[k];
        let p;
        if (own && own[k] === cls) {
          if (l < floorC) continue;  // (floorC <= floor: the class's maximum is at most the whole one's)
          const pc = Math.exp(l - topC);
          zc += pc; axc += pc * qax[k]; ayc += pc * qay[k]; gc += pc * gain[k];
          if (l < floor) continue;
          p = pc * lift;
        } else {
          if (l < floor) continue;
          p = Math.exp(l - top);
        }
        z += p; ax += p * qax[k]; ay += p * qay[k]; g += p * gain[k];
      }
      out[0] = ax / z + (g / z) * x;
      out[1] = ay / z + (g / z) * y;
      if (own) { out[2] = axc / zc + (gc / zc) * x; out[3] = ayc / zc + (gc / zc) * y; }
    }
    function posteriorMean(m, x, y, scale, noiseVar, out, cls = -1, prune = PRUNE) {
      planned(plan(m, scale, noiseVar, cls), x, y, out, prune);
    }

    // eps_hat(x_t, t) = (x_t - sqrt(alpha_bar_t) E[x_0 | x_t]) / sqrt(1 - alpha_bar_t), Ho et al. eq. (4) solved
    // for eps, with q = plan(m, sqrt(alpha_bar_t), 1 - alpha_bar_t); with a class in the plan and guidance w,
    // classifier-free guidance as GuidedDenoiser: eps_w = eps_u + w (eps_c - eps_u) (w = 0: unconditional).
    function epsHat(q, a, x, y, out, w = 0, prune = PRUNE) {
      planned(q, x, y, out, prune);
      const r = Math.sqrt(1 - a), sa = Math.sqrt(a);
      const ux = (x - sa * out[0]) / r, uy = (y - sa * out[1]) / r;
      if (q.own) {
        const cx = (x - sa * out[2]) / r, cy = (y - sa * out[3]) / r;
        out[0] = ux + w * (cx - ux);
        out[1] = uy + w * (cy - uy);
      } else {
        out[0] = ux; out[1] = uy;
      }
    }

    // diffusers' "leading" spacing (steps_offset 0): t = i * (T // S) for i = S-1..0, t_prev = t - T // S (< 0: the end)
    function timesteps(steps) {
      const ratio = Math.floor(T / steps), t = [], tPrev = [];
      for (let i = steps - 1; i >= 0; i--) { t.push(i * ratio); tPrev.push(i * ratio - ratio); }
      return {t, tPrev};
    }

    // One run, a yield every CHUNK points: x (N*2 Float64Array) is updated in place. opts: mixture, sampler
    // ("ddim", "ddpm", "euler"), steps, schedule, noise (the starting x_T, N*2), added (DDPM's z, steps*N*2),
    // guidance ({cls, w}: towards class cls, DDPM and DDIM only), prune, onStep(i, x, time).
    function* run(opts) {
      const m = opts.mixture, S = opts.steps, N = opts.noise.length / 2, prune = opts.prune ?? PRUNE;
      const x = Float64Array.from(opts.noise), out = new Float64Array(4), CHUNK = 256;
      const g = opts.guidance || null;
      if (g) {
        if (opts.sampler === "euler") throw new Error("guidance is for DDPM and DDIM (Python guides those), not flow matching");
        if (!Number.isFinite(g.w)) throw new Error(`guidance w = ${g.w} is not a number; type one such as 3`);
        if (!classCount(m, g.cls)) throw new Error(`brush ${g.cls} has no points: draw some with it, or set w = 0`);
      }
      if (opts.sampler === "euler") {  // x_{s_next} = x_s + (s_next - s) v(x_s, s), v = (x_s - E[x_0 | x_s]) / s
        for (let i = 0; i < S; i++) {
          const s = 1 - i / S, sNext = 1 - (i + 1) / S, q = plan(m, 1 - s, s * s);
          for (let p = 0; p < N; p++) {
            if (p && p % CHUNK === 0) yield i;
            const px = x[2 * p], py = x[2 * p + 1];
            planned(q, px, py, out, prune);
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
        const q = plan(m, sa, 1 - a, g ? g.cls : -1), w = g ? g.w : 0;
        for (let p = 0; p < N; p++) {
          if (p && p % CHUNK === 0) yield i;
          const px = x[2 * p], py = x[2 * p + 1];
          epsHat(q, a, px, py, out, w, prune);
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

    // The view's run, the same in the workers and in slices: its noises from the seed, the states at the steps in
    // o.keep (Float32), the first o.paths points' paths, each state's t (or s). Points o.from..o.to-1 of the o.n
    // only (each point's path depends on its own noises alone), so that workers may share a run. Yields as run
    // does; returns them.
    function* viewRun(o, progress) {
      const mixture = mixtureFromPoints(o.points, o.classes), N = o.n, S = o.steps;
      const from = o.from ?? 0, to = o.to ?? N, n = to - from;
      const noise = gaussians(2 * N, 1 + o.seed).slice(2 * from, 2 * to);
      let added = null;
      if (o.sampler === "ddpm") {  // step i's z of these points
        const all = gaussians(2 * N * S, 2 + o.seed);
        added = new Float64Array(2 * n * S);
        for (let i = 0; i < S; i++) added.set(all.subarray(2 * (i * N + from), 2 * (i * N + to)), 2 * i * n);
      }
      const keep = new Set(o.keep), frames = [[0, Float32Array.from(noise)]];
      const paths = Array.from({length: from ? 0 : Math.min(o.paths, n)}, (_, k) => [noise[2 * k], noise[2 * k + 1]]);
      const times = [o.sampler === "euler" ? 1 : timesteps(S).t[0]];
      yield* run({mixture, sampler: o.sampler, steps: S, schedule: o.schedule, noise, added, guidance: o.guidance,
        prune: o.prune, onStep(i, x, time) {
          times[i + 1] = time;
          if (keep.has(i + 1)) frames.push([i + 1, Float32Array.from(x)]);
          for (let k = 0; k < paths.length; k++) paths[k].push(x[2 * k], x[2 * k + 1]);
          if (progress) progress((i + 1) / S);
        }});
      return {frames, times, paths};
    }

    return {T, PRUNE, mixtureFromPoints, classCount, alphaBar, plan, planned, posteriorMean, epsHat, timesteps, run,
      gaussians, viewRun};
  }

  const core = sandboxCore();
  const {mixtureFromPoints, alphaBar, plan, posteriorMean, epsHat, timesteps, run, gaussians, viewRun} = core;

  const MAX_POINTS = 600;  // a drawing's points: what a link carries (2 bytes a point) and a saved file may hold
  const LIMIT = 1.27;  // a point's coordinates: within [-1.27, 1.27] (int8 of x * 100 in a link)
  const STRAY_SD = 3;  // off the strokes: further than 3 sd from every component (cache/specs.py stray_sd)
  const SCHEDULES = {linear: "linear", squaredcos_cap_v2: "cosine", scaled_linear: "scaled linear"};
  const BRUSHES = 2;  // classes 0 and 1: "brush 0", "brush 1" in cache/mixtures.py mixture_from_points
  const FORMAT = "diffviz-drawing", VERSION = 1;  // a saved drawing (cache/drawings.py reads it)
  const MAX_BYTES = 256 * 1024, KEYS = ["format", "version", "points", "classes"];  // cache/drawings.py's

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

  // ---- the worker: the core's own text in a Blob URL (no file to fetch, so it works from file:// too) ----
  let workerUrl = null;
  function makeWorker() {
    if (typeof Worker === "undefined" || typeof Blob === "undefined") return null;
    if (!workerUrl) {
      const text = `"use strict";\nconst core = (${sandboxCore.toString()})();\n` +
        "onmessage = (e) => {\n" +
        "  try {\n" +
        "    let last = 0;\n" +
        "    const it = core.viewRun(e.data, (f) => { if (f - last >= 0.02 || f === 1) { last = f; postMessage({progress: f}); } });\n" +
        "    let r = it.next();\n" +
        "    while (!r.done) r = it.next();\n" +
        "    postMessage({result: r.value}, r.value.frames.map((f) => f[1].buffer));\n" +
        "  } catch (err) { postMessage({error: String(err.message || err)}); }\n" +
        "};\n";
      workerUrl = URL.createObjectURL(new Blob([text], {type: "text/javascript"}));
    }
    try { return new Worker(workerUrl); } catch (err) { return null; }
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

  // ---- presets (with their classes) and the link's encoding: points as int8 of x * 100 (2 decimals, within
  // [-1.27, 1.27]); classes as one bit a point, 8 points a byte ----
  function presets(meta) {
    const ring = [], moons = [], moonClasses = [];
    for (let i = 0; i < 60; i++) { const a = (2 * Math.PI * i) / 60; ring.push(0.7 * Math.cos(a), 0.7 * Math.sin(a)); }
    for (let i = 0; i < 40; i++) {  // two interleaved half circles (scikit-learn's make_moons), scaled into the square
      const a = (Math.PI * i) / 39;
      moons.push(0.55 * (Math.cos(a) - 0.5), 0.55 * (Math.sin(a) - 0.25), 0.55 * (0.5 - Math.cos(a)), 0.55 * (0.25 - Math.sin(a)));
      moonClasses.push(0, 1);  // a moon each brush
    }
    const sm = meta.sandbox || {};  // the smiley of cache/mixtures.py; its mouth is brush 1
    const smiley = sm.smiley ? sm.smiley.flat() : ring;
    return {
      smiley: {points: smiley, classes: sm.smiley_classes || new Array(smiley.length / 2).fill(0)},
      "two moons": {points: moons, classes: moonClasses},
      ring: {points: ring, classes: new Array(ring.length / 2).fill(0)},
    };
  }
  const round2 = (v) => Math.max(-127, Math.min(127, Math.round(v * 100))) / 100;
  const b64 = (s) => btoa(s).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
  const unb64 = (text) => atob(text.replace(/-/g, "+").replace(/_/g, "/"));
  function encode(points) {
    let s = "";
    for (const v of points.slice(0, 2 * MAX_POINTS)) s += String.fromCharCode(Math.round(v * 100) & 255);
    return b64(s);
  }
  function decode(text) {
    const bin = unb64(text);
    const out = [];
    for (let i = 0; i + 1 < bin.length && out.length < 2 * MAX_POINTS; i += 2) {
      out.push(((bin.charCodeAt(i) << 24) >> 24) / 100, ((bin.charCodeAt(i + 1) << 24) >> 24) / 100);
    }
    return out;
  }
  function encodeClasses(classes) {
    const bytes = new Uint8Array(Math.ceil(Math.min(classes.length, MAX_POINTS) / 8));
    for (let k = 0; k < classes.length && k < MAX_POINTS; k++) if (classes[k]) bytes[k >> 3] |= 1 << (k & 7);
    return b64(String.fromCharCode(...bytes));
  }
  function decodeClasses(text, K) {
    const bin = text ? unb64(text) : "";
    return Array.from({length: K}, (_, k) => ((bin.charCodeAt(k >> 3) || 0) >> (k & 7)) & 1);
  }

  // ---- a word as points: drawn with the canvas's fillText in the generic sans-serif (there offline), its lit
  // pixels sampled on a grid, the grid widened until at most MAX_POINTS remain ----
  const WORD_CHARS = 16;
  const cleanWord = (word) => String(word).replace(/[/=%#]/g, "").slice(0, WORD_CHARS);
  function wordPoints(word) {
    word = cleanWord(word);
    if (!word.trim()) return [];
    const W = 480, H = 240, HALF = 1.2;  // the canvas spans [-1.2, 1.2] across, [-0.6, 0.6] up
    const canvas = document.createElement("canvas");
    canvas.width = W; canvas.height = H;
    const ctx = canvas.getContext("2d", {willReadFrequently: true});
    let size = 200;
    ctx.font = `bold ${size}px sans-serif`;
    const width = ctx.measureText(word).width;
    if (width > 0.94 * W) { size = Math.floor((size * 0.94 * W) / width); ctx.font = `bold ${size}px sans-serif`; }
    ctx.textAlign = "center"; ctx.textBaseline = "middle"; ctx.fillStyle = "#000";
    ctx.fillText(word, W / 2, H / 2);
    const alpha = ctx.getImageData(0, 0, W, H).data;
    for (let step = 5; ; step++) {
      const out = [];
      for (let py = Math.floor(step / 2); py < H; py += step) {
        for (let px = Math.floor(step / 2); px < W; px += step) {
          if (alpha[4 * (py * W + px) + 3] >= 128) out.push(round2(((px + 0.5 - W / 2) / (W / 2)) * HALF), round2(((H / 2 - py - 0.5) / (W / 2)) * HALF));
        }
      }
      if (out.length <= 2 * MAX_POINTS) return out;
    }
  }

  // a drawing as the JSON file that `diffviz cache build toy --model mixture:FILE` records (cache/drawings.py)
  function drawingJson(points, classes) {
    const pts = [];
    for (let k = 0; k < points.length; k += 2) pts.push([points[k], points[k + 1]]);
    return JSON.stringify({format: FORMAT, version: VERSION, points: pts, classes: Array.from(classes)}) + "\n";
  }

  // A saved drawing read back, by cache/drawings.py read_drawing's rules and in its words (the file's name where
  // Python names its path): {points: flat [x0, y0, ...], classes}, or an Error whose message is one line naming
  // the problem and what to do.
  const FIX = 'save it again with the sandbox\'s "save the drawing" button';
  const pyType = (v) => (v === null ? "NoneType" : Array.isArray(v) ? "list" : typeof v === "string" ? "str"
    : typeof v === "boolean" ? "bool" : typeof v === "number" ? (Number.isInteger(v) ? "int" : "float") : "dict");
  const pyJson = (v) => (Array.isArray(v) ? `[${v.map(pyJson).join(", ")}]`
    : v !== null && typeof v === "object" ? `{${Object.entries(v).map(([k, x]) => `${JSON.stringify(k)}: ${pyJson(x)}`).join(", ")}}`
      : JSON.stringify(v));  // json.dumps's spacing
  const pyRepr = (v) => (typeof v === "string" ? `'${v}'` : typeof v === "boolean" ? (v ? "True" : "False")
    : v === null ? "None" : typeof v === "number" ? String(v) : pyJson(v));
  const isNumber = (v) => typeof v === "number";  // JSON's booleans are not numbers here, as in Python
  function readDrawing(bytes, name, size = bytes.length) {  // size: the file's, where its bytes are not read
    const fail = (message) => { throw new Error(message); };
    if (size > MAX_BYTES) {
      fail(`${name} is ${size.toLocaleString("en-US")} bytes, over the ${MAX_BYTES.toLocaleString("en-US")} ` +
        `a drawing of ${MAX_POINTS} points may take; ${FIX}`);
    }
    let text;
    try {
      text = new TextDecoder("utf-8", {fatal: true, ignoreBOM: true}).decode(bytes);
    } catch (err) {
      fail(`${name} is not UTF-8 text; ${FIX}`);
    }
    let value;
    try {
      value = JSON.parse(text);  // NaN and Infinity are not JSON's: refused, as Python's reader refuses them
    } catch (err) {
      fail(`${name} ${text.trim() ? `is not valid JSON (${err.message})` : "is empty"}; ${FIX}`);
    }
    if (pyType(value) !== "dict") fail(`${name} holds a JSON ${pyType(value)}, not a drawing object; ${FIX}`);
    const unknown = Object.keys(value).filter((k) => !KEYS.includes(k));
    if (unknown.length) fail(`${name} has unknown keys ${unknown.map(pyRepr).join(", ")}; a drawing holds only ${KEYS.join(", ")}`);
    const missing = KEYS.filter((k) => !(k in value));
    if (missing.length) fail(`${name} has no ${missing.map(pyRepr).join(", ")}; ${FIX}`);
    if (value.format !== FORMAT) fail(`${name}: format is ${pyRepr(value.format)}, not '${FORMAT}'; ${FIX}`);
    if (!isNumber(value.version) || value.version !== VERSION) {
      fail(`${name}: version ${pyRepr(value.version)} is not one this diffviz reads (${VERSION}); ${FIX}`);
    }
    const {points, classes} = value;
    if (!Array.isArray(points) || points.length < 1 || points.length > MAX_POINTS) {
      const n = Array.isArray(points) ? `${points.length} of them` : `a ${pyType(points)}`;
      fail(`${name}: points must be a list of 1 to ${MAX_POINTS} [x, y] pairs, not ${n}; ` +
        (Array.isArray(points) && points.length ? "draw fewer points" : FIX));
    }
    points.forEach((p, i) => {
      if (!(Array.isArray(p) && p.length === 2 && p.every(isNumber))) {
        fail(`${name}: points[${i}] is ${pyJson(p).slice(0, 40)}, not a pair of numbers [x, y]; ${FIX}`);
      }
      p.forEach((v, j) => {
        if (!(Number.isFinite(v) && Math.abs(v) <= LIMIT)) {
          fail(`${name}: points[${i}][${j}] is ${Number.isFinite(v) ? pyRepr(v) : v > 0 ? "inf" : "-inf"}, outside ` +
            `[-${LIMIT}, ${LIMIT}] (the sandbox's square); move the point inside it`);
        }
      });
    });
    if (!Array.isArray(classes) || classes.length !== points.length) {
      const n = Array.isArray(classes) ? `${classes.length} of them` : `a ${pyType(classes)}`;
      fail(`${name}: classes must be a list of one brush (0 or 1) for each of the ${points.length} points, not ${n}; ${FIX}`);
    }
    classes.forEach((c, i) => {
      if (!(isNumber(c) && (c === 0 || c === 1))) fail(`${name}: classes[${i}] is ${pyJson(c).slice(0, 40)}, not a brush 0 or 1; ${FIX}`);
    });
    return {points: points.flat(), classes: classes.slice()};
  }

  // ---- the view (kit: explorer.js's builders) ----
  function view(s, kit) {
    const {el, control, remember, meta} = kit;
    const P = presets(meta), FRAMES = 50, EXTENT = 2, SIDE = 420, PATHS = 6, NUDGE = 0.04;
    const state = {points: P.smiley.points.map(round2), classes: P.smiley.classes.slice(), preset: "smiley", word: "",
      n: 1000, sampler: "ddim", steps: 50, schedule: "linear", seed: 0, brush: 0, cls: 1, w: 0, frames: [], times: [],
      paths: [], mixture: null, token: 0, done: false, engine: null, cursor: [0, 0]};
    const select = (id, label, options, value) => {
      const node = el("select", {id: `sandbox-${id}`});
      for (const [v, text] of options) node.append(el("option", {value: v, text}));
      node.value = String(value);
      return [el("label", {for: node.id, text: label}), node];
    };
    const brushes = Array.from({length: BRUSHES}, (_, b) => [b, `brush ${b}`]);
    const [lPreset, preset] = select("preset", "preset", [...Object.keys(P).map((k) => [k, k]), ["word", "a word"], ["drawn", "your drawing"]], "smiley");
    const word = el("input", {type: "text", id: "sandbox-word", maxlength: String(WORD_CHARS), placeholder: "type a word", autocomplete: "off"});
    const [lN, nSel] = select("n", "points", [200, 500, 1000, 2000, 5000].map((v) => [v, v]), state.n);
    const [lSampler, samplerSel] = select("sampler", "sampler", [["ddim", "DDIM"], ["ddpm", "DDPM"], ["euler", "flow matching (Euler)"]], "ddim");
    const [lSteps, stepsSel] = select("steps", "steps", [1, 2, 5, 10, 20, 50, 100, 200, 500, 1000].map((v) => [v, v]), 50);
    const [lSched, schedSel] = select("schedule", "schedule", Object.entries(SCHEDULES), "linear");
    const [lBrush, brushSel] = select("brush", "brush (class)", brushes, 0);
    const [lClass, classSel] = select("class", "guide towards", brushes, 1);
    const wInput = el("input", {type: "number", id: "sandbox-w", step: "0.5", value: "0"});
    const erase = el("input", {type: "checkbox", id: "sandbox-erase"});
    const clear = el("button", {type: "button", id: "sandbox-clear", text: "clear the drawing"});
    const save = el("button", {type: "button", id: "sandbox-save", text: "save the drawing (JSON, for a video)"});
    const load = el("input", {type: "file", id: "sandbox-load", accept: ".json,application/json"});
    const status = el("p", {class: "note", id: "sandbox-status", role: "status"});
    s.append(el("p", {class: "note", text: "Draw points on the square (drag, or Tab to it and use the arrow keys, Enter to " +
      "place a point, Delete to erase the nearest; tick erase to remove with the pointer), pick a preset, or type a word. " +
      "Each point becomes a small Gaussian (sd: half the distance to its nearest neighbour, within 0.01..0.1); the page " +
      "samples that mixture with its exact denoiser E[x0 | xt], in float64, as the mixture chapters do. Two brushes make " +
      "two classes; w > 0 guides DDPM and DDIM towards one of them: eps_u + w (eps_c - eps_u), as the guidance chapter " +
      "(w = 0: unguided, w = 1: that class alone)."}),
    el("div", {class: "control"}, lPreset, preset, el("label", {for: word.id, text: "word"}), word, lN, nSel, lSampler,
      samplerSel, lSteps, stepsSel, lSched, schedSel),
    el("div", {class: "control"}, lBrush, brushSel, el("label", {for: erase.id, text: "erase"}), erase, clear, lClass,
      classSel, el("label", {for: wInput.id, text: "guidance w"}), wInput, save, el("label", {for: load.id, text: "load a drawing"}),
      load));
    const canvas = el("canvas", {id: "sandbox-canvas", role: "application", width: SIDE, height: SIDE, tabindex: "0",
      "aria-roledescription": "drawing square", "aria-label": "the drawing and the sampled cloud"});
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
    const guidance = () => (state.sampler !== "euler" && state.w !== 0 ? {cls: state.cls, w: state.w} : null);

    function frameOf(j) { return Math.round((j * state.steps) / FRAMES); }  // the slider's j -> the step's state
    function show(j) {
      const C = meta.palettes[kit.theme()], ctx = canvas.getContext("2d");
      ctx.fillStyle = C.background;
      ctx.fillRect(0, 0, SIDE, SIDE);
      ctx.strokeStyle = C.dim;
      ctx.strokeRect(px(-1), py(1), px(1) - px(-1), py(-1) - py(1));
      const ink = [C.x0, C.eps];  // brush 0, brush 1
      for (let k = 0; k < state.points.length; k += 2) {
        ctx.fillStyle = ink[state.classes[k / 2]] || C.x0;
        ctx.fillRect(px(state.points[k]) - 1.5, py(state.points[k + 1]) - 1.5, 3, 3);
      }
      const f = state.frames[j], i = frameOf(j);
      if (state.mixture && f) {
        const time = state.times[i];  // t (or s) of the frame: where to draw -eps_hat's field
        ctx.strokeStyle = C.eps_hat;
        ctx.globalAlpha = 0.45;  // the field of -eps_hat (guided, where the run is) at the frame's t, under the cloud
        const out = new Float64Array(4), g = state.guidance;
        if (state.sampler !== "euler" && time >= 0) {
          const a = alphaBar(state.schedule)[time], q = plan(state.mixture, Math.sqrt(a), 1 - a, g ? g.cls : -1);
          for (let gx = -1.8; gx <= 1.81; gx += 0.3) {
            for (let gy = -1.8; gy <= 1.81; gy += 0.3) {
              epsHat(q, a, gx, gy, out, g ? g.w : 0);
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
      if (document.activeElement === canvas) {  // the keyboard's cursor: a ring in the brush's colour
        const [cx, cy] = state.cursor;
        ctx.strokeStyle = ink[state.brush];
        ctx.lineWidth = 2;
        ctx.beginPath(); ctx.arc(px(cx), py(cy), 7, 0, 2 * Math.PI); ctx.stroke();
        ctx.beginPath(); ctx.moveTo(px(cx) - 11, py(cy)); ctx.lineTo(px(cx) + 11, py(cy));
        ctx.moveTo(px(cx), py(cy) - 11); ctx.lineTo(px(cx), py(cy) + 11); ctx.stroke();
        ctx.lineWidth = 1;
      }
      const K = state.points.length / 2, ones = state.classes.reduce((a, b) => a + b, 0);
      fig.components[1].textContent = String(K);
      canvas.setAttribute("aria-label", `the drawing (${K - ones} points of brush 0, ${ones} of brush 1) and the cloud of ` +
        `${state.n} samples at step ${i} of ${state.steps}; keyboard: arrow keys move the cursor (now at ` +
        `${state.cursor[0].toFixed(2)}, ${state.cursor[1].toFixed(2)}), Enter places a point, Delete erases the nearest`);
    }

    // A run goes to workers, each a share of the points (a newer run ends them; finished ones are kept, warm, for
    // the next); without them, here in slices of ~20 ms, each posted as a message (a chained setTimeout would wait
    // 4 ms more each time), so that the page answers between them.
    const channel = new MessageChannel(), queued = [];
    channel.port1.onmessage = () => queued.shift()();
    const soon = (f) => { queued.push(f); channel.port2.postMessage(0); };
    const idle = [];
    let busy = [], workerFails = false;
    const WORKERS = Math.max(1, Math.min(4, (navigator.hardwareConcurrency || 2)));
    function hire(n) {
      while (idle.length < n) {
        const w = makeWorker();
        if (!w) return null;
        idle.push(w);
      }
      return idle.splice(0, n);
    }
    function rerun() {
      const token = ++state.token;
      state.done = false;
      s.dataset.run = "running";
      for (const w of busy) w.terminate();  // an older run's
      busy = [];
      const g = guidance();
      if (!state.points.length) { state.mixture = null; state.frames = []; show(0); status.textContent = "draw some points"; s.dataset.run = "done"; return; }
      const N = state.n, S = state.steps, mixture = mixtureFromPoints(state.points, state.classes);
      if (g && !core.classCount(mixture, g.cls)) {
        state.mixture = null; state.frames = []; show(0); s.dataset.run = "done";
        status.textContent = `brush ${g.cls} has no points: draw some with it, or set w = 0`;
        return;
      }
      const keep = Array.from(new Set(Array.from({length: FRAMES + 1}, (_, j) => frameOf(j))));
      const o = {points: state.points, classes: state.classes, n: N, steps: S, sampler: state.sampler, schedule: state.schedule,
        seed: state.seed, guidance: g, keep, paths: PATHS, prune: window.diffvizSandbox.prune};
      const began = performance.now();
      const words = `${N} points, ${samplerSel.selectedOptions[0].text}, ${S} steps${g ? `, w = ${g.w} towards brush ${g.cls}` : ""}`;
      const finish = (result, engine) => {
        if (token !== state.token) return;
        const frames = new Map(result.frames);
        Object.assign(state, {mixture, guidance: g, frames: Array.from({length: FRAMES + 1}, (_, j) => frames.get(frameOf(j))),
          times: result.times, paths: result.paths, done: true, engine, seconds: (performance.now() - began) / 1000});
        status.textContent = `${words}: ${state.seconds.toFixed(2)} s`;
        s.dataset.run = "done";
        s.dataset.engine = engine;
        c.set(c.value, true);
      };
      const failed = (message) => {
        if (token !== state.token) return;
        state.mixture = null; state.frames = []; show(0);
        status.textContent = message; s.dataset.run = "done";
      };
      const slices = () => {
        const it = viewRun(o);
        const slice = () => {
          if (token !== state.token) return;
          const until = performance.now() + 20;
          let r;
          try { do r = it.next(); while (!r.done && performance.now() < until); } catch (err) { failed(err.message); return; }
          if (!r.done) { status.textContent = `sampling… ${Math.round((100 * (r.value + 1)) / S)}%`; soon(slice); return; }
          finish(r.value, "slices");
        };
        slice();
      };
      const W = Math.max(1, Math.min(WORKERS, Math.floor(N / 100)));
      const team = workerFails || !window.diffvizSandbox.useWorker ? null : hire(W);
      if (!team) { slices(); return; }
      busy = team;
      const parts = new Array(W), shares = new Array(W).fill(0);
      let left = W;
      team.forEach((w, k) => {
        const from = Math.floor((k * N) / W), to = Math.floor(((k + 1) * N) / W);
        w.onmessage = (e) => {
          if (token !== state.token) return;
          const d = e.data;
          if (d.progress !== undefined) {
            shares[k] = d.progress;
            status.textContent = `sampling… ${Math.round((100 * shares.reduce((a, b) => a + b, 0)) / W)}%`;
          } else if (d.error) {
            for (const v of team) v.terminate();
            busy = [];
            failed(d.error);
          } else if (d.result) {
            parts[k] = {from, to, ...d.result};
            if (--left) return;
            busy = [];
            idle.push(...team);
            const frames = parts[0].frames.map(([i]) => [i, new Float32Array(2 * N)]);
            for (const part of parts) part.frames.forEach(([, x], f) => frames[f][1].set(x, 2 * part.from));
            finish({frames, times: parts[0].times, paths: parts[0].paths}, W > 1 ? `${W} workers` : "worker");
          }
        };
        w.onerror = (e) => {  // a page that may not run workers: slices from now on
          e.preventDefault();
          for (const v of team) v.terminate();
          busy = [];
          if (token !== state.token) return;
          workerFails = true;
          slices();
        };
        w.postMessage({...o, from, to});
      });
    }

    const c = control(s, {id: "sandbox", label: "step", max: FRAMES, fieldLabel: "step", toField: frameOf,
      fromField: (i) => Math.round((i * FRAMES) / state.steps), onChange: show});
    s.insertBefore(c.slider.parentNode, canvas.closest(".panels"));
    c.set(FRAMES, true);

    function readSettings() {
      const w = Number(wInput.value);
      Object.assign(state, {n: Number(nSel.value), sampler: samplerSel.value, steps: Number(stepsSel.value), schedule: schedSel.value,
        brush: Number(brushSel.value), cls: Number(classSel.value), w: Number.isFinite(w) && wInput.value !== "" ? w : 0});
      schedSel.disabled = state.sampler === "euler";
      wInput.disabled = classSel.disabled = state.sampler === "euler";  // Python guides DDPM and DDIM
    }
    function settingsChanged() {
      readSettings();
      rerun();
      remember();
    }
    for (const node of [nSel, samplerSel, stepsSel, schedSel, classSel, wInput]) node.addEventListener("change", settingsChanged);
    brushSel.addEventListener("change", () => { readSettings(); show(c.value); });
    const usePreset = (name) => { state.points = P[name].points.map(round2); state.classes = P[name].classes.slice(); state.preset = name; };
    const useWord = (text) => {
      state.word = word.value = cleanWord(text);
      state.points = wordPoints(state.word);
      state.classes = new Array(state.points.length / 2).fill(0);
      state.preset = preset.value = "word";
    };
    preset.addEventListener("change", () => {
      if (P[preset.value]) usePreset(preset.value);
      else if (preset.value === "word") useWord(word.value || "diffusion");
      settingsChanged();
    });
    word.addEventListener("change", () => { useWord(word.value); settingsChanged(); });
    clear.addEventListener("click", () => { state.points = []; state.classes = []; state.preset = preset.value = "drawn"; settingsChanged(); });
    save.addEventListener("click", () => {
      const a = el("a", {href: URL.createObjectURL(new Blob([drawingJson(state.points, state.classes)], {type: "application/json"})),
        download: "drawing.json"});
      document.body.append(a);
      a.click();
      a.remove();
      setTimeout(() => URL.revokeObjectURL(a.href), 10000);
      status.textContent = `saved drawing.json (${state.points.length / 2} points): record it with ` +
        "diffviz cache build toy --model mixture:drawing.json";
    });

    // A saved drawing loaded back: its points and brushes replace the drawing (the file holds no settings); a file
    // that is not a drawing leaves it as it is and says why in the status line.
    load.addEventListener("change", async () => {
      const file = load.files && load.files[0];
      if (!file) return;
      try {
        const bytes = file.size > MAX_BYTES ? new Uint8Array(0) : new Uint8Array(await file.arrayBuffer());
        const loaded = readDrawing(bytes, file.name, file.size);
        state.points = loaded.points;
        state.classes = loaded.classes;
        state.preset = preset.value = "drawn";
        settingsChanged();
      } catch (err) {
        status.textContent = err.message;
        s.dataset.loaded = "refused";
        return;
      } finally {
        load.value = "";  // the same file may be loaded again
      }
      s.dataset.loaded = file.name;
    });

    // Drawing with the mouse, a pen or a finger: a point every 0.04 along a stroke; erasing within 0.08.
    const drawn = () => { state.preset = preset.value = "drawn"; };
    const place = (x, y) => {
      const L = state.points.length;
      if (Math.abs(x) > LIMIT || Math.abs(y) > LIMIT || L >= 2 * MAX_POINTS) return false;
      state.points.push(round2(x), round2(y));
      state.classes.push(state.brush);
      drawn();
      return true;
    };
    const eraseNear = (x, y, within) => {
      let best = -1, bestD = within;
      for (let k = 0; k < state.points.length; k += 2) {
        const d = Math.hypot(state.points[k] - x, state.points[k + 1] - y);
        if (d <= bestD) { best = k; bestD = d; }
      }
      if (best < 0) return false;
      state.points.splice(best, 2);
      state.classes.splice(best / 2, 1);
      drawn();
      return true;
    };
    let drawing = false;
    const at = (e) => {
      const r = canvas.getBoundingClientRect();
      return [((e.clientX - r.left) / r.width) * 2 * EXTENT - EXTENT, EXTENT - ((e.clientY - r.top) / r.height) * 2 * EXTENT];
    };
    const touch = (e) => {
      const [x, y] = at(e);
      if (erase.checked) {
        while (eraseNear(x, y, 0.08));
      } else {
        const L = state.points.length;
        if (L && Math.hypot(state.points[L - 2] - x, state.points[L - 1] - y) < 0.04) return;
        place(x, y);
      }
      show(c.value);
    };
    canvas.addEventListener("pointerdown", (e) => { drawing = true; canvas.setPointerCapture(e.pointerId); touch(e); });
    canvas.addEventListener("pointermove", (e) => { if (drawing) touch(e); });
    const end = () => { if (drawing) { drawing = false; settingsChanged(); } };
    canvas.addEventListener("pointerup", end);
    canvas.addEventListener("pointercancel", end);
    // ... and with the keyboard: arrows move the cursor (by 0.04; 0.2 with Shift), Enter or Space places a point
    // with the brush, Delete or Backspace erases the point nearest the cursor.
    canvas.addEventListener("keydown", (e) => {
      if (e.altKey || e.ctrlKey || e.metaKey) return;
      const move = {ArrowLeft: [-1, 0], ArrowRight: [1, 0], ArrowUp: [0, 1], ArrowDown: [0, -1]}[e.key];
      let edited = false;
      if (move) {
        const d = e.shiftKey ? 5 * NUDGE : NUDGE;
        state.cursor = state.cursor.map((v, i) => round2(Math.max(-LIMIT, Math.min(LIMIT, v + d * move[i]))));
      } else if (e.key === "Enter" || e.key === " ") {
        edited = place(...state.cursor);
      } else if (e.key === "Delete" || e.key === "Backspace") {
        edited = eraseNear(...state.cursor, Infinity);
      } else {
        return;
      }
      e.preventDefault();
      e.stopPropagation();  // not the explorer's arrow keys, which step the slider
      if (edited) settingsChanged(); else show(c.value);
    });
    canvas.addEventListener("focus", () => show(c.value));
    canvas.addEventListener("blur", () => show(c.value));

    let started = false;
    window.diffvizSandbox.state = state;  // for the tests: the drawing and settings the view holds
    return {
      control: c,
      redraw: () => show(c.value),
      go(p) {
        let changed = !started;
        started = true;
        const pairs = [[nSel, p.n], [samplerSel, p.sampler], [stepsSel, p.steps], [schedSel, p.schedule], [classSel, p.class]];
        for (const [node, v] of pairs) {
          if (v !== undefined && node.value !== v && [...node.options].some((o) => o.value === v)) { node.value = v; changed = true; }
        }
        if (p.w !== undefined && Number.isFinite(Number(p.w)) && Number(p.w) !== state.w) { wInput.value = String(Number(p.w)); changed = true; }
        if (p.p !== undefined) {
          state.points = decode(p.p);
          state.classes = decodeClasses(p.c, state.points.length / 2);
          state.preset = preset.value = "drawn";
          changed = true;
        } else if (p.word !== undefined && (state.preset !== "word" || cleanWord(p.word) !== state.word)) {
          useWord(p.word);
          changed = true;
        } else if (p.preset !== undefined && P[p.preset] && p.preset !== state.preset) {
          usePreset(p.preset); preset.value = p.preset; changed = true;
        }
        readSettings();
        if (changed) rerun();
        c.set(p.frame !== undefined ? Number(p.frame) : c.value, true);
      },
      hash: () => {
        const drawing = state.preset === "drawn" ? `p=${encode(state.points)}` + (state.classes.some((v) => v) ? `/c=${encodeClasses(state.classes)}` : "")
          : state.preset === "word" ? `word=${state.word}` : `preset=${encodeURIComponent(state.preset)}`;
        const guided = state.w !== 0 ? `/class=${state.cls}/w=${state.w}` : "";
        return `${drawing}/n=${state.n}/sampler=${state.sampler}/steps=${state.steps}/schedule=${state.schedule}${guided}/frame=${c.value}`;
      },
      state,
    };
  }

  window.diffvizSandbox = {mixtureFromPoints, alphaBar, posteriorMean, timesteps, sample, gaussians, encode, decode,
    encodeClasses, decodeClasses, wordPoints, drawingJson, readDrawing, stray, spread, view, MAX_POINTS, LIMIT, FORMAT, VERSION,
    PRUNE: core.PRUNE, useWorker: true, prune: undefined};
})();
