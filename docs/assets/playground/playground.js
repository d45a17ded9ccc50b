// The playground widget: fills each <div class="playground" data-query="..."> with controls,
// the network, its decision regions and the loss curves. Training runs in a Web Worker
// (trainer.js, beside this file), so the page never waits for it; this script only draws.
"use strict";
(function () {
  const script = document.currentScript && document.currentScript.src;
  const trainerUrl = script ? script.replace(/playground\.js(\?.*)?$/, "trainer.js") : "trainer.js";
  const SVG = "http://www.w3.org/2000/svg";
  const CHOICES = {
    data: [["xor", "XOR"], ["circles", "Two circles"], ["spirals", "Two spirals"], ["gauss", "Two clusters (linearly separable)"]],
    noise: ["0", "0.05", "0.1", "0.2"],
    layers: ["0", "1", "2", "3"],
    lr: ["0.001", "0.003", "0.01", "0.03", "0.1", "0.3", "1"],
    batch: ["1", "5", "10", "20", "50", "100"],
    l2: ["0", "0.0001", "0.001", "0.01", "0.1"],
    keep: ["1", "0.9", "0.8", "0.5"],
    opt: [["sgd", "SGD"], ["adam", "Adam"]],
  };
  const LABELS = { data: "Data", seed: "Seed", noise: "Noise", layers: "Hidden layers",
                   lr: "Learning rate", batch: "Batch size", l2: "L2", keep: "keep_prob",
                   opt: "Optimizer" };
  // A link's setting is read and written by trainer.js's own functions (loaded just before
  // this script), so the widget and its worker cannot read a link differently.
  const { parseQuery, toQuery, toKeras } = self.PlaygroundTrainer;

  function element(tag, attributes, parent) {
    const e = document.createElement(tag);
    for (const [k, v] of Object.entries(attributes || {})) {
      if (k === "text") e.textContent = v; else e.setAttribute(k, v);
    }
    if (parent) parent.appendChild(e);
    return e;
  }

  // A colour CSS defines (any syntax), as [r, g, b], read through a probe element.
  function colour(root, variable) {
    const probe = element("span", { style: `color: var(${variable})`, hidden: "" }, root);
    const rgb = getComputedStyle(probe).color.match(/[\d.]+/g).map(Number);
    probe.remove();
    return rgb.slice(0, 3);
  }
  const mix = (a, b, t) => [0, 1, 2].map((k) => Math.round(a[k] + (b[k] - a[k]) * t));

  let count = 0;

  class Playground {
    constructor(root, useUrl) {
      this.root = root;
      this.id = `pg${count++}`;
      this.useUrl = useUrl;
      const own = root.getAttribute("data-query") || "";
      this.setting = parseQuery(useUrl && new URLSearchParams(location.search).has("data") ? location.search : own);
      root.textContent = "";
      this.build();
      this.worker = new Worker(trainerUrl);
      this.worker.onmessage = ({ data }) => this.receive(data);
      this.playing = false;
      this.announced = -1;
      new MutationObserver(() => this.repaint()).observe(document.body, { attributes: true, attributeFilter: ["data-md-color-scheme"] });
      let width = 0; // lay the network out again when the page's width changes (a phone turned)
      addEventListener("resize", () => {
        if (this.net.parentElement.clientWidth !== width) { width = this.net.parentElement.clientWidth; this.repaint(); }
      });
      this.reset();
    }

    build() {
      const r = this.root, id = this.id;
      const form = element("form", { class: "pg-controls", "aria-label": "Playground settings" }, r);
      form.addEventListener("submit", (e) => e.preventDefault());
      this.inputs = {};
      const field = (name, control) => {
        const label = element("label", { for: `${id}-${name}` }, form);
        element("span", { text: LABELS[name] || name }, label);
        control.id = `${id}-${name}`;
        label.appendChild(control);
        this.inputs[name] = control;
        control.addEventListener("change", () => this.changed());
        return control;
      };
      const select = (name) => {
        const s = element("select");
        for (const c of CHOICES[name]) {
          const [value, text] = Array.isArray(c) ? c : [c, c];
          element("option", { value, text }, s);
        }
        return field(name, s);
      };
      select("data");
      field("seed", element("input", { type: "number", min: "0", max: "99999", step: "1" }));
      select("noise");
      select("layers");
      for (let l = 0; l < 3; l++) {
        LABELS[`units${l}`] = `Layer ${l + 1} ReLUs`;
        field(`units${l}`, element("input", { type: "number", min: "1", max: "8", step: "1" }));
      }
      for (const name of ["lr", "batch", "l2", "keep", "opt"]) select(name);

      const buttons = element("div", { class: "pg-buttons" }, r);
      this.play = element("button", { type: "button", class: "md-button md-button--primary", text: "Play" }, buttons);
      this.step = element("button", { type: "button", class: "md-button", text: "Step" }, buttons);
      this.resetButton = element("button", { type: "button", class: "md-button", text: "Reset" }, buttons);
      this.kerasButton = element("button", { type: "button", class: "md-button", text: "Show as Keras",
                                             "aria-expanded": "false", "aria-controls": `${id}-keras` }, buttons);
      this.link = element("a", { class: "pg-link", text: "Link to this setting" }, buttons);
      this.play.addEventListener("click", () => this.toggle());
      this.kerasButton.addEventListener("click", () => this.showKeras(this.keras.hidden));
      this.step.addEventListener("click", () => { this.pause(); this.worker.postMessage({ type: "step" }); });
      this.resetButton.addEventListener("click", () => this.reset());

      const views = element("div", { class: "pg-views" }, r);
      this.net = element("div", { class: "pg-net", role: "img" }, views);
      const side = element("div", { class: "pg-side" }, views);
      this.regions = element("canvas", { class: "pg-regions", width: "240", height: "240", role: "img" }, side);
      this.loss = element("canvas", { class: "pg-loss", width: "240", height: "80", role: "img",
                                       "aria-label": "Training loss (solid) and test loss (dashed) over the steps" }, side);
      element("p", { class: "pg-legend", text: "Loss: training (solid), test (dashed)" }, side);
      this.status = element("p", { class: "pg-status" }, r);
      this.live = element("p", { class: "pg-live", "aria-live": "polite", role: "status" }, r);
      // "Show as Keras": the setting as Keras 3 code, written by trainer.js's toKeras
      this.keras = element("div", { class: "pg-keras", id: `${id}-keras`, hidden: "" }, r);
      const bar = element("p", { text: "This setting as Keras 3 code, as many epochs as the steps taken here:" }, this.keras);
      const copy = element("button", { type: "button", class: "md-button", text: "Copy" }, bar);
      this.code = element("code", {}, element("pre", { tabindex: "0" }, this.keras));
      copy.addEventListener("click", () => {
        const select = () => getSelection().selectAllChildren(this.code); // then Ctrl-C copies it
        if (!navigator.clipboard) return select();
        navigator.clipboard.writeText(this.code.textContent).then(() => { copy.textContent = "Copied"; }, select);
      });
      this.show();
    }

    showKeras(open) {
      this.keras.hidden = !open;
      this.kerasButton.textContent = open ? "Hide Keras" : "Show as Keras";
      this.kerasButton.setAttribute("aria-expanded", String(open));
      this.shownStep = -1;
      if (this.frame) this.draw();
    }

    // The controls show this.setting.
    show() {
      const s = this.setting, i = this.inputs;
      i.data.value = s.data; i.seed.value = s.seed;
      i.layers.value = String(s.hidden.length);
      for (let l = 0; l < 3; l++) {
        i[`units${l}`].value = s.hidden[l] || 4;
        i[`units${l}`].parentElement.hidden = l >= s.hidden.length;
      }
      for (const name of ["noise", "lr", "batch", "l2", "keep", "opt"]) {
        const value = String(s[name]);
        if (![...i[name].options].some((o) => o.value === value)) element("option", { value, text: value }, i[name]);
        i[name].value = value;
      }
    }

    changed() {
      const i = this.inputs, layers = Number(i.layers.value), hidden = [];
      for (let l = 0; l < layers; l++) hidden.push(Math.min(8, Math.max(1, Math.round(Number(i[`units${l}`].value) || 1))));
      // by the link's rules: the controls ask for nothing a link cannot
      this.setting = parseQuery(toQuery(Object.assign({}, this.setting, {
        data: i.data.value, seed: Math.max(0, Math.round(Number(i.seed.value) || 0)), noise: Number(i.noise.value),
        hidden, lr: Number(i.lr.value), batch: Number(i.batch.value), l2: Number(i.l2.value),
        keep: Number(i.keep.value), opt: i.opt.value })));
      this.show();
      // the URL holds the setting, so that a link to it reproduces this run
      if (this.useUrl) history.replaceState(null, "", `?${toQuery(this.setting)}#${this.root.id}`);
      this.reset();
    }

    reset() {
      this.pause();
      const query = toQuery(this.setting);
      this.link.href = `?${query}#${this.root.id || ""}`;
      this.frame = null;
      this.layout();
      this.worker.postMessage({ type: "reset", setting: this.setting });
    }

    toggle() {
      if (this.playing) this.pause();
      else {
        this.playing = true;
        this.play.textContent = "Pause";
        this.worker.postMessage({ type: "play" });
      }
    }

    pause() {
      if (this.playing) this.worker.postMessage({ type: "pause" });
      this.playing = false;
      this.play.textContent = "Play";
    }

    // The network: a column of nodes per layer, each a small canvas of its own region,
    // joined by one line per weight.
    layout() {
      const sizes = [2, ...this.setting.hidden, 2], net = this.net;
      net.textContent = "";
      const node = 36, gap = 8, width = Math.max(200, Math.min(net.parentElement.clientWidth || 320, 360));
      const height = Math.max(...sizes) * (node + gap);
      net.style.height = `${height}px`;
      const x = (l) => 4 + (l * (width - node - 8)) / (sizes.length - 1);
      const y = (l, j) => (height - sizes[l] * (node + gap)) / 2 + j * (node + gap) + gap / 2;
      const svg = document.createElementNS(SVG, "svg");
      svg.setAttribute("width", width);
      svg.setAttribute("height", height);
      svg.setAttribute("aria-hidden", "true");
      net.appendChild(svg);
      this.lines = [];
      for (let l = 0; l + 1 < sizes.length; l++) {
        for (let i = 0; i < sizes[l]; i++) {
          for (let j = 0; j < sizes[l + 1]; j++) {
            const line = document.createElementNS(SVG, "line");
            line.setAttribute("x1", x(l) + node);
            line.setAttribute("y1", y(l, i) + node / 2);
            line.setAttribute("x2", x(l + 1));
            line.setAttribute("y2", y(l + 1, j) + node / 2);
            svg.appendChild(line);
            this.lines.push(line);
          }
        }
      }
      this.units = [];
      sizes.forEach((size, l) => {
        for (let j = 0; j < size; j++) {
          const last = l + 1 === sizes.length;
          const name = l === 0 ? `input x${j + 1}` : last ? `output: class ${j}` : `layer ${l} unit ${j + 1}`;
          const c = element("canvas", { width: "20", height: "20", class: last ? "pg-out" : l === 0 ? "pg-in" : "pg-unit", title: name }, net);
          c.style.left = `${x(l)}px`;
          c.style.top = `${y(l, j)}px`;
          if (l > 0 && !last) this.units.push(c);
          if (l === 0) this.paintInput(c, j);
          if (last) c.classList.add(j ? "pg-class1" : "pg-class0");
        }
      });
      net.style.width = `${width}px`;
      const described = this.setting.hidden.length ? `${this.setting.hidden.length} hidden layer(s) of ${this.setting.hidden.join(", ")} ReLUs` : "no hidden layer (the linear model)";
      net.setAttribute("aria-label", `Network: 2 inputs, ${described}, 2 outputs. Lines show the weights: width for size, colour for sign.`);
    }

    colours() {
      return { bg: colour(this.root, "--md-default-bg-color"), fg: colour(this.root, "--md-default-fg-color"),
               pos: colour(this.root, "--pg-class1"), neg: colour(this.root, "--pg-class0"),
               muted: colour(this.root, "--md-default-fg-color--light") };
    }

    paintInput(canvas, j) {
      const c = this.colours(), ctx = canvas.getContext("2d"), image = ctx.createImageData(20, 20);
      for (let r = 0; r < 20; r++) {
        for (let k = 0; k < 20; k++) {
          const v = ((j === 0 ? k : 19 - r) + 0.5) / 10 - 1;
          const rgb = mix(c.bg, v > 0 ? c.pos : c.neg, Math.abs(v) * 0.7);
          image.data.set([...rgb, 255], 4 * (r * 20 + k));
        }
      }
      ctx.putImageData(image, 0, 0);
    }

    receive(message) {
      if (message.type === "data") this.data = message;
      else if (message.type === "rejected") this.status.textContent = `The trainer refused the setting: ${message.problem}`;
      else if (message.type === "frame") {
        this.frame = message;
        if (!this.pending) {
          this.pending = true;
          requestAnimationFrame(() => { this.pending = false; this.draw(); });
        }
      }
    }

    repaint() {
      if (!this.frame) return;
      this.layout();
      this.draw();
    }

    draw() {
      const f = this.frame, c = this.colours();
      if (!f || !this.data) return;
      // decision regions and the data
      const off = document.createElement("canvas");
      off.width = off.height = f.grid;
      const octx = off.getContext("2d"), image = octx.createImageData(f.grid, f.grid);
      for (let k = 0; k < f.probability.length; k++) {
        const v = 2 * f.probability[k] - 1;
        image.data.set([...mix(c.bg, v > 0 ? c.pos : c.neg, Math.abs(v) * 0.65), 255], 4 * k);
      }
      octx.putImageData(image, 0, 0);
      const ctx = this.regions.getContext("2d"), size = this.regions.width, e = this.data.extent;
      ctx.imageSmoothingEnabled = true;
      ctx.drawImage(off, 0, 0, size, size);
      const d = this.data.train;
      for (let i = 0; i < d.n; i++) {
        const px = ((d.x[2 * i] + e) / (2 * e)) * size, py = ((e - d.x[2 * i + 1]) / (2 * e)) * size;
        ctx.beginPath();
        ctx.arc(px, py, 3, 0, 2 * Math.PI);
        ctx.fillStyle = `rgb(${(d.y[i] ? c.pos : c.neg).join(",")})`;
        ctx.fill();
        ctx.lineWidth = 1;
        ctx.strokeStyle = `rgb(${c.bg.join(",")})`;
        ctx.stroke();
      }
      const pct = (v) => `${(100 * v).toFixed(1)} %`;
      this.regions.setAttribute("aria-label", `Decision regions after ${f.step} steps: test accuracy ${pct(f.test.accuracy)}`);
      // each hidden unit's own region: where its ReLU is active, and how strongly
      f.units.forEach((values, u) => {
        const canvas = this.units[u];
        if (!canvas) return;
        const g = f.unitGrid, uctx = canvas.getContext("2d"), img = uctx.createImageData(g, g);
        let top = 0;
        for (const v of values) top = Math.max(top, v);
        for (let k = 0; k < values.length; k++) {
          img.data.set([...mix(c.bg, c.pos, top > 0 ? (values[k] / top) * 0.85 : 0), 255], 4 * k);
        }
        uctx.putImageData(img, 0, 0);
      });
      // the weights
      let k = 0, biggest = 1e-9;
      for (const w of f.w) for (const v of w) biggest = Math.max(biggest, Math.abs(v));
      for (const w of f.w) {
        for (const v of w) {
          const line = this.lines[k++];
          if (!line) continue;
          line.setAttribute("stroke-width", (0.5 + (4 * Math.abs(v)) / biggest).toFixed(2));
          line.setAttribute("class", v >= 0 ? "pg-pos" : "pg-neg");
        }
      }
      // the losses
      const lctx = this.loss.getContext("2d"), W = this.loss.width, H = this.loss.height;
      lctx.clearRect(0, 0, W, H);
      const h = f.history, last = Math.max(1, h[h.length - 1][0]);
      let top = 0.1;
      for (const [, a, b] of h) top = Math.max(top, Math.min(a, 2), Math.min(b, 2));
      [[1, []], [2, [4, 3]]].forEach(([column, dash]) => {
        lctx.beginPath();
        lctx.setLineDash(dash);
        h.forEach((row, i) => {
          const px = (row[0] / last) * (W - 2) + 1, py = H - 1 - (Math.min(row[column], top) / top) * (H - 2);
          if (i) lctx.lineTo(px, py); else lctx.moveTo(px, py);
        });
        lctx.strokeStyle = `rgb(${c.fg.join(",")})`;
        lctx.lineWidth = 1.5;
        lctx.stroke();
      });
      const text = `Step ${f.step}: training loss ${f.train.loss.toFixed(3)}, test loss ${f.test.loss.toFixed(3)}, ` +
        `training accuracy ${pct(f.train.accuracy)}, test accuracy ${pct(f.test.accuracy)}`;
      this.status.textContent = text;
      // the code follows the step count whenever training stops
      if (!this.keras.hidden && !f.playing && f.step !== this.shownStep) {
        this.shownStep = f.step;
        this.code.textContent = toKeras(this.setting, f.step);
        this.keras.querySelector("button").textContent = "Copy";
      }
      // say it aloud when the reader stops or steps, and every 500 steps while playing
      const milestone = Math.floor(f.step / 500);
      if (!f.playing || milestone !== this.announced) {
        this.announced = milestone;
        this.live.textContent = text;
      }
    }
  }

  const running = [];
  function start(root) {
    // with Material's instant navigation, a widget of the page left behind stops training
    for (const p of running.splice(0)) {
      if (document.body.contains(p.root)) running.push(p); else p.worker.terminate();
    }
    for (const element of root.querySelectorAll(".playground:not([data-started])")) {
      element.setAttribute("data-started", "");
      running.push(new Playground(element, element.id === "playground"));
    }
  }
  if (typeof document$ !== "undefined") document$.subscribe(({ body }) => start(body));
  else if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", () => start(document.body));
  else start(document.body);
})();
