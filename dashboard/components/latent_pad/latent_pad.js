// The pad beside the whole-dataset map: draw, drop, paste or open a picture, and its code is computed here, in the
// page, by the model's encoder (exported by aecore/models/webexport.py, run by the layer maths of
// live_decoder/decoder_math.js) on every animation frame while you draw. Its point moves on the map (the star),
// with its reconstruction and the 8 nearest codes of the whole dataset beside it. Placement: PCA exactly (the map's
// mean and two components); UMAP and t-SNE from the k nearest codes (distance-weighted mean of their places).
// The map asks the pad what the decoder draws at an empty spot under the mouse (the inverse: PCA exactly, else a
// distance-weighted mean of the codes of the k nearest map points) and to pin a spot on a click.
// Python hears only: an opened file (converted on the server as the Denoise page converts uploads), the code when a
// stroke ends on a UMAP or t-SNE map (the server places it again by umap-learn's or openTSNE's transform, which the
// star then takes), and "open in the Latent sampler" with the code. Its answers come on the pad_reply element.
// Longer than 300 lines: one class, the pad, whose parts (the picture, its code and place, the map's spots, paths)
// share its state; its arithmetic is in pad_math.js and its input in pad_input.js.
const PAD_MAGIC = "AEPAD1\0\0";
const SIDE = 280;  // CSS pixels of the drawing surface
const NEAREST = 8;  // neighbours shown
const MAX_UNDO = 30;
const PATH_STEPS = 8;
const PADS = (globalThis.__aecoreMaps ??= { maps: new Map(), spots: new Map() });
const REFINERS = { umap: "umap-learn's transform", tsne: "openTSNE's transform" };
let pictures = 0;  // every picture a pad shows gets an id of its own, so a late answer never moves a newer picture

class LatentPad {
  constructor(root, message, setTriggerValue) {
    this.root = root;
    this.setTriggerValue = setTriggerValue;
    this.surface = root.querySelector("canvas.surface");
    this.tool = "pen"; this.undoStack = []; this.pins = []; this.clicked = null; this.route = [];
    this.updates = 0;
    this.picture = ++pictures; this.refined = null; this.releaseWanted = false;
    this.stats = { latencies: [], updateMs: [] };  // ms from a pen event to its drawn result, and per update (bench/pad.py)
    this.load(message);
    this.bind();
  }

  load({ header, arrays }) {
    this.header = header;
    const [height, width, channels] = header.image_shape;
    this.shape = header.image_shape; this.channels = channels;
    this.encoder = header.encoder ? compileDecoder(header.encoder, arrays.encoder) : null;
    this.decoder = compileDecoder(header.decoder, arrays.decoder);
    const d = this.d = header.code_size, q = arrays.codes, low = header.code_low, step = header.code_step;
    this.codes = new Float32Array(q.length);  // int8 on the wire (a quarter of float32), float32 here
    for (let i = 0; i < q.length; i++) this.codes[i] = low[i % d] + (q[i] + 127) * step[i % d];
    this.search = header.search;  // long codes: `codes` are their top principal components (mean, basis)
    this.positions = arrays.positions; this.rank = arrays.rank; this.kinds = arrays.kinds;
    this.scale = Math.max(1, Math.floor(SIDE / Math.max(height, width)));
    this.surface.width = width * this.scale; this.surface.height = height * this.scale;
    this.background = header.dark_background ? "#000000" : "#ffffff";
    const picker = this.root.querySelector("input.colour");
    picker.value = header.dark_background ? "#ffffff" : "#000000";
    this.root.querySelector(".colour-pick").style.display = channels === 3 ? "" : "none";
    this.root.querySelector("input.brush").value = String(Math.max(0.5, Math.round(width / 11 * 2) / 2));
    this.sheets = new SheetCache();
    this.small = document.createElement("canvas");
    this.small.width = width; this.small.height = height;
    this.clear(false);
    this.root.querySelector(".note").textContent = header.note || "";
    (PADS.pads ??= new Map()).set(header.key, this);
    PADS.spots.set(header.map_key, {
      paint: (u, v, canvas) => this.paintSpot(u, v, canvas),
      pin: (u, v) => this.pin(u, v),
      clicked: index => this.pickedOnMap(index),
    });
    this.root.dataset.ready = "true";
    this.root.dataset.readyAt = performance.now().toFixed(1);
    const waiting = PADS.replies?.get(header.key);
    if (waiting) this.receive(waiting);
  }

  // ------------------------------------------------------------------ the picture
  context() { return this.surface.getContext("2d", { willReadFrequently: true }); }

  clear(update = true) {
    const context = this.context();
    context.fillStyle = this.background;
    context.fillRect(0, 0, this.surface.width, this.surface.height);
    this.blank = true;
    this.newPicture();
    if (update) this.changed();
  }

