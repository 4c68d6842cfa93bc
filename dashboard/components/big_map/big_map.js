// The whole-dataset map: every point drawn by WebGL2 from one binary message (bigmap.py packs it), so panning
// and zooming change two uniforms and redraw, with no rerun. Hover finds the nearest point through a grid and
// shows its thumbnail, cut from a sheet of 256 the server sends on demand (dashboard/server/sheets.py). A click or a
// lasso (shift+drag, or the Lasso mode) is the only thing Python hears of.
const HOVER_PIXELS = 9;  // farther than this from every point is empty space
// Other components of the page meet the map here, by the map's key: the pad (components/latent_pad) shows where a
// picture's code lands (`probe`) and decodes any empty spot under the mouse (`spots`); neither is needed to draw.
const MAPS = (globalThis.__aecoreMaps ??= { maps: new Map(), spots: new Map() });

class BigMap {
  constructor(root, map, setTriggerValue) {
    this.root = root;
    this.canvas = root.querySelector("canvas.points");
    this.overlay = root.querySelector("canvas.overlay");
    this.tip = root.querySelector(".tip");
    this.setTriggerValue = setTriggerValue;
    this.gl = this.canvas.getContext("webgl2", { antialias: false, premultipliedAlpha: true });
    if (!this.gl) throw new Error("this browser has no WebGL2");
    this.program = compile(this.gl);
    this.sheets = new SheetCache();
    this.view = { zoom: 1, x: 0, y: 0 };  // screen = (unit - [x, y]) * zoom
    this.hidden = 0; this.colouring = 0; this.density = false; this.mode = "pan";
    this.frames = 0;
    this.load(map);
    this.bind();
    new ResizeObserver(() => this.resize()).observe(this.canvas);
    this.resize();
  }

  load(map) {  // a first map, or another one in the same place (another projection, another comparison)
    const gl = this.gl, { header } = map;
    for (const buffer of this.buffers || []) gl.deleteBuffer(buffer);
    if (this.vao) gl.deleteVertexArray(this.vao);  // the previous map's
    this.buffers = []; this.sheets.clear(); this.hidden = 0; this.anyChosen = false; this.hovered = -1;
    this.map = map; this.header = header;
    MAPS.maps.set(header.base_key ?? header.key, this);
    this.probe = null;
    const count = header.count;
    const errors = map.errors, top = header.error_top || 1;
    const values = new Float32Array(count);
    for (let i = 0; i < count; i++) values[i] = Math.min(1, errors[i] / top);
    this.values = values;
    this.chosen = new Float32Array(count);
    this.vao = gl.createVertexArray();
    gl.bindVertexArray(this.vao);
    const attribute = (name, data, size) => {
      const buffer = makeAttribute(gl, this.program, name, data, size, name === "chosen");
      this.buffers.push(buffer);
      return buffer;
    };
    attribute("position", map.positions, 2);
    attribute("kind", Float32Array.from(map.kinds), 1);
    this.valueBuffer = attribute("value", values, 1);
    this.chosenBuffer = attribute("chosen", this.chosen, 1);
    this.trainValues = Float32Array.from(map.train);
    const select = this.root.querySelector("select.colour");
    select.querySelectorAll("option[value=agreement], option.extra").forEach(option => option.remove());
    if (map.agreement) select.add(new Option("agreement with the other model", "agreement"));
    for (const colouring of map.colourings) {  // text, never markup: a label names a score, a time column...
      const option = new Option(colouring.label, `extra:${colouring.key}`);
      option.className = "extra";
      select.add(option);
    }
    this.fitTip();
    if (![...select.options].some(option => option.value === select.value)) select.value = "class";
    if (map.chosen) this.showMask(map.chosen);
    this.grid = buildGrid(this.map.positions, this.header.count);
    this.legend();
    this.recolour(select.value);
  }

