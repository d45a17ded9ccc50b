// The optimiser widget: fills each <div class="optimiser-widget" data-query="..."> with
// controls and a contour plot of the loss, and draws the path the chosen optimiser takes from
// the start the reader clicks. The paths come from a Web Worker running paths.js (beside this
// file, loaded just before it), which reads and writes links for the page too.
"use strict";
(function () {
  const script = document.currentScript && document.currentScript.src;
  const pathsUrl = script ? script.replace(/widget\.js(\?.*)?$/, "paths.js") : "paths.js";
  const { EXTENT, SURFACES, RANGES, loss, parseQuery, toQuery } = self.OptimiserPaths;
  const CHOICES = {
    surface: [["bowl", "Round bowl"], ["valley", "Narrow valley"], ["tilted", "Tilted valley"]],
    opt: [["sgd", "SGD"], ["momentum", "SGD with momentum"], ["adam", "Adam"]],
  };
  const LABELS = { surface: "Surface", opt: "Optimiser", lr: "Learning rate", momentum: "Momentum",
                   beta1: "beta_1", beta2: "beta_2", steps: "Steps", x: "Start x", y: "Start y" };
  const SIZE = 360; // canvas pixels

  function element(tag, attributes, parent) {
    const e = document.createElement(tag);
    for (const [k, v] of Object.entries(attributes || {})) {
      if (k === "text") e.textContent = v; else e.setAttribute(k, v);
    }
    if (parent) parent.appendChild(e);
    return e;
  }
  function colour(root, variable) {
    const probe = element("span", { style: `color: var(${variable})`, hidden: "" }, root);
    const rgb = getComputedStyle(probe).color.match(/[\d.]+/g).map(Number);
    probe.remove();
    return rgb.slice(0, 3);
  }
  const mix = (a, b, t) => [0, 1, 2].map((k) => Math.round(a[k] + (b[k] - a[k]) * t));

  class Widget {
    constructor(root, useUrl) {
      this.root = root;
      this.useUrl = useUrl;
      const own = root.getAttribute("data-query") || "";
      this.setting = parseQuery(useUrl && new URLSearchParams(location.search).has("surface") ? location.search : own);
      root.textContent = "";
      // the playground's frame (playground.css), without its class, which would start one
      Object.assign(root.style, { border: "1px solid var(--md-default-fg-color--lightest)", borderRadius: "0.2rem",
                                  padding: "0.6rem", margin: "1em 0" });
      this.build();
      this.worker = new Worker(pathsUrl);
      this.worker.onmessage = ({ data }) => this.receive(data);
      new MutationObserver(() => this.draw()).observe(document.body, { attributes: true, attributeFilter: ["data-md-color-scheme"] });
      this.changed(false);
    }

    build() {
      const r = this.root, id = root_id(r);
      const form = element("form", { class: "pg-controls", "aria-label": "Optimiser settings" }, r);
      form.addEventListener("submit", (e) => e.preventDefault());
      this.inputs = {};
      for (const name of ["surface", "opt", "lr", "momentum", "beta1", "beta2", "steps", "x", "y"]) {
        const label = element("label", { for: `${id}-${name}` }, form);
        element("span", { text: LABELS[name] }, label);
        let control;
        if (CHOICES[name]) {
          control = element("select");
          for (const [value, text] of CHOICES[name]) element("option", { value, text }, control);
        } else {
          const [low, high] = RANGES[name];
          control = element("input", { type: "number", min: String(low), max: String(high),
                                       step: name === "steps" ? "1" : "any" });
        }
        control.id = `${id}-${name}`;
        label.appendChild(control);
        this.inputs[name] = control;
        control.addEventListener("change", () => this.changed(true));
      }
      const buttons = element("div", { class: "pg-buttons" }, r);
      this.link = element("a", { class: "pg-link", text: "Link to this setting" }, buttons);
      this.canvas = element("canvas", { class: "opt-plot", width: String(SIZE), height: String(SIZE), role: "img",
                                        style: "width: 360px; max-width: 100%; aspect-ratio: 1; cursor: crosshair; border: 1px solid var(--md-default-fg-color--lighter);" }, r);
      this.canvas.addEventListener("click", (e) => {
        const box = this.canvas.getBoundingClientRect();
        const round = (v) => Math.round(v * 100) / 100;
        this.inputs.x.value = round(((e.clientX - box.left) / box.width) * 2 * EXTENT - EXTENT);
        this.inputs.y.value = round(EXTENT - ((e.clientY - box.top) / box.height) * 2 * EXTENT);
        this.changed(true);
      });
      element("p", { class: "pg-legend", text: "Click the plot to start from there. Contours: the loss; the line: the weights, step by step." }, r);
      this.status = element("p", { class: "pg-status", "aria-live": "polite", role: "status" }, r);
    }

    show() {
      const s = this.setting;
      for (const [name, control] of Object.entries(this.inputs)) control.value = String(s[name]);
      this.inputs.momentum.parentElement.hidden = s.opt !== "momentum";
      this.inputs.beta1.parentElement.hidden = this.inputs.beta2.parentElement.hidden = s.opt !== "adam";
    }

    // The controls, read by the link's rules: they can ask for nothing a link cannot.
    changed(fromControls) {
      if (fromControls) {
        const values = Object.fromEntries(Object.entries(this.inputs).map(([k, c]) => [k, c.value]));
        this.setting = parseQuery(new URLSearchParams(values).toString());
      }
      this.show();
      const query = toQuery(this.setting);
      this.link.href = `?${query}#${this.root.id || ""}`;
      if (this.useUrl && fromControls) history.replaceState(null, "", `?${query}#${this.root.id}`);
      this.worker.postMessage({ type: "path", setting: this.setting });
    }

    receive(message) {
      if (message.type === "rejected") { this.status.textContent = `The worker refused the setting: ${message.problem}`; return; }
      this.path = message;
      this.draw();
      const n = message.x.length - 1, last = message.losses[n];
      this.status.textContent = message.left
        ? `The path left the plot at step ${message.left}: the learning rate is too large for this surface.`
        : `Step ${n}: loss ${last.toExponential(2)} (it started at ${message.losses[0].toExponential(2)}).`;
      this.canvas.setAttribute("aria-label", `Contour plot of the ${this.setting.surface} loss with the path of ${this.setting.opt}. ${this.status.textContent}`);
    }

    draw() {
      if (!this.path) return;
      const ctx = this.canvas.getContext("2d"), s = this.setting, g = 180;
      const bg = colour(this.root, "--md-default-bg-color"), fg = colour(this.root, "--md-default-fg-color");
      const accent = colour(this.root, "--pg-class0"), blue = colour(this.root, "--pg-class1");
      // the loss on a grid, in bands of its logarithm: each band a factor of two
      const off = document.createElement("canvas");
      off.width = off.height = g;
      const octx = off.getContext("2d"), image = octx.createImageData(g, g);
      const top = Math.log2(loss(s.surface, EXTENT, EXTENT) + loss(s.surface, EXTENT, -EXTENT) + 1e-9);
      const levels = new Int16Array(g * g);
      for (let r = 0; r < g; r++) {
        for (let c = 0; c < g; c++) {
          const x = -EXTENT + ((c + 0.5) * 2 * EXTENT) / g, y = EXTENT - ((r + 0.5) * 2 * EXTENT) / g;
          levels[r * g + c] = Math.max(-12, Math.floor(Math.log2(loss(s.surface, x, y) + 1e-6)));
        }
      }
      for (let k = 0; k < g * g; k++) {
        const t = Math.max(0, Math.min(1, (levels[k] + 12) / (top + 12)));
        // a contour line where the band changes from this pixel to the next one
        const edge = (k % g < g - 1 && levels[k + 1] !== levels[k]) || (k + g < g * g && levels[k + g] !== levels[k]);
        image.data.set([...(edge ? mix(bg, fg, 0.35) : mix(bg, blue, 0.08 + 0.5 * (1 - t))), 255], 4 * k);
      }
      octx.putImageData(image, 0, 0);
      ctx.imageSmoothingEnabled = false;
      ctx.drawImage(off, 0, 0, SIZE, SIZE);
      const px = (x) => ((x + EXTENT) / (2 * EXTENT)) * SIZE, py = (y) => ((EXTENT - y) / (2 * EXTENT)) * SIZE;
      // the minimum, then the path
      ctx.fillStyle = `rgb(${fg.join(",")})`;
      ctx.fillRect(px(0) - 2, py(0) - 2, 4, 4);
      const p = this.path;
      ctx.beginPath();
      for (let i = 0; i < p.x.length; i++) {
        const X = px(Math.max(-2 * EXTENT, Math.min(2 * EXTENT, p.x[i]))), Y = py(Math.max(-2 * EXTENT, Math.min(2 * EXTENT, p.y[i])));
        if (i) ctx.lineTo(X, Y); else ctx.moveTo(X, Y);
      }
      ctx.strokeStyle = `rgb(${accent.join(",")})`;
      ctx.lineWidth = 2;
      ctx.stroke();
      ctx.fillStyle = `rgb(${accent.join(",")})`;
      for (let i = 0; i < p.x.length; i++) ctx.fillRect(px(p.x[i]) - 1.5, py(p.y[i]) - 1.5, 3, 3);
      ctx.beginPath();
      ctx.arc(px(p.x[0]), py(p.y[0]), 5, 0, 2 * Math.PI);
      ctx.strokeStyle = `rgb(${fg.join(",")})`;
      ctx.stroke();
    }
  }

  function root_id(root) {
    return root.id || "optimiser";
  }

  function start(root) {
    for (const element of root.querySelectorAll(".optimiser-widget:not([data-started])")) {
      element.setAttribute("data-started", "");
      new Widget(element, element.id === "optimiser");
    }
  }
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", () => start(document.body));
  else start(document.body);
})();
