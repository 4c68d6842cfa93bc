// The live decoder: a Keras decoder exported by aecore/webexport.py, run in plain JavaScript on every
// input event and drawn to a <canvas>. Three views share it: one slider per latent dimension, a latent
// plane under the mouse, and interpolation between two images. Python hears only releases and clicks.
//
// The same file is the component's module (default export) and what the parity test imports
// (compileDecoder, paint), so the numbers checked against Keras are the ones the page draws.

const REGISTRY = (globalThis.__aecoreLive ??=  // per page, by model key: decoders, why one failed, views waiting
  { decoders: new Map(), failed: new Map(), waiting: new Map(), asked: new Set() });

// ------------------------------------------------------------------ activations (Keras's definitions)
const SELU_ALPHA = 1.6732632423543772, SELU_SCALE = 1.0507009873554805;
function erf(x) {  // Abramowitz and Stegun 7.1.26: |error| < 1.5e-7, far inside the 1e-4 parity bar
  const sign = x < 0 ? -1 : 1, a = Math.abs(x), t = 1 / (1 + 0.3275911 * a);
  const y = 1 - ((((1.061405429 * t - 1.453152027) * t + 1.421413741) * t - 0.284496736) * t + 0.254829592) * t * Math.exp(-a * a);
  return sign * y;
}
const sigmoid = x => 1 / (1 + Math.exp(-x));
function activation(spec) {
  const alpha = spec.alpha ?? 0;
  switch (spec.name) {
    case "linear": return null;
    case "relu": return x => (x > 0 ? x : 0);
    case "sigmoid": return sigmoid;
    case "tanh": return Math.tanh;
    case "elu": return x => (x > 0 ? x : alpha * Math.expm1(x));
    case "selu": return x => SELU_SCALE * (x > 0 ? x : SELU_ALPHA * Math.expm1(x));
    case "leaky_relu": return x => (x > 0 ? x : alpha * x);
    case "softplus": return x => Math.log1p(Math.exp(-Math.abs(x))) + Math.max(x, 0);
    case "gelu": return x => 0.5 * x * (1 + erf(x / Math.SQRT2));
    case "silu": return x => x * sigmoid(x);
    default: throw new Error(`activation ${spec.name} has no in-browser version`);
  }
}
function applyInPlace(values, fn) {
  if (fn) for (let i = 0; i < values.length; i++) values[i] = fn(values[i]);
}

// ------------------------------------------------------------------ layers: each (shape) -> {shape, run(input) -> output}
const padBefore = (same, outSize, stride, kernel, inSize) => (same ? Math.max((outSize - 1) * stride + kernel - inSize, 0) >> 1 : 0);

function dense(layer, shape, w) {
  const inputs = shape[shape.length - 1], units = layer.units, rows = shape.reduce((a, b) => a * b, 1) / inputs;
  const kernel = w(layer.kernel), bias = w(layer.bias), fn = activation(layer.activation);
  const out = new Float32Array(rows * units), acc = new Float64Array(units);
  return { shape: [...shape.slice(0, -1), units], run(input) {
    for (let r = 0; r < rows; r++) {
      acc.set(bias);
      for (let i = 0; i < inputs; i++) {
        const v = input[r * inputs + i];
        if (v === 0) continue;  // ReLU codes are sparse
        const row = i * units;
        for (let j = 0; j < units; j++) acc[j] += v * kernel[row + j];
      }
      for (let j = 0; j < units; j++) out[r * units + j] = fn ? fn(acc[j]) : acc[j];
    }
    return out;
  } };
}