  remember() {
    this.undoStack.push(this.context().getImageData(0, 0, this.surface.width, this.surface.height));
    if (this.undoStack.length > MAX_UNDO) this.undoStack.shift();
  }

  undo() {
    const last = this.undoStack.pop();
    if (last) { this.context().putImageData(last, 0, 0); this.newPicture(); this.released(); }
  }

  stroke(from, to) {
    const context = this.context(), brush = Number(this.root.querySelector("input.brush").value) * this.scale;
    context.strokeStyle = this.tool === "eraser" ? this.background : this.root.querySelector("input.colour").value;
    context.lineWidth = brush; context.lineCap = "round"; context.lineJoin = "round";
    context.beginPath(); context.moveTo(...from); context.lineTo(...to); context.stroke();
    this.blank = false;
    this.newPicture();
    this.changed();
  }

  // The surface at the model's size, as (h, w, c) values in [0, 1]
  values() {
    const [height, width, channels] = this.shape, context = this.small.getContext("2d", { willReadFrequently: true });
    context.imageSmoothingEnabled = true; context.imageSmoothingQuality = "high";
    context.drawImage(this.surface, 0, 0, width, height);
    const pixels = context.getImageData(0, 0, width, height).data, out = new Float32Array(height * width * channels);
    for (let p = 0; p < width * height; p++) {
      if (channels === 1) out[p] = (pixels[4 * p] + pixels[4 * p + 1] + pixels[4 * p + 2]) / 765;
      else for (let k = 0; k < 3; k++) out[3 * p + k] = pixels[4 * p + k] / 255;
    }
    return out;
  }

  // Pixels the server converted (an opened file, or a dataset image): drawn onto the surface, scaled up
  putValues(values) {
    const [height, width, channels] = this.shape;
    const image = new ImageData(width, height);
    for (let p = 0; p < width * height; p++) {
      for (let k = 0; k < 3; k++) image.data[4 * p + k] = Math.round(255 * values[p * channels + (channels === 1 ? 0 : k)]);
      image.data[4 * p + 3] = 255;
    }
    this.remember();
    this.small.getContext("2d").putImageData(image, 0, 0);
    const context = this.context();
    context.imageSmoothingEnabled = false;
    context.drawImage(this.small, 0, 0, this.surface.width, this.surface.height);
    this.blank = false;
    this.newPicture();
    this.released();
  }

  newPicture() { this.picture = ++pictures; this.refined = null; }

  // A stroke ended, or a picture was put or undone: once its code is computed, a UMAP or t-SNE map asks the server to
  // place it by the reducer's own transform (measured closer to the true place than the nearest codes: bench/placement.py)
  released() { this.releaseWanted = true; this.changed(); }

  askRefinement() {
    this.releaseWanted = false;
    const method = this.header.map_method;
    if (!this.code || !REFINERS[method] || this.header.placement.kind === "pca") return;
    this.root.dataset.refined = "pending";
    this.setTriggerValue("release", { id: this.picture, code: Array.from(this.code) });
  }

  // ------------------------------------------------------------------ code, place, reconstruction, neighbours
  changed() {
    if (this.frame) return;
    this.frame = requestAnimationFrame(() => { this.frame = 0; this.update(); });
  }

  encode(values) {
    return this.encoder ? Float32Array.from(this.encoder.run(values)) : null;
  }

  toSearch(code) {  // a model code -> the space `codes` are in
    if (!this.search) return code;
    const { mean, basis } = this.search;
    return Float32Array.from(basis, row => row.reduce((sum, value, j) => sum + value * (code[j] - mean[j]), 0));
  }

  fromSearch(row) {  // back: mean + row . basis
    if (!this.search) return Float32Array.from(row);
    const { mean, basis } = this.search;
    return Float32Array.from(mean, (value, j) => basis.reduce((sum, axis, k) => sum + row[k] * axis[j], value));
  }

  place(code) {  // -> [u, v, nearest indices, their distances]
    const placement = this.header.placement;
    const [indices, distances] = nearestRows(this.codes, this.d, this.toSearch(code), Math.max(NEAREST, placement.k || 0));
    if (placement.kind === "pca") {
      let x = 0, y = 0;
      for (let j = 0; j < placement.mean.length; j++) {
        const centred = code[j] - placement.mean[j];
        x += centred * placement.components[0][j]; y += centred * placement.components[1][j];
      }
      return [(x - placement.centre[0]) / placement.span + 0.5, (y - placement.centre[1]) / placement.span + 0.5, indices, distances];
    }
    const k = placement.k, [u, v] = weightedMean(this.positions, 2, indices.slice(0, k), distances.slice(0, k));
    return [u, v, indices, distances];
  }

