/* Try it: the site's trained MNIST network, running in the reader's browser.
 *
 * The page downloads the export written by `python -m snippets export` (a JSON header, int8
 * and float32 weights, a few real MNIST test digits), checks its SHA-256, and classifies what
 * the reader draws. Nothing else is loaded and nothing is sent anywhere.
 *
 * A drawing goes through the steps MNIST's digits went through (snippets/predict.py's
 * mnist_style, mirrored step by step below), then through the network's forward pass.
 * The pure functions are on window.DeepNetsTry, so a test can feed digits through exactly
 * the code path the canvas uses: canvas pixels -> classify(grey, width, height).
 */
(function () {
  "use strict";

  const SIZE = 28; // MNIST images are 28x28
  const BOX = 20; // ... with the digit fitted into 20x20
  const INK = Math.fround(0.05); // grey levels above this count as ink when finding the digit
  const SPECKS = 0.05; // the share of the ink, on each side, that may be specks
  const STROKES = [1.45, 2.72]; // how wide MNIST's strokes are in the 20x20 box (predict.py)

  // --8<-- [start:preprocess]
  // Python's round(): halves go to the even neighbour (round(2.5) == 2, round(3.5) == 4).
  function roundHalfEven(x) {
    const down = Math.floor(x);
    const rest = x - down;
    if (rest !== 0.5) return Math.round(x);
    return down % 2 === 0 ? down : down + 1;
  }

  // Pillow's Lanczos filter (support 3): sinc(x) sinc(x / 3).
  function lanczos(x) {
    const sinc = (t) => (t === 0 ? 1 : Math.sin(Math.PI * t) / (Math.PI * t));
    return x >= -3 && x < 3 ? sinc(x) * sinc(x / 3) : 0;
  }

  // For each output pixel, the first input pixel it reads and its weights, in the 22-bit
  // fixed point Pillow uses for 8-bit images. When shrinking, the filter is stretched
  // over the input pixels that one output pixel covers.
  function resampleWeights(inSize, outSize) {
    const scale = inSize / outSize;
    const stretch = Math.max(scale, 1);
    const support = 3 * stretch;
    const taps = [];
    for (let out = 0; out < outSize; out++) {
      const centre = (out + 0.5) * scale;
      const first = Math.max(Math.trunc(centre - support + 0.5), 0);
      const end = Math.min(Math.trunc(centre + support + 0.5), inSize);
      let weights = [];
      for (let i = first; i < end; i++) weights.push(lanczos((i - centre + 0.5) / stretch));
      const total = weights.reduce((a, b) => a + b, 0);
      weights = weights.map((w) => {
        const scaled = (total !== 0 ? w / total : w) * (1 << 22);
        return Math.trunc(scaled < 0 ? scaled - 0.5 : scaled + 0.5);
      });
      taps.push({ first, weights });
    }
    return taps;
  }

  // One pass of Pillow's resize of an 8-bit image along rows (step 1) or columns.
  function resamplePass(pixels, width, height, outWidth, outHeight, alongRows) {
    const out = new Uint8Array(outWidth * outHeight);
    const taps = resampleWeights(alongRows ? width : height, alongRows ? outWidth : outHeight);
    for (let y = 0; y < outHeight; y++) {
      for (let x = 0; x < outWidth; x++) {
        const { first, weights } = taps[alongRows ? x : y];
        let sum = 1 << 21; // half of the fixed-point one, so that the shift below rounds
        for (let k = 0; k < weights.length; k++) {
          const source = alongRows ? y * width + first + k : (first + k) * width + x;
          sum += pixels[source] * weights[k];
        }
        out[y * outWidth + x] = Math.min(Math.max(Math.floor(sum / (1 << 22)), 0), 255);
      }
    }
    return out;
  }

  // PIL's Image.resize(..., Image.LANCZOS) for a grey 8-bit image: one pass along rows and
  // one along columns, each only when that size changes. Each pass rounds to whole grey
  // levels, so their order shows in the last bit. The pinned Pillow resamples the columns
  // first when the height loses more than twice as many pixels as the width (measured, not
  // documented: tests/test_try_page.py checks the page against Pillow on such shapes).
  function resize(pixels, width, height, newWidth, newHeight) {
    const columnsFirst = height > newHeight && height - newHeight > 2 * (width - newWidth);
    if (columnsFirst && newHeight !== height) {
      pixels = resamplePass(pixels, width, height, width, newHeight, false);
      height = newHeight;
    }
    if (newWidth !== width) {
      pixels = resamplePass(pixels, width, height, newWidth, height, true);
      width = newWidth;
    }
    if (newHeight !== height) pixels = resamplePass(pixels, width, height, width, newHeight, false);
    return pixels;
  }

  // snippets/predict.py's digit_box: the box around the middle of the ink (all of it but SPECKS
  // on each side), grown while the next row or column has ink. Rows top..bottom - 1.
  function digitBox(grey, width, height) {
    const isInk = (y, x) => grey[y * width + x] > INK;
    const rows = new Array(height).fill(0), cols = new Array(width).fill(0);
    let total = 0;
    for (let y = 0; y < height; y++) {
      for (let x = 0; x < width; x++) {
        if (isInk(y, x)) { rows[y]++; cols[x]++; total++; }
      }
    }
    if (total === 0) return null;
    const middle = (counts) => {
      let seen = 0, first = -1, last = -1;
      for (let i = 0; i < counts.length; i++) {
        seen += counts[i];
        if (first < 0 && seen > SPECKS * total) first = i;
        if (last < 0 && seen >= (1 - SPECKS) * total) last = i;
      }
      return [first, last + 1];
    };
    let [top, bottom] = middle(rows), [left, right] = middle(cols);
    const inRow = (y) => { for (let x = left; x < right; x++) if (isInk(y, x)) return true; return false; };
    const inCol = (x) => { for (let y = top; y < bottom; y++) if (isInk(y, x)) return true; return false; };
    for (;;) {
      const grow = [top > 0 && inRow(top - 1), bottom < height && inRow(bottom),
        left > 0 && inCol(left - 1), right < width && inCol(right)];
      if (!grow.some(Boolean)) return { top, bottom, left, right };
      top -= grow[0] ? 1 : 0; bottom += grow[1] ? 1 : 0;
      left -= grow[2] ? 1 : 0; right += grow[3] ? 1 : 0;
    }
  }

  // snippets/predict.py's stroke_width: twice the ink over its edges, in whole grey levels.
  function strokeWidth(ink, width, height) {
    const at = (y, x) => (y >= 0 && y < height && x >= 0 && x < width ? ink[y * width + x] : 0);
    let mass = 0, edges = 0;
    for (let y = 0; y <= height; y++) {
      for (let x = 0; x <= width; x++) {
        mass += at(y, x);
        edges += Math.abs(at(y, x) - at(y - 1, x)) + Math.abs(at(y, x) - at(y, x - 1));
      }
    }
    return (2 * mass) / edges;
  }

  // snippets/predict.py's widen: strokes 2 * by pixels wider (thinner if by < 0), each pixel
  // the brightest (darkest) within by rows and columns; outside the image is black.
  function widen(ink, width, height, by) {
    const reach = Math.abs(by), pick = by > 0 ? Math.max : Math.min;
    const room = by > 0 ? reach : 0;
    const outWidth = width + 2 * room, outHeight = height + 2 * room;
    const at = (pixels, y, x) =>
      (y >= 0 && y < outHeight && x >= 0 && x < outWidth ? pixels[y * outWidth + x] : 0);
    let pixels = new Uint8Array(outWidth * outHeight);
    for (let y = 0; y < height; y++) {
      pixels.set(ink.subarray(y * width, (y + 1) * width), (y + room) * outWidth + room);
    }
    for (const [down, across] of [[1, 0], [0, 1]]) { // down the columns, then along the rows
      const out = new Uint8Array(outWidth * outHeight);
      for (let y = 0; y < outHeight; y++) {
        for (let x = 0; x < outWidth; x++) {
          let value = pixels[y * outWidth + x];
          for (let k = -reach; k <= reach; k++) value = pick(value, at(pixels, y + k * down, x + k * across));
          out[y * outWidth + x] = value;
        }
      }
      pixels = out;
    }
    return { pixels, width: outWidth, height: outHeight };
  }

  // snippets/predict.py's mnist_style: crop the ink (leaving out specks), bring it to full
  // strength and its strokes to MNIST's width, fit it into 20x20 keeping its aspect ratio,
  // then place it in 28x28 so that its centre of mass is at the centre. `grey` is a
  // white-on-black image, values in [0, 1], row-major. Returns the 784 inputs of the network.
  function preprocess(grey, width, height) {
    const image = new Float32Array(SIZE * SIZE);
    const box = digitBox(grey, width, height);
    if (box === null) return image; // a blank image stays blank
    let inkHeight = box.bottom - box.top, inkWidth = box.right - box.left;
    let peak = 0;
    for (let y = box.top; y < box.bottom; y++) {
      for (let x = box.left; x < box.right; x++) peak = Math.max(peak, grey[y * width + x]);
    }
    let ink = new Uint8Array(inkHeight * inkWidth);
    for (let y = 0; y < inkHeight; y++) {
      for (let x = 0; x < inkWidth; x++) {
        // float32 arithmetic, then truncation, as NumPy's (ink / peak * 255).astype(np.uint8)
        const level = Math.fround(grey[(box.top + y) * width + box.left + x] / peak);
        ink[y * inkWidth + x] = Math.trunc(Math.fround(level * 255));
      }
    }
    let scale = BOX / Math.max(inkHeight, inkWidth);
    const stroke = strokeWidth(ink, inkWidth, inkHeight) * scale;
    const wanted = Math.min(Math.max(stroke, STROKES[0]), STROKES[1]);
    const by = roundHalfEven((wanted - stroke) / scale / 2);
    if (by !== 0) {
      // then crop again, to the rows and columns that are not black
      const widened = widen(ink, inkWidth, inkHeight, by);
      let top = widened.height, bottom = -1, left = widened.width, right = -1;
      for (let y = 0; y < widened.height; y++) {
        for (let x = 0; x < widened.width; x++) {
          if (widened.pixels[y * widened.width + x] > 0) {
            top = Math.min(top, y); bottom = Math.max(bottom, y);
            left = Math.min(left, x); right = Math.max(right, x);
          }
        }
      }
      inkHeight = bottom - top + 1; inkWidth = right - left + 1;
      ink = new Uint8Array(inkHeight * inkWidth);
      for (let y = 0; y < inkHeight; y++) {
        const from = (top + y) * widened.width + left;
        ink.set(widened.pixels.subarray(from, from + inkWidth), y * inkWidth);
      }
    }
    scale = BOX / Math.max(inkHeight, inkWidth);
    const boxHeight = Math.max(1, roundHalfEven(inkHeight * scale));
    const boxWidth = Math.max(1, roundHalfEven(inkWidth * scale));
    const small = resize(ink, inkWidth, inkHeight, boxWidth, boxHeight);
    let mass = 0, massRow = 0, massCol = 0; // in whole grey levels: exact, in any order
    for (let y = 0; y < boxHeight; y++) {
      for (let x = 0; x < boxWidth; x++) {
        const value = small[y * boxWidth + x];
        mass += value; massRow += y * value; massCol += x * value;
      }
    }
    mass = Math.max(mass, 1);
    const clamp = (value, most) => Math.min(Math.max(value, 0), most);
    const row0 = clamp(roundHalfEven(SIZE / 2 - massRow / mass), SIZE - boxHeight);
    const col0 = clamp(roundHalfEven(SIZE / 2 - massCol / mass), SIZE - boxWidth);
    for (let y = 0; y < boxHeight; y++) {
      for (let x = 0; x < boxWidth; x++) {
        image[(row0 + y) * SIZE + col0 + x] = small[y * boxWidth + x] / 255;
      }
    }
    return image;
  }
  // --8<-- [end:preprocess]

  // --8<-- [start:forward]
  // Probabilities of the ten digits for one input of 784 grey levels. Each layer is
  // weights (fan_in x fan_out, row-major; int8 or float32), one scale and one bias per unit:
  // unit j computes (x . weights[:, j]) * scales[j] + bias[j], then a ReLU, except the last.
  function forward(model, input) {
    let x = input;
    for (const layer of model.layers) {
      const [fanIn, fanOut] = layer.shape;
      const sums = new Float64Array(fanOut);
      for (let i = 0; i < fanIn; i++) {
        const xi = x[i];
        if (xi === 0) continue; // most pixels are blank, and many ReLUs are off
        const row = i * fanOut;
        for (let j = 0; j < fanOut; j++) sums[j] += xi * layer.weights[row + j];
      }
      for (let j = 0; j < fanOut; j++) {
        sums[j] = sums[j] * layer.scales[j] + layer.bias[j];
        if (layer.activation === "relu" && sums[j] < 0) sums[j] = 0;
      }
      x = sums;
    }
    const largest = Math.max(...x); // softmax, shifted so that exp cannot overflow
    const exps = x.map((logit) => Math.exp(logit - largest));
    const total = exps.reduce((a, b) => a + b, 0);
    return exps.map((e) => e / total);
  }
  // --8<-- [end:forward]

  const api = { SIZE, BOX, SPECKS, STROKES, roundHalfEven, resize, preprocess, forward, models: null, loadDigits: null };

  // What the canvas does with its pixels, and what the test calls: preprocess, then every
  // model. Returns the 784 inputs and each model's ten probabilities.
  api.classify = function (grey, width, height) {
    const input = preprocess(grey, width, height);
    const probabilities = {};
    for (const [key, model] of Object.entries(api.models)) probabilities[key] = Array.from(forward(model, input));
    return { input: Array.from(input), probabilities };
  };

  // ---- Loading the export ----------------------------------------------------------

  const ARRAYS = { int8: Int8Array, uint8: Uint8Array, float32: Float32Array };

  async function sha256(bytes) {
    const digest = await crypto.subtle.digest("SHA-256", bytes);
    return Array.from(new Uint8Array(digest), (b) => b.toString(16).padStart(2, "0")).join("");
  }

  // Fetch one binary file of the export and check it against the header's size and SHA-256.
  async function fetchChecked(base, header, name) {
    const expected = header.files[name];
    const reply = await fetch(new URL(name, base));
    if (!reply.ok) throw new Error(`${name}: HTTP ${reply.status}`);
    const bytes = await reply.arrayBuffer();
    // crypto.subtle exists on https and on localhost; elsewhere the size check must do.
    const damaged = bytes.byteLength !== expected.bytes ||
      (globalThis.crypto && crypto.subtle && (await sha256(bytes)) !== expected.sha256);
    if (damaged) throw new Error(`${name} is damaged: its size or SHA-256 is not the one export.json records`);
    return bytes;
  }

  function tensor(files, entry) {
    const count = entry.shape.reduce((a, b) => a * b, 1);
    return new ARRAYS[entry.dtype](files[entry.file], entry.offset, count);
  }

  // The header and the models. The test digits are fetched later, when first asked for.
  async function loadExport(base) {
    const response = await fetch(new URL("export.json", base));
    if (!response.ok) throw new Error(`export.json: HTTP ${response.status}`);
    const header = await response.json();
    if (header.format !== "deep-nets-tested/mlp-int8" || header.version !== 1) {
      throw new Error(`export.json is a ${header.format} export of version ${header.version}, not one this page reads`);
    }
    if (new Uint8Array(new Uint16Array([1]).buffer)[0] !== 1) {
      throw new Error("this page needs a little-endian machine"); // typed arrays use the machine's byte order
    }
    const files = {};
    for (const model of Object.values(header.models)) {
      for (const layer of model.layers) {
        for (const entry of [layer.weights, layer.scales, layer.bias]) {
          files[entry.file] = files[entry.file] || (await fetchChecked(base, header, entry.file));
        }
      }
    }
    const models = {};
    for (const [key, model] of Object.entries(header.models)) {
      models[key] = {
        title: model.title,
        testAccuracy: model.test_accuracy,
        testImages: model.test_images,
        otherDigitsAccuracy: model.other_digits_accuracy,
        otherDigits: model.other_digits,
        layers: model.layers.map((layer) => ({
          name: layer.name, activation: layer.activation, shape: layer.weights.shape,
          weights: tensor(files, layer.weights), scales: tensor(files, layer.scales), bias: tensor(files, layer.bias),
        })),
      };
    }
    let digits = null;
    const loadDigits = () => {
      digits = digits || (async () => {
        const { images, labels, count } = header.digits;
        const bytes = { [images.file]: await fetchChecked(base, header, images.file) };
        bytes[labels.file] = bytes[labels.file] || (await fetchChecked(base, header, labels.file));
        return { images: tensor(bytes, images), labels: tensor(bytes, labels), count };
      })();
      return digits;
    };
    return { header, models, loadDigits };
  }

  // ---- The page --------------------------------------------------------------------

  const script = document.currentScript;
  const EXPORT_URL = new URL("../../generated/try/", script ? script.src : location.href);
  const PEN_WIDTH = 20; // in canvas pixels; about 2 pixels once the digit is fitted into 20x20

  function percent(p) {
    return `${(100 * p).toFixed(p >= 0.995 || p < 0.005 ? 0 : 1)} %`;
  }

  // An accuracy measured on n digits with its Wilson 95 % interval, computed as
  // snippets/uncertainty.py computes it: "99.3 % (99.1-99.4 %)".
  function withInterval(p, n) {
    const z = 1.959963984540054;
    const q = Math.round(p * n) / n;
    const centre = (q + (z * z) / (2 * n)) / (1 + (z * z) / n);
    const half = (z / (1 + (z * z) / n)) * Math.sqrt((q * (1 - q)) / n + (z * z) / (4 * n * n));
    const [low, high] = [Math.max(0, centre - half), Math.min(1, centre + half)];
    return `${(100 * p).toFixed(1)} % (${(100 * low).toFixed(1)}-${(100 * high).toFixed(1)} %)`;
  }

  function setUp(root) {
    const canvas = root.querySelector(".try-canvas");
    const context = canvas.getContext("2d", { willReadFrequently: true });
    const seen = root.querySelector(".try-input");
    const seenContext = seen.getContext("2d");
    const status = root.querySelector(".try-status");
    const answer = root.querySelector(".try-answer");
    const charts = root.querySelector(".try-charts");
    const note = root.querySelector(".try-note");
    let drawing = null; // the pointer drawing now, and where it was
    let pending = false; // a redraw of the results is scheduled
    let nextDigit = 0;
    let shownDigit = null; // the test digit on the canvas, if the reader has not drawn over it

    // The theme's text colour, made opaque: the ink's strength is its alpha alone.
    const inkColour = () => {
      const [r, g, b] = getComputedStyle(canvas).color.match(/[\d.]+/g).map(Number);
      return `rgb(${r}, ${g}, ${b})`;
    };

    function buildCharts() {
      charts.replaceChildren();
      for (const [key, model] of Object.entries(api.models)) {
        const figure = document.createElement("figure");
        figure.className = "try-chart";
        figure.dataset.model = key;
        const caption = document.createElement("figcaption");
        caption.textContent = `${model.title}: ` +
          `${withInterval(model.testAccuracy, model.testImages)} of the ` +
          `${model.testImages.toLocaleString("en")} MNIST test digits right, ` +
          `${withInterval(model.otherDigitsAccuracy, model.otherDigits)} of ` +
          `${model.otherDigits.toLocaleString("en")} digits from handwriting fonts`;
        const bars = document.createElement("ol");
        bars.className = "try-bars";
        bars.setAttribute("aria-label", `probabilities from ${model.title}`);
        for (let digit = 0; digit < 10; digit++) {
          const item = document.createElement("li");
          item.className = "try-bar";
          item.innerHTML = '<span class="try-bar-value"></span><span class="try-bar-track">' +
            '<span class="try-bar-fill"></span></span><span class="try-bar-digit"></span>';
          item.querySelector(".try-bar-digit").textContent = digit;
          bars.append(item);
        }
        figure.append(caption, bars);
        charts.append(figure);
      }
    }

    function readGrey() {
      const { data } = context.getImageData(0, 0, canvas.width, canvas.height);
      const grey = new Float32Array(canvas.width * canvas.height);
      for (let i = 0; i < grey.length; i++) grey[i] = data[4 * i + 3] / 255; // the ink is the alpha channel
      return grey;
    }

    function showInput(input) {
      const pixels = seenContext.createImageData(SIZE, SIZE);
      for (let i = 0; i < SIZE * SIZE; i++) {
        const level = Math.round(255 * input[i]);
        pixels.data.set([level, level, level, 255], 4 * i); // white on black, as MNIST
      }
      seenContext.putImageData(pixels, 0, 0);
    }

    // Classify what is on the canvas and show it. `announce` also updates the live region,
    // which is done when a stroke ends, not on every frame.
    function update(announce) {
      const result = api.classify(readGrey(), canvas.width, canvas.height);
      const blank = result.input.every((v) => v === 0);
      showInput(result.input);
      for (const figure of charts.children) {
        const probabilities = result.probabilities[figure.dataset.model];
        const best = probabilities.indexOf(Math.max(...probabilities));
        figure.querySelectorAll(".try-bar").forEach((bar, digit) => {
          const p = blank ? 0 : probabilities[digit];
          bar.querySelector(".try-bar-fill").style.height = `${100 * p}%`;
          bar.querySelector(".try-bar-value").textContent = blank ? "" : Math.round(100 * p);
          bar.classList.toggle("try-best", !blank && digit === best);
          bar.title = blank ? "" : `${digit}: ${percent(p)}`;
        });
      }
      const [first] = Object.keys(result.probabilities);
      const probabilities = result.probabilities[first];
      const best = probabilities.indexOf(Math.max(...probabilities));
      root.dataset.prediction = blank ? "" : String(best);
      answer.textContent = blank ? "?" : String(best);
      if (announce) {
        status.textContent = blank
          ? "Nothing drawn yet."
          : `The network reads ${best === 8 ? "an" : "a"} ${best} (${percent(probabilities[best])}).` +
            (shownDigit !== null ? ` MNIST labels this test digit ${shownDigit.label}.` : "");
      }
      return result;
    }

    function schedule() {
      if (pending) return;
      pending = true;
      requestAnimationFrame(() => {
        pending = false;
        update(false);
      });
    }

    function clear() {
      context.clearRect(0, 0, canvas.width, canvas.height);
      shownDigit = null;
      note.textContent = "";
      update(true);
    }

    // Draw the next shipped MNIST test digit onto the canvas, enlarged, and classify it
    // the way a drawing is classified.
    async function showTestDigit() {
      let digits;
      try {
        digits = await api.loadDigits();
      } catch (error) {
        status.textContent = `The test digits could not be loaded: ${error.message}`;
        throw error;
      }
      const index = nextDigit;
      nextDigit = (nextDigit + 1) % digits.count;
      const small = document.createElement("canvas");
      small.width = small.height = SIZE;
      const smallContext = small.getContext("2d");
      const pixels = smallContext.createImageData(SIZE, SIZE);
      const [r, g, b] = inkColour().match(/[\d.]+/g).map(Number);
      for (let i = 0; i < SIZE * SIZE; i++) pixels.data.set([r, g, b, digits.images[index * SIZE * SIZE + i]], 4 * i);
      smallContext.putImageData(pixels, 0, 0);
      context.clearRect(0, 0, canvas.width, canvas.height);
      context.imageSmoothingEnabled = true;
      context.drawImage(small, 0, 0, canvas.width, canvas.height);
      shownDigit = { index, label: digits.labels[index] };
      note.textContent = `MNIST test image ${index + 1} of the ${digits.count} shipped with this page, ` +
        `labelled ${shownDigit.label}.`;
      update(true);
    }

    // Give the ink the theme's text colour again when the reader switches light / dark.
    function recolour() {
      context.save();
      context.globalCompositeOperation = "source-in"; // keeps the alpha (the ink), changes the colour
      context.fillStyle = inkColour();
      context.fillRect(0, 0, canvas.width, canvas.height);
      context.restore();
    }

    function point(event) {
      const box = canvas.getBoundingClientRect();
      return [(event.clientX - box.left) * canvas.width / box.width,
        (event.clientY - box.top) * canvas.height / box.height];
    }

    function stroke(from, to) {
      context.strokeStyle = context.fillStyle = inkColour();
      context.lineWidth = PEN_WIDTH;
      context.lineCap = context.lineJoin = "round";
      context.beginPath();
      context.moveTo(...from);
      context.lineTo(...to);
      context.stroke();
    }

    canvas.addEventListener("pointerdown", (event) => {
      if (event.pointerType === "mouse" && event.button !== 0) return;
      event.preventDefault();
      canvas.focus({ preventScroll: true });
      try {
        canvas.setPointerCapture(event.pointerId); // keep the stroke when the pointer leaves the box
      } catch (error) {
        // a pointer the browser does not track (for example a synthetic event): draw anyway
      }
      if (shownDigit !== null) note.textContent = "";
      shownDigit = null;
      const here = point(event);
      drawing = { id: event.pointerId, last: here };
      stroke(here, here); // a tap leaves a dot
      schedule();
    });
    canvas.addEventListener("pointermove", (event) => {
      if (!drawing || event.pointerId !== drawing.id) return;
      const events = event.getCoalescedEvents ? event.getCoalescedEvents() : [];
      for (const each of events.length ? events : [event]) {
        const here = point(each);
        stroke(drawing.last, here);
        drawing.last = here;
      }
      schedule();
    });
    const finish = (event) => {
      if (!drawing || event.pointerId !== drawing.id) return;
      drawing = null;
      update(true);
    };
    canvas.addEventListener("pointerup", finish);
    canvas.addEventListener("pointercancel", finish);
    canvas.addEventListener("keydown", (event) => {
      if (event.ctrlKey || event.metaKey || event.altKey) return;
      if (["t", "T", "Enter", " "].includes(event.key)) showTestDigit();
      else if (["c", "C", "Delete", "Backspace", "Escape"].includes(event.key)) clear();
      else return;
      event.preventDefault();
    });
    root.querySelector("[data-action=clear]").addEventListener("click", clear);
    root.querySelector("[data-action=digit]").addEventListener("click", showTestDigit);
    new MutationObserver(recolour).observe(document.body,
      { attributes: true, attributeFilter: ["data-md-color-scheme"] });

    buildCharts();
    root.querySelectorAll("button").forEach((button) => (button.disabled = false));
    root.dataset.state = "ready";
    update(true);
    status.textContent = "Ready: draw a digit, or show a test digit.";
    api.page = { clear, showTestDigit, update };
  }

  api.ready = (async () => {
    const root = document.getElementById("try-app");
    try {
      const loaded = await loadExport(EXPORT_URL);
      api.models = loaded.models;
      api.loadDigits = loaded.loadDigits;
      api.header = loaded.header;
      if (root) setUp(root);
      return api;
    } catch (error) {
      if (root) {
        root.dataset.state = "failed";
        root.querySelector(".try-status").textContent = `The trained network could not be loaded: ${error.message}`;
      }
      throw error;
    }
  })();

  window.DeepNetsTry = api;
})();