function conv2d(layer, [height, width, channels], w) {
  const [outH, outW, filters] = layer.output_shape, [kh, kw] = layer.kernel_size, [sh, sw] = layer.strides;
  const same = layer.padding === "same", top = padBefore(same, outH, sh, kh, height), left = padBefore(same, outW, sw, kw, width);
  const kernel = w(layer.kernel), bias = w(layer.bias), fn = activation(layer.activation);  // kernel (kh, kw, in, out)
  const out = new Float32Array(outH * outW * filters), acc = new Float64Array(filters);
  return { shape: layer.output_shape, run(input) {
    for (let oy = 0; oy < outH; oy++) for (let ox = 0; ox < outW; ox++) {
      acc.set(bias);
      for (let ky = 0; ky < kh; ky++) {
        const iy = oy * sh + ky - top;
        if (iy < 0 || iy >= height) continue;
        for (let kx = 0; kx < kw; kx++) {
          const ix = ox * sw + kx - left;
          if (ix < 0 || ix >= width) continue;
          const inOffset = (iy * width + ix) * channels, wOffset = (ky * kw + kx) * channels * filters;
          for (let c = 0; c < channels; c++) {
            const v = input[inOffset + c];
            if (v === 0) continue;
            const row = wOffset + c * filters;
            for (let f = 0; f < filters; f++) acc[f] += v * kernel[row + f];
          }
        }
      }
      const o = (oy * outW + ox) * filters;
      for (let f = 0; f < filters; f++) out[o + f] = fn ? fn(acc[f]) : acc[f];
    }
    return out;
  } };
}

function conv2dTranspose(layer, [height, width, channels], w) {
  // The gradient of a forward conv from the output to the input: every input pixel scatters a kernel.
  const [outH, outW, filters] = layer.output_shape, [kh, kw] = layer.kernel_size, [sh, sw] = layer.strides;
  const same = layer.padding === "same", top = padBefore(same, height, sh, kh, outH), left = padBefore(same, width, sw, kw, outW);
  const kernel = w(layer.kernel), bias = w(layer.bias), fn = activation(layer.activation);  // (kh, kw, in, out)
  const acc = new Float64Array(outH * outW * filters), out = new Float32Array(acc.length);
  return { shape: layer.output_shape, run(input) {
    for (let p = 0; p < outH * outW; p++) acc.set(bias, p * filters);
    for (let iy = 0; iy < height; iy++) for (let ix = 0; ix < width; ix++) {
      const inOffset = (iy * width + ix) * channels;
      for (let ky = 0; ky < kh; ky++) {
        const oy = iy * sh + ky - top;
        if (oy < 0 || oy >= outH) continue;
        for (let kx = 0; kx < kw; kx++) {
          const ox = ix * sw + kx - left;
          if (ox < 0 || ox >= outW) continue;
          const o = (oy * outW + ox) * filters, wOffset = (ky * kw + kx) * channels * filters;
          for (let c = 0; c < channels; c++) {
            const v = input[inOffset + c];
            if (v === 0) continue;
            const row = wOffset + c * filters;
            for (let f = 0; f < filters; f++) acc[o + f] += v * kernel[row + f];
          }
        }
      }
    }
    for (let i = 0; i < acc.length; i++) out[i] = fn ? fn(acc[i]) : acc[i];
    return out;
  } };
}

function upsampling2d(layer, [height, width, channels]) {
  const [sy, sx] = layer.size, outH = height * sy, outW = width * sx, out = new Float32Array(outH * outW * channels);
  return { shape: [outH, outW, channels], run(input) {
    for (let y = 0; y < outH; y++) for (let x = 0; x < outW; x++) {
      const from = (Math.floor(y / sy) * width + Math.floor(x / sx)) * channels;
      out.set(input.subarray(from, from + channels), (y * outW + x) * channels);
    }
    return out;
  } };
}

function maxpool2d(layer, [height, width, channels]) {
  const [outH, outW] = layer.output_shape, [ph, pw] = layer.pool_size, [sh, sw] = layer.strides;
  const same = layer.padding === "same", top = padBefore(same, outH, sh, ph, height), left = padBefore(same, outW, sw, pw, width);
  const out = new Float32Array(outH * outW * channels);
  return { shape: layer.output_shape, run(input) {
    for (let oy = 0; oy < outH; oy++) for (let ox = 0; ox < outW; ox++) for (let c = 0; c < channels; c++) {
      let best = -Infinity;
      for (let ky = 0; ky < ph; ky++) for (let kx = 0; kx < pw; kx++) {
        const iy = oy * sh + ky - top, ix = ox * sw + kx - left;
        if (iy >= 0 && iy < height && ix >= 0 && ix < width) best = Math.max(best, input[(iy * width + ix) * channels + c]);
      }
      out[(oy * outW + ox) * channels + c] = best;
    }
    return out;
  } };
}