  codeAt(u, v) {  // the inverse: a spot of the map -> a code
    const placement = this.header.placement;
    if (placement.kind === "pca") {
      const x = (u - 0.5) * placement.span + placement.centre[0], y = (v - 0.5) * placement.span + placement.centre[1];
      return Float32Array.from(placement.mean, (mean, j) => mean + x * placement.components[0][j] + y * placement.components[1][j]);
    }
    const [indices, distances] = nearestRows(this.positions, 2, [u, v], placement.k);
    return this.fromSearch(weightedMean(this.codes, this.d, indices, distances));
  }

  update() {
    const started = performance.now();
    const values = this.values();
    paintValues(this.root.querySelector("canvas.input"), values, this.shape);
    this.code = this.blank ? null : (this.encode(values) ?? this.serverCode);
    const map = PADS.maps.get(this.header.map_key);
    if (!this.code) {
      map?.showProbe(this.pins.length ? { u: null, v: null, pins: this.pins.map(pin => [pin.u, pin.v]) } : null);
      this.root.querySelector(".where").textContent = this.encoder ? "" : this.header.server_reason || "";
      this.releaseWanted = false;
      this.enableActions();
      return;
    }
    const [nearU, nearV, indices, distances] = this.place(this.code);
    const refined = this.refined?.id === this.picture ? this.refined : null;
    const [u, v] = refined ? [refined.u, refined.v] : [nearU, nearV];
    this.placed = { u, v };
    paintValues(this.root.querySelector("canvas.recon"), this.decoder.run(this.code), this.shape);
    const shown = indices.slice(0, NEAREST);
    map?.showProbe({ u, v, neighbours: shown, route: this.route, pins: this.pins.map(pin => [pin.u, pin.v]) });
    this.describe(shown, distances, refined);
    this.neighbours(shown);
    this.enableActions();
    this.updates += 1;
    const done = performance.now();
    this.stats.updateMs.push(done - started);
    if (this.lastInput) { this.stats.latencies.push(done - this.lastInput); this.lastInput = 0; }
    this.root.dataset.updates = String(this.updates);
    this.root.dataset.updateMs = (done - started).toFixed(1);
    this.root.dataset.place = `${u.toFixed(4)},${v.toFixed(4)}`;
    if (this.releaseWanted) this.askRefinement();
  }

  describe(shown, distances, refined) {
    const names = this.header.classes || [], where = this.root.querySelector(".where");
    const tally = new Map();
    for (const index of shown) tally.set(this.kinds[index], (tally.get(this.kinds[index]) || 0) + 1);
    const [kind, count] = [...tally.entries()].sort((a, b) => b[1] - a[1])[0] || [null, 0];
    const method = refined ? `by ${refined.how} on release; while you draw, from its ${this.header.placement.k} nearest codes`
      : { pca: "exactly, by the map's PCA", neighbours: `from its ${this.header.placement.k} nearest codes` }[this.header.placement.kind];
    where.textContent = names.length && kind !== null
      ? `Its code lands among ${names[kind] ?? kind}: ${count} of its ${shown.length} nearest codes (the star on the map, placed ${method}).`
      : `Its code lands at the star on the map (placed ${method}).`;
    this.root.querySelector(".neighbours-title").textContent =
      `The ${shown.length} nearest codes of all ${this.kinds.length.toLocaleString()} (distance ${distances[0].toFixed(2)} to ${distances[shown.length - 1].toFixed(2)}):`;
  }

  async thumbnail(canvas, index) {
    const { sheet_url: url, sheet_side: side, side_w: width, side_h: height } = this.header;
    if (!url) return;
    const place = this.rank ? this.rank[index] : index, sheet = await this.sheets.sheetOf(url, side, place);
    if (sheet) drawSheetCell(canvas, sheet, side, place, width, height);
  }

  neighbours(indices) {
    const box = this.root.querySelector(".neighbours"), names = this.header.classes || [];
    const key = indices.join(",");
    if (box.dataset.key === key) return;  // the same neighbours: keep their thumbnails
    box.dataset.key = key;
    box.replaceChildren();
    for (const index of indices) {
      const figure = make("figure", "", box), canvas = make("canvas", "", figure);
      canvas.width = this.header.side_w; canvas.height = this.header.side_h;
      make("figcaption", "", figure, `#${index} ${names[this.kinds[index]] ?? ""}`);
      this.thumbnail(canvas, index);
    }
  }

  // ------------------------------------------------------------------ the map's empty spots, pins, paths
  paintSpot(u, v, canvas) {
    const started = performance.now();
    const values = this.decoder.run(this.codeAt(u, v));
    const [height, width] = this.shape;
    const small = document.createElement("canvas");
    paintValues(small, values, this.shape);
    const context = canvas.getContext("2d");
    context.imageSmoothingEnabled = false;
    context.drawImage(small, 0, 0, width, height, 0, 0, canvas.width, canvas.height);
    this.root.dataset.spotMs = (performance.now() - started).toFixed(1);
  }