  // The tip's picture keeps the thumbnails' shape (a window's curve is wider than tall), at most 160 x 112 pixels.
  fitTip() {
    const picture = this.tip.querySelector("canvas"), { side_w: width, side_h: height } = this.header;
    const scale = Math.min(160 / width, 112 / height);
    picture.width = Math.round(width * scale); picture.height = Math.round(height * scale);
  }

  legend() {
    const palette = this.header.palette;
    buildLegend(this.root.querySelector(".legend"), (this.header.classes || []).map((name, kind) => [name, palette[kind % palette.length]]),
                kind => { this.hidden ^= 1 << kind; this.draw(); });
  }

  resize() {
    const ratio = window.devicePixelRatio || 1, box = this.canvas.getBoundingClientRect();
    for (const canvas of [this.canvas, this.overlay]) {
      canvas.width = Math.max(1, Math.round(box.width * ratio));
      canvas.height = Math.max(1, Math.round(box.height * ratio));
    }
    this.ratio = ratio;
    this.draw();
  }

  // unit square -> CSS pixels of the canvas, and back
  toScreen(u, v) {
    const box = this.canvas.getBoundingClientRect(), side = Math.min(box.width, box.height), pad = 12;
    const scale = (side - 2 * pad) * this.view.zoom;
    const left = (box.width - (side - 2 * pad)) / 2, top = (box.height - (side - 2 * pad)) / 2;
    return [left + (u - this.view.x) * scale, top + (1 - v - this.view.y) * scale];
  }
  toUnit(px, py) {
    const box = this.canvas.getBoundingClientRect(), side = Math.min(box.width, box.height), pad = 12;
    const scale = (side - 2 * pad) * this.view.zoom;
    const left = (box.width - (side - 2 * pad)) / 2, top = (box.height - (side - 2 * pad)) / 2;
    return [(px - left) / scale + this.view.x, 1 - ((py - top) / scale + this.view.y)];
  }

  draw() {
    if (this.pending) return;
    this.pending = requestAnimationFrame(() => { this.pending = 0; this.render(); });
  }

  render() {
    const gl = this.gl, box = this.canvas.getBoundingClientRect();
    if (!box.width) return;
    gl.viewport(0, 0, this.canvas.width, this.canvas.height);
    gl.clearColor(0, 0, 0, 0); gl.clear(gl.COLOR_BUFFER_BIT);
    gl.useProgram(this.program);
    gl.enable(gl.BLEND);
    if (this.density) gl.blendFunc(gl.ONE, gl.ONE); else gl.blendFunc(gl.ONE, gl.ONE_MINUS_SRC_ALPHA);
    const [x0, y0] = this.toScreen(0, 1), [x1, y1] = this.toScreen(1, 0);
    // clip = (position * scale + offset) * 2 - 1 with y flipped: position (u, 1 - v) maps to screen fractions
    // screen fraction = position * scale + offset: x grows right, and y (down the screen) shrinks as v grows
    const set = (name, ...values) => gl[`uniform${values.length}f`](gl.getUniformLocation(this.program, name), ...values);
    set("scale", (x1 - x0) / box.width, -(y1 - y0) / box.height);
    set("offset", x0 / box.width, y1 / box.height);
    const count = this.header.count;
    const base = count > 30000 ? 2.0 : count > 5000 ? 3.0 : 4.5;
    set("size", Math.min(10, base * Math.sqrt(this.view.zoom)) * this.ratio);
    set("density", this.density ? 1 : 0);
    gl.uniform1i(gl.getUniformLocation(this.program, "hidden"), this.hidden);
    gl.uniform1i(gl.getUniformLocation(this.program, "colouring"), this.colouring);
    gl.uniform1i(gl.getUniformLocation(this.program, "anyChosen"), this.anyChosen ? 1 : 0);
    const palette = new Float32Array(48);
    this.header.palette.slice(0, 16).forEach((hex, k) => palette.set(hexToRgb(hex), 3 * k));
    gl.uniform3fv(gl.getUniformLocation(this.program, "palette"), palette);
    gl.bindVertexArray(this.vao);
    gl.drawArrays(gl.POINTS, 0, count);
    this.frames += 1;
    this.root.dataset.frames = String(this.frames);
    if (this.frames === 1) this.root.dataset.firstDrawAt = performance.now().toFixed(1);  // for bench/maps.py
    this.drawOverlay();
  }