function cropping2d(layer, [height, width, channels]) {
  const [top, bottom, left, right] = layer.cropping, outH = height - top - bottom, outW = width - left - right;
  const out = new Float32Array(outH * outW * channels);
  return { shape: [outH, outW, channels], run(input) {
    for (let y = 0; y < outH; y++) {
      const from = ((y + top) * width + left) * channels;
      out.set(input.subarray(from, from + outW * channels), y * outW * channels);
    }
    return out;
  } };
}

function repeatVector(layer, shape) {
  const size = shape[0], out = new Float32Array(layer.n * size);
  return { shape: [layer.n, size], repeats: true, run(input) {
    for (let t = 0; t < layer.n; t++) out.set(input.subarray(0, size), t * size);
    return out;
  } };
}

function lstm(layer, [steps, inputs], w, repeatedInput) {
  const units = layer.units, gates = 4 * units;  // gate order i, f, c (candidate), o
  const kernel = w(layer.kernel), recurrent = w(layer.recurrent_kernel), bias = w(layer.bias);
  const act = activation(layer.activation) ?? (x => x), gate = activation(layer.recurrent_activation) ?? (x => x);
  const xw = new Float64Array(steps * gates), z = new Float64Array(gates), h = new Float64Array(units), c = new Float64Array(units);
  const out = new Float32Array(layer.return_sequences ? steps * units : units);
  const project = (input, t) => {  // x_t W + b into xw[t]
    const row = xw.subarray(t * gates, (t + 1) * gates);
    row.set(bias);
    for (let i = 0; i < inputs; i++) {
      const v = input[t * inputs + i];
      if (v === 0) continue;
      for (let j = 0; j < gates; j++) row[j] += v * kernel[i * gates + j];
    }
  };
  return { shape: layer.return_sequences ? [steps, units] : [units], run(input) {
    if (repeatedInput) { project(input, 0); for (let t = 1; t < steps; t++) xw.copyWithin(t * gates, 0, gates); }
    else for (let t = 0; t < steps; t++) project(input, t);
    h.fill(0); c.fill(0);
    for (let t = 0; t < steps; t++) {
      z.set(xw.subarray(t * gates, (t + 1) * gates));
      for (let i = 0; i < units; i++) {
        const v = h[i];
        if (v === 0) continue;
        for (let j = 0; j < gates; j++) z[j] += v * recurrent[i * gates + j];
      }
      for (let u = 0; u < units; u++) {
        c[u] = gate(z[units + u]) * c[u] + gate(z[u]) * act(z[2 * units + u]);
        h[u] = gate(z[3 * units + u]) * act(c[u]);
      }
      if (layer.return_sequences) for (let u = 0; u < units; u++) out[t * units + u] = h[u];
    }
    if (!layer.return_sequences) out.set(h);
    return out;
  } };
}

function scaleShift(layer, shape, w) {
  const scale = w(layer.scale), shift = w(layer.shift), channels = scale.length;
  const out = new Float32Array(shape.reduce((a, b) => a * b, 1));
  return { shape, run(input) {
    for (let i = 0; i < out.length; i++) out[i] = input[i] * scale[i % channels] + shift[i % channels];
    return out;
  } };
}

function activationLayer(layer, shape) {
  const fn = activation(layer.activation), out = new Float32Array(shape.reduce((a, b) => a * b, 1));
  return { shape, run(input) { out.set(input); applyInPlace(out, fn); return out; } };
}

const LAYERS = { dense, conv2d, conv2d_transpose: conv2dTranspose, upsampling2d, maxpool2d, cropping2d,
                 repeat_vector: repeatVector, lstm, scale_shift: scaleShift, activation: activationLayer,
                 reshape: (layer) => ({ shape: layer.target_shape, run: input => input }) };