  pin(u, v) {
    const code = this.codeAt(u, v), box = this.root.querySelector(".pins");
    this.pins.push({ u, v, code });
    const figure = make("figure", "", box), canvas = make("canvas", "", figure);
    paintValues(canvas, this.decoder.run(code), this.shape);
    make("figcaption", "", figure, `pin ${this.pins.length}`);
    this.root.dataset.pins = String(this.pins.length);
    this.changed();
  }

  pickedOnMap(index) {
    this.clicked = index;
    const button = this.root.querySelector("button.from-map");
    button.disabled = false;
    button.textContent = `Draw on #${index}`;
    this.enableActions();
  }

  async drawOnClicked() {
    if (this.clicked === null) return;
    const canvas = document.createElement("canvas");
    canvas.width = this.header.side_w; canvas.height = this.header.side_h;
    await this.thumbnail(canvas, this.clicked);
    const [height, width, channels] = this.shape;
    const pixels = canvas.getContext("2d").getImageData(0, 0, width, height).data;
    const values = new Float32Array(height * width * channels);
    for (let p = 0; p < height * width; p++) {
      for (let k = 0; k < channels; k++) values[p * channels + k] = pixels[4 * p + k] / 255;
    }
    this.putValues(values);
  }

  target() {  // where a path goes: the last pin, else the clicked image
    if (this.pins.length) return { code: this.pins[this.pins.length - 1].code, name: `pin ${this.pins.length}` };
    if (this.clicked !== null) {
      return { code: this.fromSearch(this.codes.subarray(this.clicked * this.d, (this.clicked + 1) * this.d)), name: `#${this.clicked}` };
    }
    return null;
  }

  path() {
    const target = this.target();
    if (!this.code || !target) return;
    const strip = this.root.querySelector(".strip");
    strip.replaceChildren();
    this.route = [];
    for (let step = 0; step <= PATH_STEPS; step++) {  // the straight line in code space, decoded and placed
      const t = step / PATH_STEPS, code = Float32Array.from(this.code, (value, j) => (1 - t) * value + t * target.code[j]);
      const figure = make("figure", "", strip), canvas = make("canvas", "", figure);
      paintValues(canvas, this.decoder.run(code), this.shape);
      make("figcaption", "", figure, step === 0 ? "yours" : step === PATH_STEPS ? target.name : `${Math.round(100 * t)}%`);
      const [u, v] = this.place(code);
      this.route.push([u, v]);
    }
    this.root.dataset.route = String(this.route.length);
    this.changed();
  }

  enableActions() {
    this.root.querySelector("button.path").disabled = !(this.code && this.target());
    this.root.querySelector("button.sampler").disabled = !this.code;
    this.root.querySelector("button.unpin").disabled = !this.pins.length;
    this.root.querySelector("button.path").textContent =
      this.pins.length ? `Path to pin ${this.pins.length}` : this.clicked !== null ? `Path to #${this.clicked}` : "Path to the clicked image";
  }

  // ------------------------------------------------------------------ input
  open(file) { openFile(this, file); }

  bind() { bindPad(this); }

  receive(answer) {  // the server's answer (pad_reply.js): a converted file, or the refined place of a released picture
    const { opened, refined } = answer;
    if (opened && opened.id !== this.openedId) {
      this.openedId = opened.id;
      this.root.querySelector(".note").textContent = opened.notes || "";
      if (opened.error) this.root.querySelector(".problem").textContent = opened.error;
      else this.putValues(Float32Array.from(atob(opened.pixels), ch => ch.charCodeAt(0) / 255));
    }
    if (refined && refined.id === this.picture && this.refined?.id !== refined.id) {
      this.refined = refined;
      this.root.dataset.refined = `${refined.u.toFixed(4)},${refined.v.toFixed(4)}`;
      this.changed();
    }
  }
}

export default function (component) {
  const { data, parentElement, setTriggerValue } = component;
  const root = parentElement.querySelector(".pad");
  try {
    if (!(data instanceof Uint8Array || ArrayBuffer.isView(data))) return;
    const message = readMessage(data, PAD_MAGIC);
    if (!root.pad || root.dataset.key !== message.header.key) {
      if (root.pad) root.pad.load(message); else root.pad = new LatentPad(root, message, setTriggerValue);
      root.dataset.key = message.header.key;
    }
    root.pad.setTriggerValue = setTriggerValue;
  } catch (error) {
    root.querySelector(".problem").textContent = `The pad cannot run here: ${error.message}`;
  }
}