  drawOverlay() {
    const toScreen = index => this.toScreen(this.map.positions[2 * index], this.map.positions[2 * index + 1]);
    paintOverlay(this.overlay, this.ratio, toScreen, [[this.header.highlight, "#111827"], [this.hovered, "#f59e0b"]], this.path);
    if (this.probe) paintProbe(this.overlay, this.ratio, (u, v) => this.toScreen(u, v), toScreen, this.probe);
  }

  // Where a picture's code lands ({u, v, neighbours, route, pins}), drawn over the points; null clears it.
  showProbe(probe) {
    this.probe = probe;
    this.root.dataset.probe = probe && probe.u !== null ? `${probe.u.toFixed(4)},${probe.v.toFixed(4)}` : "";
    this.drawOverlay();
  }

  nearest(px, py) {
    const [u, v] = this.toUnit(px, py), [ux] = this.toUnit(px + HOVER_PIXELS, py);
    return nearestPoint(this.grid, this.map.positions, this.map.kinds, this.hidden, u, v, Math.abs(ux - u));
  }

  async hover(event) {
    const box = this.canvas.getBoundingClientRect(), px = event.clientX - box.left, py = event.clientY - box.top;
    const started = performance.now();
    const index = this.nearest(px, py);
    if (index !== this.hovered) {  // data-hovered names the point whose picture the tip shows: none yet for this one
      this.hovered = index; delete this.root.dataset.hovered; this.drawOverlay();
    }
    const caption = this.tip.querySelector("span"), picture = this.tip.querySelector("canvas");
    if (index < 0) {
      delete this.root.dataset.hovered;
      const spot = MAPS.spots.get(this.header.base_key ?? this.header.key);
      if (!spot) { this.tip.style.display = "none"; return; }
      const [u, v] = this.toUnit(px, py);
      spot.paint(u, v, picture);  // what the decoder draws at this spot, in the tip's canvas
      caption.textContent = "decoded here (click to pin)";
      this.placeTip(px, py, box);
      this.root.dataset.spotMs = (performance.now() - started).toFixed(1);
      return;
    }
    const kind = this.map.kinds[index], names = this.header.classes || [];
    const steps = this.map.starts ? ` steps ${this.map.starts[index]}-${this.map.starts[index] + this.header.window - 1}` : "";
    const extra = this.extra?.in_caption ? ` · ${this.extra.label} ${this.extra.values[index].toPrecision(3)}` : "";
    caption.textContent = `#${index}${steps} ${names[kind] ?? ""} · ${this.map.train[index] ? "train" : "test"} · ` +
      `error ${this.map.errors[index].toPrecision(3)}${extra}`;
    this.placeTip(px, py, box);
    if (!this.header.sheet_url) return;
    const place = this.map.rank ? this.map.rank[index] : index;  // where the image sits on the sheets
    const image = await this.sheets.sheetOf(this.header.sheet_url, this.header.sheet_side, place);
    if (this.hovered !== index || !image) return;
    drawSheetCell(picture, image, this.header.sheet_side, place, this.header.side_w, this.header.side_h);
    this.root.dataset.hovered = String(index);
    this.root.dataset.hoverMs = (performance.now() - started).toFixed(1);
  }

  placeTip(px, py, box) {
    this.tip.style.display = "block";
    this.tip.style.left = `${Math.min(px + 14, box.width - 140)}px`;
    this.tip.style.top = `${Math.max(py - 130, 0)}px`;
  }

  select(path) {
    const inside = insidePolygon(this.map.positions, this.map.kinds, this.hidden, path.map(([x, y]) => this.toUnit(x, y)));
    this.showChosen(inside);
    this.root.dataset.selected = String(inside.length);
    this.setTriggerValue("selected", inside);
  }