// spec: aecore.webexport's JSON; weights: a Float32Array (or ArrayBuffer) of every array, in spec order.
export function compileDecoder(spec, weights) {
  const all = weights instanceof Float32Array ? weights : new Float32Array(weights);
  const w = ref => all.subarray(ref.offset, ref.offset + ref.shape.reduce((a, b) => a * b, 1));
  let shape = spec.input_shape, repeats = false;
  const steps = spec.layers.map(layer => {
    const build = LAYERS[layer.type];
    if (!build) throw new Error(`layer ${layer.name} (${layer.type}) has no in-browser version`);
    const step = build(layer, shape, w, repeats);
    shape = step.shape; repeats = !!step.repeats;
    return step;
  });
  const inputSize = spec.input_shape.reduce((a, b) => a * b, 1), code = new Float32Array(inputSize);
  return { inputSize, outputShape: spec.output_shape, run(values) {
    code.set(values);
    let x = code;
    for (const step of steps) x = step.run(x);
    return x;  // (h, w, c) row-major, reused by the next call
  } };
}

export function base64ToBytes(text) {  // for the parity test and the bench, which pass text into the page
  const binary = atob(text), bytes = new Uint8Array(binary.length);
  for (let i = 0; i < binary.length; i++) bytes[i] = binary.charCodeAt(i);
  return bytes;
}

// A painter for one canvas: (h, w, c) values -> clipped pixels, scaled up without smoothing.
export function painter(canvas, [height, width, channels]) {
  const small = document.createElement("canvas");
  small.width = width; small.height = height;
  const smallContext = small.getContext("2d"), image = smallContext.createImageData(width, height), pixels = image.data;
  const context = canvas.getContext("2d");
  context.imageSmoothingEnabled = false;
  return values => {
    for (let p = 0; p < width * height; p++) {
      for (let k = 0; k < 3; k++) {
        const v = values[p * channels + (channels === 1 ? 0 : k)];
        pixels[4 * p + k] = v <= 0 ? 0 : v >= 1 ? 255 : Math.round(v * 255);
      }
      pixels[4 * p + 3] = 255;
    }
    smallContext.putImageData(image, 0, 0);
    context.drawImage(small, 0, 0, canvas.width, canvas.height);
    canvas.dataset.frames = String(Number(canvas.dataset.frames || 0) + 1);
    if (canvas.isConnected) REGISTRY.firstFrame ??= performance.now();  // ms since the page started loading
  };
}

// ------------------------------------------------------------------ the model, sent once per page
// dashboard/livedecoder.py's packed_weights: "AEW1", the header's length (uint32 LE), the JSON header
// {key, spec}, the float32 weights. Streamlit hands the bytes over at any offset, hence the copy.
export function unpackWeights(bytes) {
  if (String.fromCharCode(...bytes.subarray(0, 4)) !== "AEW1") throw new Error("not a live decoder weights message");
  const length = new DataView(bytes.buffer, bytes.byteOffset + 4, 4).getUint32(0, true);
  const header = JSON.parse(new TextDecoder().decode(bytes.subarray(8, 8 + length)));
  return { ...header, weights: new Float32Array(bytes.slice(8 + length).buffer) };  // a copy, so aligned
}
function register(bytes) {  // the weights' own element: a decoder for the views, or why there is none
  const model = unpackWeights(bytes);
  if (REGISTRY.decoders.has(model.key)) return;
  try { REGISTRY.decoders.set(model.key, compileDecoder(model.spec, model.weights)); }
  catch (error) { REGISTRY.failed.set(model.key, error); }
  for (const resolve of REGISTRY.waiting.get(model.key) ?? []) resolve();
  REGISTRY.waiting.delete(model.key);
}
function whenRegistered(key, milliseconds = null) {
  return new Promise(resolve => {
    const list = REGISTRY.waiting.get(key) ?? [];
    list.push(resolve); REGISTRY.waiting.set(key, list);
    if (milliseconds !== null) setTimeout(resolve, milliseconds);
  });
}
async function decoderFor(key, setTriggerValue) {  // the weights' own element follows the first view
  const ready = () => { if (REGISTRY.failed.has(key)) throw REGISTRY.failed.get(key); return REGISTRY.decoders.get(key); };
  if (!ready()) await whenRegistered(key, 5000);
  if (!ready() && !REGISTRY.asked.has(key)) {  // lost (this page has not got them): Python resends them, once
    REGISTRY.asked.add(key);
    setTriggerValue("need", key);
  }
  while (!ready()) await whenRegistered(key);
  return ready();
}

