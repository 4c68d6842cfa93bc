// The live decoder: a Keras decoder exported by aecore/models/webexport.py, run in plain JavaScript on every
// input event and drawn to a <canvas>. Three views share it: one slider per latent dimension, a latent
// plane under the mouse, and interpolation between two images. Python hears only releases and clicks.
//
// dashboard/components/live_decoder/decoder_math.js (the layer maths, compileDecoder) comes first in the same module:
// dashboard/components/live_decoder/'s module_source() joins the two, and that one module is both the component's
// script (default export) and what the parity test imports, so the numbers checked against Keras are
// the ones the page draws.

const REGISTRY = (globalThis.__aecoreLive ??=  // per page, by model key: decoders, why one failed, views waiting
  { decoders: new Map(), failed: new Map(), waiting: new Map(), asked: new Set() });

// ------------------------------------------------------------------ the model, sent once per page
// dashboard/components/live_decoder/'s packed_weights: "AEW1", the header's length (uint32 LE), the JSON header
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
function liveCanvas(parent, shape, label, series = false) {
  const side = 224, height = series ? 140 : Math.round(side * shape[0] / shape[1]);
  const canvas = element("canvas", { class: series ? "decoded series" : "decoded", width: series ? 2 * side : side, height,
                                     role: "img", "aria-label": `decoded ${series ? "window" : "image"} (${label})` }, parent);
  return { canvas, paint: paintFor(canvas, shape, series) };
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
  const picture = decoder ? liveCanvas(element("div", { class: "picture" }, columns), shape, "sliders", data.series) : null;
  const minimap = data.minimap ? miniMap(element("div", { class: "minimap" }, columns), data.minimap) : null;
  const draw = () => { if (picture) picture.paint(decoder.run(code)); if (minimap) minimap.show(code); };
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
  const picture = decoder ? liveCanvas(side, data.output_shape, "plane", data.series) : null;
  const readout = element("div", { class: "readout" }, side);
  buildLegend(element("div", { class: "legend" }, holder), data.legend);
  const context = plane.getContext("2d"), size = plane.width, pad = 10, span = size - 2 * pad;
  const toPixel = (x, y) => [pad + (x - x0) / (x1 - x0) * span, pad + (1 - (y - y0) / (y1 - y0)) * span];
  const toCode = (px, py) => [x0 + (px - pad) / span * (x1 - x0), y0 + (1 - (py - pad) / span) * (y1 - y0)];
  const background = document.createElement("canvas");
  background.width = background.height = size;
  const drawBackground = () => {  // a faint n x n grid of decoded codes behind the points: what each region draws
    const cell = span / data.grid, tile = document.createElement("canvas");
    tile.width = data.series ? Math.round(cell) : data.output_shape[1];
    tile.height = data.series ? Math.round(cell) : data.output_shape[0];
    const paintTile = paintFor(tile, data.output_shape, data.series), b = background.getContext("2d");
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
    const height = data.series ? 88 : Math.round(140 * data.output_shape[0] / data.output_shape[1]);
    element("img", { src, alt: caption, width: 140, height }, figure);
    element("figcaption", { text: caption }, figure);
  };
  end(data.images[0], data.labels[0]);
  const middle = element("figure", {}, row);
  const picture = decoder ? liveCanvas(middle, data.output_shape, "interpolation", data.series) : null;
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