  showChosen(indices) {
    this.chosen.fill(0);
    for (const i of indices) this.chosen[i] = 1;
    this.anyChosen = indices.length > 0;
    const gl = this.gl;
    gl.bindBuffer(gl.ARRAY_BUFFER, this.chosenBuffer);
    gl.bufferSubData(gl.ARRAY_BUFFER, 0, this.chosen);
    this.draw();
  }

  showMask(mask) {  // the selection Python sent (made on the other map of a comparison)
    const indices = [];
    if (mask) for (let i = 0; i < mask.length; i++) if (mask[i]) indices.push(i);
    this.root.dataset.shownSelection = String(indices.length);
    this.showChosen(indices);
  }

  recolour(mode) {
    this.extra = this.map.colourings.find(colouring => `extra:${colouring.key}` === mode) || null;
    this.colouring = this.extra ? 1 : { class: 0, error: 1, split: 2, agreement: 1 }[mode] ?? 0;
    const gl = this.gl, ramp = this.root.querySelector(".ramp");
    gl.bindBuffer(gl.ARRAY_BUFFER, this.valueBuffer);
    gl.bufferSubData(gl.ARRAY_BUFFER, 0, this.extra ? scaled(this.extra) : mode === "split" ? this.trainValues
                     : mode === "agreement" && this.map.agreement ? this.map.agreement : this.values);
    ramp.dataset.mode = this.extra ? "extra" : mode;
    ramp.querySelector(".low").textContent = this.extra ? this.extra.low_text : "";
    ramp.querySelector(".high").textContent = this.extra ? this.extra.high_text : "";
    ramp.querySelector(".title").textContent = this.extra ? this.extra.title : "";
    this.root.dataset.colouring = mode;
    this.root.querySelector(".legend").style.display = this.colouring === 0 ? "" : "none";
    ramp.style.display = this.colouring === 1 ? "" : "none";
    this.draw();
  }

  // Panning moves the drawn points as a layer (a CSS transform: screen rate) and redraws once, at the release: a full
  // redraw of 70,000 points ran at 12-17 fps on SwiftShader (bench/maps.py). What enters the view appears then.
  panBy(dx, dy) {
    this.canvas.style.transform = `translate(${dx}px, ${dy}px)`;
    if (this.hovered >= 0) { this.hovered = -1; this.drawOverlay(); }
  }

  endPan(start, dx, dy) {
    const scale = this.toScreen(1, 0)[0] - this.toScreen(0, 0)[0];  // CSS pixels per unit at this zoom
    this.view.x = start.x - dx / scale; this.view.y = start.y - dy / scale;
    this.canvas.style.transform = "";
    this.render();
  }

  bind() { bindMap(this); }
}

// A colouring's values in [0, 1] for the ramp: (value - low) / (high - low), clipped at both ends.
function scaled({ values, low, high }) {
  const span = high - low || 1, out = new Float32Array(values.length);
  for (let i = 0; i < values.length; i++) out[i] = Math.min(1, Math.max(0, (values[i] - low) / span));
  return out;
}

export default function (component) {
  const { data, parentElement, setTriggerValue } = component;
  const root = parentElement.querySelector(".bigmap");
  try {
    if (data instanceof Uint8Array || ArrayBuffer.isView(data)) {
      const map = parse(data);
      if (!root.bigmap) root.bigmap = new BigMap(root, map, setTriggerValue);
      else if (root.dataset.key !== map.header.key) { root.bigmap.load(map); root.bigmap.draw(); }
      else {
        root.bigmap.header.highlight = map.header.highlight;
        if (map.header.chosen_version !== root.bigmap.header.chosen_version) {
          root.bigmap.header.chosen_version = map.header.chosen_version;
          root.bigmap.showMask(map.chosen);
        }
        root.bigmap.draw();
      }
      root.bigmap.setTriggerValue = setTriggerValue;
      root.dataset.key = map.header.key;
      root.dataset.count = String(map.header.count);
    }
  } catch (error) {
    root.querySelector(".problem").textContent = `The map cannot be drawn here: ${error.message}`;
  }
}