// ------------------------------------------------------------------ small DOM helpers
const element = (tag, attributes = {}, parent = null) => {
  const node = document.createElement(tag);
  for (const [name, value] of Object.entries(attributes)) {
    if (name === "text") node.textContent = value; else node.setAttribute(name, value);
  }
  if (parent) parent.appendChild(node);
  return node;
};
function liveCanvas(parent, shape, label) {
  const side = 224, canvas = element("canvas", { class: "decoded", width: side, height: Math.round(side * shape[0] / shape[1]),
                                                 role: "img", "aria-label": `decoded image (${label})` }, parent);
  return { canvas, paint: painter(canvas, shape) };
}
// A range input is keyboard-usable and draggable; role and aria-valuenow are kept explicit for tests and readers.
function slider(parent, { label, low, high, value, step }, onInput, onRelease) {
  const row = element("label", { class: "slider" }, parent);
  element("span", { class: "name", text: label }, row);
  const input = element("input", { type: "range", min: low, max: high, step, role: "slider", "aria-label": label,
                                   "aria-valuemin": low, "aria-valuemax": high }, row);
  const readout = element("span", { class: "value" }, row);
  const show = v => { input.setAttribute("aria-valuenow", Number(v).toFixed(3)); readout.textContent = Number(v).toFixed(2); };
  input.value = value; show(value);
  input.addEventListener("input", () => { show(input.value); onInput(Number(input.value)); });
  input.addEventListener("change", () => onRelease(Number(input.value)));  // pointer release, or each key press
  return { input, set(v) { input.value = v; show(v); } };  // the exact value, not the one snapped to a step
}
function debounce(fn, milliseconds) {  // key presses fire `change` each: send the last one only
  let timer = null;
  return (...args) => { clearTimeout(timer); timer = setTimeout(() => fn(...args), milliseconds); };
}
function seededRandom(seed) {  // mulberry32, then Box-Muller: repeatable "random code" draws
  let a = seed >>> 0;
  const uniform = () => { a = (a + 0x6d2b79f5) >>> 0; let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t; return ((t ^ (t >>> 14)) >>> 0) / 4294967296; };
  return () => Math.sqrt(-2 * Math.log(1 - uniform())) * Math.cos(2 * Math.PI * uniform());
}

// ------------------------------------------------------------------ view 1: one slider per dimension
function slidersView(root, data, decoder, send) {
  const code = Float32Array.from(data.code), shape = data.output_shape;
  const columns = element("div", { class: "columns" }, root), left = element("div", { class: "controls" }, columns);
  const picture = decoder ? liveCanvas(element("div", { class: "picture" }, columns), shape, "sliders") : null;
  const draw = () => picture && picture.paint(decoder.run(code));
  const release = debounce(() => send("code", Array.from(code)), 250);
  let first = 0, sliders = [];
  const windowSize = data.window, count = code.length;
  const bar = element("div", { class: "bar" }, left);
  if (count > windowSize) {
    const select = element("select", { "aria-label": "dimensions shown" }, bar);
    for (let start = 0; start < count; start += windowSize)
      element("option", { value: start, text: `z${start}–z${Math.min(start + windowSize, count) - 1}` }, select);
    select.onchange = () => { first = Number(select.value); build(); };
  }
  const list = element("div", { class: "list" }, left);
  const build = () => {
    list.replaceChildren();
    sliders = [];
    for (let dim = first; dim < Math.min(first + windowSize, count); dim++) {
      const low = data.low[dim], high = data.high[dim];
      sliders.push([dim, slider(list, { label: `z${dim}`, low, high, value: code[dim], step: (high - low) / 100 },
                                v => { code[dim] = v; draw(); }, release)]);
    }
  };
  const setAll = values => { code.set(values); for (const [dim, s] of sliders) s.set(code[dim]); draw(); };
  const choose = values => { setAll(values); release(); };
  let seed = data.seed;
  const buttons = element("div", { class: "buttons" }, left);
  element("button", { type: "button", text: "Reset" }, buttons).onclick = () => choose(data.start);
  element("button", { type: "button", text: "Random code" }, buttons).onclick = () => {
    const normal = seededRandom(seed++);
    choose(code.map((_, d) => Math.min(data.high[d], Math.max(data.low[d], data.mean[d] + data.std[d] * normal()))));
  };
  build(); draw();
  return { update(next) { setAll(next.code); } };
}

