// The optimiser widget's paths: gradient descent, momentum and Adam on a loss surface of two
// weights, computed as Keras 3's SGD and Adam compute them (float64 weights, the learning
// rate, the momentum and the betas' powers rounded through float32 as Keras does). Its Python
// twin is snippets/optimisers.py; tests/test_optimisers.py runs this file under Node and
// compares the paths. It runs in a Web Worker (the widget), under Node (the tests), and in
// the page (widget.js reads links and draws the contours with it).
"use strict";
(function () {
  const EXTENT = 3; // the plot: [-EXTENT, EXTENT] on both axes
  // name: [a, b, c] of the loss (a x^2 + 2 b x y + c y^2) / 2
  const SURFACES = { bowl: [1, 0, 1], valley: [1, 0, 20], tilted: [10.5, -9.5, 10.5] };
  const OPTIMISERS = ["sgd", "momentum", "adam"];
  const DEFAULTS = { surface: "valley", opt: "sgd", lr: 0.09, momentum: 0.9, beta1: 0.9,
                     beta2: 0.999, x: -2.5, y: 1, steps: 100 };
  // The ranges a link is clamped to: every path they allow stays finite or leaves the plot.
  const RANGES = { lr: [1e-4, 5], momentum: [0, 0.99], beta1: [0, 0.99], beta2: [0.5, 0.9999],
                   x: [-EXTENT, EXTENT], y: [-EXTENT, EXTENT], steps: [1, 500] };

  const loss = (s, x, y) => { const [a, b, c] = SURFACES[s]; return (a * x * x + 2 * b * x * y + c * y * y) / 2; };
  const gradient = (s, x, y) => { const [a, b, c] = SURFACES[s]; return [a * x + b * y, b * x + c * y]; };
  const offPlot = (x, y) => !(Math.abs(x) <= EXTENT && Math.abs(y) <= EXTENT); // NaN is off too

  // A setting from a link ("surface=valley&opt=adam&lr=0.1&..."), which anyone can write:
  // our own keys only (Object.hasOwn, so not constructor or __proto__), finite numbers,
  // clamped to RANGES; steps a whole number.
  function parseQuery(query) {
    const s = Object.assign({}, DEFAULTS);
    for (const [key, value] of new URLSearchParams(query)) {
      if (!Object.hasOwn(DEFAULTS, key)) continue;
      if (key === "surface") { if (Object.hasOwn(SURFACES, value)) s.surface = value; }
      else if (key === "opt") { if (OPTIMISERS.includes(value)) s.opt = value; }
      else if (key === "steps") { if (/^\d{1,6}$/.test(value)) s.steps = Number(value); }
      else if (value.trim() && Number.isFinite(Number(value))) s[key] = Number(value);
    }
    for (const [key, [low, high]] of Object.entries(RANGES)) s[key] = Math.min(high, Math.max(low, s[key]));
    return s;
  }

  // What is wrong with a setting sent to the worker ("" if nothing).
  function checkSetting(s) {
    if (s === null || typeof s !== "object" || Array.isArray(s)) return "a setting must be an object";
    const unknown = Object.keys(s).find((k) => !Object.hasOwn(DEFAULTS, k));
    if (unknown !== undefined) return `unknown key ${unknown}`;
    if (!Object.hasOwn(s, "surface") || !Object.hasOwn(SURFACES, s.surface)) return "surface is unknown";
    if (!OPTIMISERS.includes(s.opt)) return "opt is unknown";
    for (const [key, [low, high]] of Object.entries(RANGES)) {
      const v = s[key];
      if (typeof v !== "number" || !(v >= low && v <= high)) return `${key} is out of range`;
    }
    if (!Number.isInteger(s.steps)) return "steps is out of range";
    return "";
  }

  const toQuery = (s) => Object.keys(DEFAULTS).map((k) => `${k}=${s[k]}`).join("&");

  // The path: the start, then the weights after each step, up to the first point off the
  // plot. Returns { x, y (Float64Arrays), left (the step that left the plot, or 0) }.
  function path(s) {
    const lr = Math.fround(s.lr), momentum = s.opt === "momentum" ? Math.fround(s.momentum) : 0;
    const b1 = Math.fround(s.beta1), b2 = Math.fround(s.beta2);
    const xs = new Float64Array(s.steps + 1), ys = new Float64Array(s.steps + 1);
    let x = s.x, y = s.y, m = [0, 0], v = [0, 0], left = 0, t = 1;
    xs[0] = x; ys[0] = y;
    for (; t <= s.steps; t++) {
      const g = gradient(s.surface, x, y), w = [x, y];
      if (s.opt === "adam") {
        const alpha = lr * Math.sqrt(1 - Math.pow(b2, t)) / (1 - Math.pow(b1, t));
        for (let k = 0; k < 2; k++) {
          m[k] += (g[k] - m[k]) * (1 - s.beta1);
          v[k] += (g[k] * g[k] - v[k]) * (1 - s.beta2);
          w[k] -= (m[k] * alpha) / (Math.sqrt(v[k]) + 1e-7);
        }
      } else {
        for (let k = 0; k < 2; k++) {
          m[k] = m[k] * momentum - g[k] * lr;
          w[k] += m[k];
        }
      }
      [x, y] = w;
      xs[t] = x; ys[t] = y;
      if (offPlot(x, y)) { left = t; break; }
    }
    const n = left ? left + 1 : s.steps + 1;
    return { x: xs.slice(0, n), y: ys.slice(0, n), left };
  }

  const api = { EXTENT, SURFACES, OPTIMISERS, DEFAULTS, RANGES, loss, gradient, parseQuery, checkSetting,
                toQuery, path };

  // In a Web Worker: a path for each sound setting, "rejected" for anything else.
  function serve() {
    self.onmessage = ({ data }) => {
      const setting = data !== null && typeof data === "object" && Object.hasOwn(data, "setting") ? data.setting : null;
      const problem = data !== null && typeof data === "object" && data.type === "path" ? checkSetting(setting) : "unknown message";
      if (problem) { self.postMessage({ type: "rejected", problem }); return; }
      const p = path(setting);
      const losses = Array.from(p.x, (x, i) => loss(setting.surface, x, p.y[i]));
      self.postMessage({ type: "path", x: p.x, y: p.y, left: p.left, losses, query: toQuery(setting) });
    };
  }

  if (typeof module === "object" && module.exports) module.exports = api;
  else if (typeof WorkerGlobalScope !== "undefined" && self instanceof WorkerGlobalScope) serve();
  else self.OptimiserPaths = api;
})();
