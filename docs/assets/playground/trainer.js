// The playground's trainer: toy data, a small ReLU network, softmax cross-entropy, backprop,
// SGD or Adam. Plain float64 JavaScript with one seeded integer PRNG (mulberry32), so that
// its Python twin (snippets/playground.py, written with TensorFlow) makes the same run from
// the same setting. It runs in a Web Worker (the widget), and under Node (the tests).
"use strict";
(function () {
  const EXTENT = 1.3; // the square the regions are drawn on: [-EXTENT, EXTENT]^2
  const STREAMS = { data: 1, init: 2, batches: 3, dropout: 4 };

  // cos and log from + - * / alone: Math.cos and Math.log may differ from Python's in the
  // last bit, these cannot (the twin has the same loops).
  function cos(x) {
    x -= 2 * Math.PI * Math.floor(x / (2 * Math.PI) + 0.5); // now in [-pi, pi]
    const x2 = x * x;
    let term = 1, sum = 0;
    for (let k = 1; k <= 40; k += 2) { sum += term; term *= -x2 / (k * (k + 1)); }
    return sum;
  }
  const sin = (x) => cos(x - Math.PI / 2);
  function log(u) { // u > 0
    let k = 0;
    while (u < 0.5) { u *= 2; k++; }
    while (u > 1) { u /= 2; k--; }
    const z = (u - 1) / (u + 1), z2 = z * z;
    let term = z, sum = 0;
    for (let n = 1; n <= 41; n += 2) { sum += term / n; term *= z2; }
    return 2 * sum - k * 0.6931471805599453;
  }

  // mulberry32: 32-bit integer steps, a float in [0, 1) from each.
  function random(seed, stream) {
    let a = (Math.imul(seed >>> 0, 0x9e3779b1) + stream) >>> 0;
    const next = () => {
      a = (a + 0x6d2b79f5) >>> 0;
      let t = Math.imul(a ^ (a >>> 15), 1 | a);
      t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
      return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
    };
    // Box-Muller, one normal per two uniforms.
    next.normal = () => {
      const u = 1 - next(), v = next();
      return Math.sqrt(-2 * log(u)) * cos(2 * Math.PI * v);
    };
    return next;
  }

  const DEFAULTS = { data: "xor", seed: 0, noise: 0, points: 200, hidden: [], lr: 0.03,
                     batch: 10, l2: 0, keep: 1, opt: "sgd" };

  // A setting from a link ("data=xor&hidden=2,2&..."), which anyone can write: our own keys
  // only (not constructor), whole numbers for counts and widths, finite ones for the rest,
  // clamped to ranges the trainer stays finite in. playground.js reads links with these too.
  const DATA = ["xor", "circles", "spirals", "gauss"], WHOLE = /^\d+$/;
  function parseQuery(query) {
    const s = Object.assign({}, DEFAULTS, { hidden: [] });
    for (const [key, value] of new URLSearchParams(query)) {
      if (!Object.hasOwn(DEFAULTS, key)) continue;
      if (key === "hidden") s.hidden = value.split(",").filter((u) => WHOLE.test(u) && u >= 1 && u <= 8).map(Number).slice(0, 3);
      else if (key === "data" || key === "opt") s[key] = value;
      else if (["seed", "points", "batch"].includes(key) ? WHOLE.test(value) : value.trim() && Number.isFinite(Number(value))) s[key] = Number(value);
    }
    const clamp = (v, low, high) => Math.min(high, Math.max(low, v));
    if (!DATA.includes(s.data)) s.data = DEFAULTS.data;
    if (s.opt !== "adam") s.opt = "sgd";
    s.seed = Math.min(s.seed, 4294967295);
    s.points = clamp(s.points, 10, 1000);
    s.batch = clamp(s.batch, 1, s.points);
    s.noise = clamp(s.noise, 0, 1);
    s.lr = s.lr > 0 ? Math.min(s.lr, 1) : DEFAULTS.lr;
    s.l2 = clamp(s.l2, 0, 0.1); // lr * l2 < 2, or the decay alone diverges
    s.keep = s.keep > 0 ? clamp(s.keep, 0.1, 1) : 1;
    return s;
  }

  // What is wrong with a setting sent to the worker ("" if nothing): the same ranges.
  function checkSetting(s) {
    const whole = (v, low, high) => Number.isInteger(v) && v >= low && v <= high;
    const real = (v, low, high) => typeof v === "number" && v >= low && v <= high; // not NaN
    if (s === null || typeof s !== "object" || Array.isArray(s)) return "a setting must be an object";
    const unknown = Object.keys(s).find((k) => !Object.hasOwn(DEFAULTS, k));
    if (unknown !== undefined) return `unknown key ${unknown}`;
    s = Object.assign({}, DEFAULTS, s);
    const bad = [["data", DATA.includes(s.data)], ["opt", s.opt === "sgd" || s.opt === "adam"],
      ["seed", whole(s.seed, 0, 4294967295)], ["points", whole(s.points, 10, 1000)],
      ["batch", whole(s.batch, 1, s.points)], ["noise", real(s.noise, 0, 1)],
      ["lr", real(s.lr, Number.MIN_VALUE, 1)], ["l2", real(s.l2, 0, 0.1)], ["keep", real(s.keep, 0.1, 1)],
      ["hidden", Array.isArray(s.hidden) && s.hidden.length <= 3 && s.hidden.every((u) => whole(u, 1, 8))]]
      .find(([, ok]) => !ok);
    return bad ? `${bad[0]} is out of range` : "";
  }

  function toQuery(s) {
    return `data=${s.data}&seed=${s.seed}&noise=${s.noise}&points=${s.points}` +
      `&hidden=${s.hidden.join(",")}&lr=${s.lr}&batch=${s.batch}&l2=${s.l2}` +
      `&keep=${s.keep}&opt=${s.opt}`;
  }

  // 2 * points points, alternately of class 0 and 1; those with bit 1 of their index clear
  // are for training, the others for testing.
  function makeData(s) {
    const rand = random(s.seed, STREAMS.data), n = 2 * s.points;
    const x = new Float64Array(2 * n), y = new Uint8Array(n);
    for (let i = 0; i < n; i++) {
      let label = i % 2, a, b;
      if (s.data === "xor") {
        a = 2 * rand() - 1; b = 2 * rand() - 1;
        a += a >= 0 ? 0.05 : -0.05; b += b >= 0 ? 0.05 : -0.05;
        label = a * b < 0 ? 1 : 0;
      } else if (s.data === "circles") {
        const r = label === 0 ? 0.5 * rand() : 0.7 + 0.3 * rand(), angle = 2 * Math.PI * rand();
        a = r * cos(angle); b = r * sin(angle);
      } else if (s.data === "spirals") {
        const t = Math.floor(i / 2) / s.points, r = 0.05 + 0.95 * t;
        const angle = 3.5 * Math.PI * t + label * Math.PI;
        a = r * sin(angle); b = r * cos(angle);
      } else if (s.data === "gauss") {
        const centre = label === 0 ? -0.45 : 0.45;
        a = centre + 0.25 * rand.normal(); b = centre + 0.25 * rand.normal();
      } else throw new Error(`unknown data set ${s.data}`);
      x[2 * i] = a + s.noise * (2 * rand() - 1);
      x[2 * i + 1] = b + s.noise * (2 * rand() - 1);
      y[i] = label;
    }
    const split = (train) => {
      const index = [];
      for (let i = 0; i < n; i++) if ((((i >> 1) & 1) === 0) === train) index.push(i);
      return { x: Float64Array.from(index.flatMap((i) => [x[2 * i], x[2 * i + 1]])),
               y: Uint8Array.from(index.map((i) => y[i])), n: index.length };
    };
    return { train: split(true), test: split(false) };
  }

  // Layer l maps sizes[l] inputs to sizes[l + 1] units: w[l][i * out + j], He-scaled normal.
  function initialWeights(s) {
    const sizes = [2, ...s.hidden, 2], rand = random(s.seed, STREAMS.init), w = [], b = [];
    for (let l = 0; l + 1 < sizes.length; l++) {
      const scale = Math.sqrt(2 / sizes[l]), weights = new Float64Array(sizes[l] * sizes[l + 1]);
      for (let k = 0; k < weights.length; k++) weights[k] = scale * rand.normal();
      w.push(weights);
      b.push(new Float64Array(sizes[l + 1]));
    }
    return { sizes, w, b };
  }

  // Forward pass of n rows; masks (one per hidden layer, n * units) scale kept units by
  // 1 / keep. Returns every layer's pre-activations z and outputs h (h[0] is x).
  function forward(net, x, n, masks) {
    const { sizes, w, b } = net, z = [], h = [x];
    for (let l = 0; l + 1 < sizes.length; l++) {
      const fanIn = sizes[l], out = sizes[l + 1], input = h[l];
      const pre = new Float64Array(n * out), post = new Float64Array(n * out);
      const last = l + 2 === sizes.length;
      for (let r = 0; r < n; r++) {
        for (let j = 0; j < out; j++) {
          let sum = 0;
          for (let i = 0; i < fanIn; i++) sum += input[r * fanIn + i] * w[l][i * out + j];
          const v = sum + b[l][j];
          pre[r * out + j] = v;
          post[r * out + j] = last ? v : (v > 0 ? v : 0) * (masks ? masks[l][r * out + j] : 1);
        }
      }
      z.push(pre);
      h.push(post);
    }
    return { z, h };
  }

  // Mean softmax cross-entropy over 2 classes, and its gradient with respect to the logits.
  function crossEntropy(logits, y, n) {
    let loss = 0, correct = 0;
    const grad = new Float64Array(2 * n);
    for (let r = 0; r < n; r++) {
      const a = logits[2 * r], c = logits[2 * r + 1], m = Math.max(a, c);
      const lse = m + Math.log(Math.exp(a - m) + Math.exp(c - m));
      loss += lse - (y[r] ? c : a);
      const p1 = Math.exp(c - lse);
      grad[2 * r] = (1 - p1 - (y[r] ? 0 : 1)) / n;
      grad[2 * r + 1] = (p1 - (y[r] ? 1 : 0)) / n;
      if ((c > a ? 1 : 0) === y[r]) correct++;
    }
    return { loss: loss / n, accuracy: correct / n, grad };
  }

  class Trainer {
    constructor(setting) {
      this.s = Object.assign({}, DEFAULTS, setting);
      this.data = makeData(this.s);
      this.net = initialWeights(this.s);
      this.batches = random(this.s.seed, STREAMS.batches);
      this.dropout = random(this.s.seed, STREAMS.dropout);
      this.order = [];
      this.position = Infinity;
      this.step = 0;
      const zeros = () => [...this.net.w, ...this.net.b].map((t) => new Float64Array(t.length));
      this.m = zeros();
      this.v = zeros();
    }

    // The next batch: consecutive slices of a permutation of the training set, reshuffled
    // (Fisher-Yates) when too few are left for a whole batch.
    nextBatch() {
      const n = this.data.train.n, size = Math.min(this.s.batch, n);
      if (this.position + size > n) {
        this.order = Array.from({ length: n }, (_, i) => i);
        for (let i = n - 1; i > 0; i--) {
          const j = Math.floor(this.batches() * (i + 1));
          [this.order[i], this.order[j]] = [this.order[j], this.order[i]];
        }
        this.position = 0;
      }
      const index = this.order.slice(this.position, this.position + size);
      this.position += size;
      return index;
    }

    // One training step; returns the batch's loss (cross-entropy plus L2).
    trainStep() {
      const { s, net } = this, index = this.nextBatch(), n = index.length, train = this.data.train;
      const x = new Float64Array(2 * n), y = new Uint8Array(n);
      index.forEach((k, r) => { x[2 * r] = train.x[2 * k]; x[2 * r + 1] = train.x[2 * k + 1]; y[r] = train.y[k]; });
      let masks = null;
      if (s.keep < 1) {
        masks = s.hidden.map((units) => {
          const mask = new Float64Array(n * units);
          for (let k = 0; k < mask.length; k++) mask[k] = this.dropout() < s.keep ? 1 / s.keep : 0;
          return mask;
        });
      }
      const { z, h } = forward(net, x, n, masks), layers = net.w.length;
      const ce = crossEntropy(h[layers], y, n);
      let delta = ce.grad, penalty = 0;
      const gw = [], gb = [];
      for (let l = layers - 1; l >= 0; l--) {
        const fanIn = net.sizes[l], out = net.sizes[l + 1], input = h[l];
        const dw = new Float64Array(fanIn * out), db = new Float64Array(out);
        for (let r = 0; r < n; r++) {
          for (let j = 0; j < out; j++) {
            const d = delta[r * out + j];
            db[j] += d;
            for (let i = 0; i < fanIn; i++) dw[i * out + j] += input[r * fanIn + i] * d;
          }
        }
        for (let k = 0; k < dw.length; k++) {
          dw[k] += s.l2 * net.w[l][k];
          penalty += net.w[l][k] * net.w[l][k];
        }
        gw[l] = dw;
        gb[l] = db;
        if (l > 0) { // back through the layer, its dropout mask and its ReLU
          const below = new Float64Array(n * fanIn);
          for (let r = 0; r < n; r++) {
            for (let i = 0; i < fanIn; i++) {
              let sum = 0;
              for (let j = 0; j < out; j++) sum += delta[r * out + j] * net.w[l][i * out + j];
              const k = r * fanIn + i;
              below[k] = z[l - 1][k] > 0 ? sum * (masks ? masks[l - 1][k] : 1) : 0;
            }
          }
          delta = below;
        }
      }
      this.update([...gw, ...gb]);
      this.step++;
      return ce.loss + (s.l2 * penalty) / 2;
    }

    // Keras 3's SGD (no momentum) and Adam, on float64 variables with a float32 learning rate.
    update(grads) {
      const params = [...this.net.w, ...this.net.b], lr = Math.fround(this.s.lr);
      if (this.s.opt === "adam") {
        // Keras casts beta_1 and beta_2 to the variable's dtype through a float32 tensor
        // for their powers, and uses them as Python floats in the moments' updates.
        const b1 = 0.9, b2 = 0.999, t = this.step + 1;
        const alpha = (lr * Math.sqrt(1 - Math.pow(Math.fround(b2), t))) /
          (1 - Math.pow(Math.fround(b1), t));
        params.forEach((p, q) => {
          const g = grads[q], m = this.m[q], v = this.v[q];
          for (let k = 0; k < p.length; k++) {
            m[k] += (g[k] - m[k]) * (1 - b1);
            v[k] += (g[k] * g[k] - v[k]) * (1 - b2);
            p[k] -= (m[k] * alpha) / (Math.sqrt(v[k]) + 1e-7);
          }
        });
      } else if (this.s.opt === "sgd") {
        params.forEach((p, q) => { for (let k = 0; k < p.length; k++) p[k] -= grads[q][k] * lr; });
      } else throw new Error(`unknown optimizer ${this.s.opt}`);
    }

    evaluate(part) {
      const d = this.data[part], { h } = forward(this.net, d.x, d.n, null);
      const { loss, accuracy } = crossEntropy(h[h.length - 1], d.y, d.n);
      return { loss, accuracy };
    }

    // The network on a size x size grid over the square: every layer's outputs, row by row
    // from the top (y = +EXTENT) down.
    grid(size) {
      const x = new Float64Array(2 * size * size);
      for (let r = 0; r < size; r++) {
        for (let c = 0; c < size; c++) {
          x[2 * (r * size + c)] = -EXTENT + ((c + 0.5) * 2 * EXTENT) / size;
          x[2 * (r * size + c) + 1] = EXTENT - ((r + 0.5) * 2 * EXTENT) / size;
        }
      }
      return forward(this.net, x, size * size, null).h;
    }

    // argmax class at each grid point (ties go to class 0, as argmax does).
    regions(size) {
      const h = this.grid(size), logits = h[h.length - 1], out = new Uint8Array(size * size);
      for (let k = 0; k < out.length; k++) out[k] = logits[2 * k + 1] > logits[2 * k] ? 1 : 0;
      return out;
    }
  }

  // The setting as Keras 3 code (TensorFlow Playground's users asked for this in its issue 39):
  // the same network, initialisation, loss, L2 term, optimiser and batch size, the setting's
  // own points (to 3 decimals), and as many epochs as `steps` steps make.
  function toKeras(s, steps) {
    const { train, test } = makeData(s), n = train.n, batch = Math.min(s.batch, n);
    const epochs = Math.max(1, Math.ceil(steps / Math.floor(n / batch)));
    const round = (v) => String(Number(v.toPrecision(12))); // 1 - 0.9 is 0.1, not 0.09999...
    const lines = ["# The playground's setting:"];
    for (const part of `?${toQuery(s)}`.split(/(?=&lr=)/)) lines.push(`# ${part}`);
    lines.push("import keras", "import numpy as np", "",
      "# He's initialisation from an untruncated normal, as the playground's",
      'he = keras.initializers.VarianceScaling(2.0, "fan_in", "untruncated_normal")');
    let options = "kernel_initializer=he";
    if (s.l2 > 0) {
      lines.push("# The playground adds l2 / 2 * sum(w**2) over every weight matrix;",
        "# Keras' L2(f) adds f * sum(w**2), so f = l2 / 2.", `l2 = keras.regularizers.L2(${s.l2} / 2)`);
      options += ", kernel_regularizer=l2";
    }
    lines.push("model = keras.Sequential([", "    keras.Input(shape=(2,)),");
    for (const units of s.hidden) {
      const dense = `keras.layers.Dense(${units}, activation="relu", ${options}),`;
      if (dense.length <= 75) lines.push(`    ${dense}`);
      else lines.push("    keras.layers.Dense(", `        ${units}, activation="relu", ${options}`, "    ),");
      if (s.keep < 1) lines.push(`    keras.layers.Dropout(${round(1 - s.keep)}),  # keep_prob ${s.keep}`);
    }
    lines.push("    # the output: two logits, the softmax is in the loss", `    keras.layers.Dense(2, ${options}),`, "])");
    const optimizer = s.opt === "adam" ? "Adam" : "SGD";
    lines.push("model.compile(", `    optimizer=keras.optimizers.${optimizer}(learning_rate=${s.lr}${Number.isInteger(s.lr) ? ".0" : ""}),`,
      "    loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True),",
      '    metrics=["accuracy"],', ")", "", `# The playground's points (seed ${s.seed}), to 3 decimals`);
    const rows = (values, per, format) => {
      const out = [];
      for (let k = 0; k < values.length; k += per) out.push(`    ${values.slice(k, k + per).map(format).join(", ")},`);
      return out;
    };
    for (const [name, part] of [["train", train], ["test", test]]) {
      const points = Array.from({ length: part.n }, (_, i) => [part.x[2 * i], part.x[2 * i + 1]]);
      lines.push(`x_${name} = np.array([`, ...rows(points, 4, (p) => `[${p.map((v) => v.toFixed(3)).join(", ")}]`), "])",
        `y_${name} = np.array([`, ...rows(Array.from(part.y), 20, String), "])");
    }
    const many = (k, what) => `${k} ${what}${k === 1 ? "" : "s"}`;
    lines.push("", `# ${many(steps, "step")} of ${batch} points: ${many(epochs, "epoch")} of ${n} points`);
    if (n % batch) lines.push(`# (Keras also trains on the last ${n % batch} of each epoch, the playground not)`);
    lines.push(
      "model.fit(", `    x_train, y_train, batch_size=${batch}, epochs=${epochs},`,
      "    validation_data=(x_test, y_test),", ")");
    return lines.join("\n").replace(/-0\.000\b/g, "0.000") + "\n";
  }

  const api = { cos, sin, log, random, parseQuery, checkSetting, toQuery, makeData, initialWeights, forward, crossEntropy,
                Trainer, EXTENT, DEFAULTS, toKeras };

  // In a Web Worker: train on request, post frames for the widget to draw.
  function serve() {
    const GRID = 40, UNIT_GRID = 20;
    let trainer = null, playing = false, timer = 0, history = [];
    const frame = () => {
      const train = trainer.evaluate("train"), test = trainer.evaluate("test");
      history.push([trainer.step, train.loss, test.loss]);
      if (history.length > 400) history = history.filter((_, i) => i % 2 === 0 || i === history.length - 1);
      const h = trainer.grid(GRID), out = h[h.length - 1];
      const probability = new Float32Array(GRID * GRID);
      for (let k = 0; k < probability.length; k++) probability[k] = 1 / (1 + Math.exp(out[2 * k] - out[2 * k + 1]));
      const small = trainer.grid(UNIT_GRID), units = [];
      for (let l = 1; l + 1 < small.length; l++) {
        const size = trainer.net.sizes[l];
        for (let j = 0; j < size; j++) {
          const values = new Float32Array(UNIT_GRID * UNIT_GRID);
          for (let k = 0; k < values.length; k++) values[k] = small[l][k * size + j];
          units.push(values);
        }
      }
      self.postMessage({ type: "frame", step: trainer.step, train, test, history, probability,
                         grid: GRID, unitGrid: UNIT_GRID, units, playing,
                         w: trainer.net.w.map((t) => Array.from(t)), sizes: trainer.net.sizes });
    };
    const run = () => {
      timer = 0;
      if (!playing) return;
      // a few steps per frame: quick enough to watch the regions move, not a blur
      for (let k = 0; k < 5; k++) trainer.trainStep();
      frame();
      timer = setTimeout(run, 16);
    };
    // The widget's four messages, a reset with a sound setting; others are rejected.
    self.onmessage = ({ data }) => {
      const type = data !== null && typeof data === "object" && Object.hasOwn(data, "type") ? data.type : null;
      const problem = !["reset", "play", "pause", "step"].includes(type) ? "unknown message"
        : type === "reset" ? checkSetting(data.setting) : trainer ? "" : "no setting yet";
      if (problem) {
        self.postMessage({ type: "rejected", problem });
      } else if (type === "reset") {
        trainer = new Trainer(data.setting);
        history = [];
        self.postMessage({ type: "data", train: trainer.data.train, test: trainer.data.test, extent: EXTENT });
        playing = false;
        frame();
      } else if (type === "play") {
        playing = true;
        if (!timer) run();
      } else if (type === "pause") {
        playing = false;
        frame();
      } else if (type === "step") {
        playing = false;
        trainer.trainStep();
        frame();
      }
    };
  }

  if (typeof module === "object" && module.exports) module.exports = api;
  else if (typeof WorkerGlobalScope !== "undefined" && self instanceof WorkerGlobalScope) serve();
  else self.PlaygroundTrainer = api; // a page: playground.js reads links with parseQuery
})();