// ------------------------------------------------------------------ view 2: a latent plane under the mouse
function planeView(root, data, decoder, send) {
  const code = Float32Array.from(data.code), [dimX, dimY] = data.dims, [[x0, x1], [y0, y1]] = data.ranges;
  const columns = element("div", { class: "columns" }, root);
  const holder = element("div", { class: "plane-holder" }, columns);
  const plane = element("canvas", { class: "plane", width: 440, height: 440, tabindex: 0,
                                    "aria-label": `latent plane z${dimX} across, z${dimY} up` }, holder);
  const side = element("div", { class: "picture" }, columns);
  const picture = decoder ? liveCanvas(side, data.output_shape, "plane") : null;
  const readout = element("div", { class: "readout" }, side);
  element("div", { class: "legend" }, holder).innerHTML = data.legend.map(
    ([name, colour]) => `<span><i style="background:${colour}"></i>${name}</span>`).join("");
  const context = plane.getContext("2d"), size = plane.width, pad = 10, span = size - 2 * pad;
  const toPixel = (x, y) => [pad + (x - x0) / (x1 - x0) * span, pad + (1 - (y - y0) / (y1 - y0)) * span];
  const toCode = (px, py) => [x0 + (px - pad) / span * (x1 - x0), y0 + (1 - (py - pad) / span) * (y1 - y0)];
  const background = document.createElement("canvas");
  background.width = background.height = size;
  const drawBackground = () => {  // a faint n x n grid of decoded codes behind the points: what each region draws
    const cell = span / data.grid, tile = document.createElement("canvas");
    tile.width = data.output_shape[1]; tile.height = data.output_shape[0];
    const paintTile = painter(tile, data.output_shape), b = background.getContext("2d");
    for (let row = 0; row < data.grid; row++) for (let column = 0; column < data.grid; column++) {
      const probe = Float32Array.from(code);
      [probe[dimX], probe[dimY]] = toCode(pad + (column + 0.5) * cell, pad + (row + 0.5) * cell);
      paintTile(decoder.run(probe));
      b.imageSmoothingEnabled = false;
      b.drawImage(tile, pad + column * cell, pad + row * cell, cell, cell);
    }
    redraw();
  };
  let marker = [code[dimX], code[dimY]], cursor = null, clicked = false;  // the red ring: the code the sliders hold
  const redraw = () => {
    context.fillStyle = "white"; context.fillRect(0, 0, size, size);
    context.globalAlpha = 0.6; context.drawImage(background, 0, 0); context.globalAlpha = 0.9;
    for (const [x, y, k] of data.points) {
      const [px, py] = toPixel(x, y);
      context.fillStyle = data.colors[k % data.colors.length];
      context.fillRect(px - 1.5, py - 1.5, 3, 3);
    }
    context.globalAlpha = 1;
    for (const [point, colour] of [[marker, "#dc2626"], [cursor, "#111827"]]) {
      if (!point) continue;
      const [px, py] = toPixel(...point);
      context.strokeStyle = colour; context.lineWidth = 2;
      context.beginPath(); context.arc(px, py, 6, 0, 2 * Math.PI); context.stroke();
    }
  };
  const show = (x, y) => {
    code[dimX] = x; code[dimY] = y;
    if (picture) picture.paint(decoder.run(code));
    const pinned = clicked && x === marker[0] && y === marker[1];
    readout.textContent = `z${dimX} = ${x.toFixed(2)}, z${dimY} = ${y.toFixed(2)}${pinned ? " (pinned)" : ""}`;
  };
  const fromEvent = event => {
    const box = plane.getBoundingClientRect();
    return toCode((event.clientX - box.left) * size / box.width, (event.clientY - box.top) * size / box.height);
  };
  plane.addEventListener("pointermove", event => { cursor = fromEvent(event); redraw(); show(...cursor); });
  plane.addEventListener("pointerleave", () => { cursor = null; redraw(); if (marker) show(...marker); });
  const pin = point => { marker = point; clicked = true; redraw(); show(...point); send("pinned", Array.from(code)); };
  plane.addEventListener("click", event => pin(fromEvent(event)));
  plane.addEventListener("keydown", event => {  // arrows move the pin by 1/50 of the range; Enter sends it
    const [dx, dy] = { ArrowLeft: [-1, 0], ArrowRight: [1, 0], ArrowUp: [0, 1], ArrowDown: [0, -1] }[event.key] ?? [0, 0];
    if (!dx && !dy) return;
    event.preventDefault();
    const [x, y] = marker;
    marker = [Math.min(x1, Math.max(x0, x + dx * (x1 - x0) / 50)), Math.min(y1, Math.max(y0, y + dy * (y1 - y0) / 50))];
    clicked = true; redraw(); show(...marker); sendPin();
  });
  const sendPin = debounce(() => send("pinned", Array.from(code)), 400);
  redraw();
  show(...marker);
  if (decoder) setTimeout(drawBackground, 0);  // after the first live frame: n x n decodes take a moment
  return null;
}

// ------------------------------------------------------------------ view 3: interpolation between two images
function interpolateView(root, data, decoder, send) {
  const a = Float32Array.from(data.a), b = Float32Array.from(data.b), code = new Float32Array(a.length);
  const row = element("div", { class: "strip" }, root);
  const end = (src, caption) => {
    const figure = element("figure", {}, row);
    element("img", { src, alt: caption, width: 140, height: Math.round(140 * data.output_shape[0] / data.output_shape[1]) }, figure);
    element("figcaption", { text: caption }, figure);
  };
  end(data.images[0], data.labels[0]);
  const middle = element("figure", {}, row);
  const picture = decoder ? liveCanvas(middle, data.output_shape, "interpolation") : null;
  end(data.images[1], data.labels[1]);
  const draw = t => {
    for (let i = 0; i < code.length; i++) code[i] = a[i] + t * (b[i] - a[i]);
    if (picture) picture.paint(decoder.run(code));
  };
  const release = debounce(t => send("t", t), 250);
  slider(root, { label: "weight of B", low: 0, high: 1, value: data.t, step: 0.01 }, draw, release);
  draw(data.t);
  return null;
}

const VIEWS = { sliders: slidersView, plane: planeView, interpolate: interpolateView };

async function mount(component) {
  const { data, parentElement, setStateValue, setTriggerValue } = component;
  const root = parentElement.querySelector("div.live");
  if (data.model && !REGISTRY.decoders.has(data.model.key) && !root.__live) {
    root.replaceChildren(element("p", { text: "Loading the decoder…" }));
  }
  const decoder = data.model ? await decoderFor(data.model.key, setTriggerValue) : null;
  // Reruns bring the same view back: keep the DOM (and a drag in progress) unless what it shows changed.
  const signature = JSON.stringify([data.view, data.model?.key ?? null, data.signature]);
  const state = root.__live;
  if (state && state.signature === signature) {
    if (state.view && JSON.stringify(data.code) !== state.code) state.view.update(data);
    state.code = JSON.stringify(data.code);
    return;
  }
  root.replaceChildren();
  const view = VIEWS[data.view](root, data, decoder, setStateValue);
  root.__live = { signature, view, code: JSON.stringify(data.code) };
}

function showError(component, text) {
  component.parentElement.querySelector("div.live").replaceChildren(element("p", { class: "error", text }));
}

export default function (component) {
  if (component.data instanceof Uint8Array) {  // the weights' own element: shows nothing unless they are broken
    try { register(component.data); } catch (error) {
      showError(component, `The live decoder's weights could not be read: ${error.message}`);
    }
    return;
  }
  mount(component).catch(error => showError(component, `The live decoder failed: ${error.message}`));
}
