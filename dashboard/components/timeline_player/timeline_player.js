// The Training timeline's player (timeline_player.py): every snapshot's map arrives once; playing and scrubbing
// move each point between two snapshots' positions at screen rate, all in the page, with no rerun.
const SNAPSHOTS_PER_SECOND = 1.5;  // at 1x: a 20-snapshot training plays in about 13 s
const MAX_TRAILS = 12;
const HOVER_PIXELS = 8;

function decodePositions(text) {
  const bytes = Uint8Array.from(atob(text), character => character.charCodeAt(0));
  return new Float32Array(bytes.buffer);
}

class Player {
  constructor(root) {
    this.root = root;
    this.canvas = root.querySelector("canvas.map");
    this.lossCanvas = root.querySelector("canvas.loss");
    this.tip = root.querySelector(".tip");
    this.scrub = root.querySelector(".scrub");
    this.playButton = root.querySelector("button.play");
    this.time = 0;  // in snapshots: 2.5 is halfway between the third and the fourth
    this.playing = false;
    this.trails = [];  // followed images, oldest first
    this.hidden = new Set();  // classes switched off in the legend
    this.hovered = -1;
    this.draws = 0;
    this.sheets = new SheetCache();
    this.shownFrame = -1;
    this.playButton.onclick = () => this.toggle();
    this.scrub.oninput = () => { this.pause(); this.seek(Number(this.scrub.value)); };
    root.querySelector("button.clear").onclick = () => { this.trails = []; this.draw(); };
    this.canvas.addEventListener("mousemove", event => this.hover(event));
    this.canvas.addEventListener("mouseleave", () => { this.hovered = -1; this.tip.style.display = "none"; });
    this.canvas.addEventListener("click", event => this.follow(event));
    new ResizeObserver(() => this.resize()).observe(this.canvas);
  }

  load(data) {
    const following = this.data && this.time >= this.data.count - 1 - 1e-6 && !this.playing;
    const fresh = !this.data || this.data.key !== data.key;
    this.data = data;
    this.positions = decodePositions(data.positions);
    this.byClass = new Map();
    data.labels.forEach((label, index) => {
      if (!this.byClass.has(label)) this.byClass.set(label, []);
      this.byClass.get(label).push(index);
    });
    this.colours = new Map([...this.byClass.keys()].sort((a, b) => a - b)
      .map((label, position) => [label, label < 0 ? "#475569" : data.palette[position % data.palette.length]]));
    this.scrub.max = String(data.count - 1);
    if (fresh) {  // a training in progress opens on its newest snapshot, a finished one on its first
      this.time = data.live ? data.count - 1 : 0;
      this.trails = [];
      this.hidden.clear();
      this.sheets.clear();
    }
    else if (following) this.time = data.count - 1;  // a training in progress: stay on its newest snapshot
    this.time = Math.min(this.time, data.count - 1);
    this.root.dataset.count = String(data.count);
    this.root.dataset.points = String(data.points);
    this.root.querySelector(".grid-box").style.display = data.grids ? "block" : "none";
    this.root.querySelector(".hint").textContent =
      `Click a point to follow that ${data.noun}: its trail shows where it has been. Click it again to drop it.`;
    this.shownFrame = -1;
    this.legend();
    this.resize();
  }

  legend() {
    const entries = [...this.colours], label = i => entries[i][0];  // [[class label, colour]]
    buildLegend(this.root.querySelector(".legend"),
                entries.map(([kind, colour]) => [this.data.classes[String(kind)] ?? String(kind), colour]),
                i => { if (this.hidden.has(label(i))) this.hidden.delete(label(i)); else this.hidden.add(label(i)); this.draw(); },
                i => this.hidden.has(label(i)));
  }

  resize() {
    const ratio = window.devicePixelRatio || 1;
    for (const canvas of [this.canvas, this.lossCanvas]) {
      const box = canvas.getBoundingClientRect();
      canvas.width = Math.max(1, Math.round(box.width * ratio));
      canvas.height = Math.max(1, Math.round(box.height * ratio));
    }
    this.ratio = ratio;
    if (this.data) this.draw();
  }

  toggle() { if (this.playing) this.pause(); else this.play(); }

  play() {
    if (this.time >= this.data.count - 1) this.time = 0;  // at the end, Play starts again
    this.playing = true;
    this.playButton.textContent = "❚❚ Pause";
    this.root.dataset.playing = "true";
    let last = performance.now();
    const step = now => {
      if (!this.playing) return;
      const speed = Number(this.root.querySelector(".speed").value);
      this.time = Math.min(this.data.count - 1, this.time + (now - last) / 1000 * SNAPSHOTS_PER_SECOND * speed);
      last = now;
      this.draw();
      if (this.time >= this.data.count - 1) this.pause(); else requestAnimationFrame(step);
    };
    requestAnimationFrame(step);
  }

  pause() {
    this.playing = false;
    this.playButton.textContent = "▶ Play";
    this.root.dataset.playing = "false";
  }

  seek(time) { this.time = Math.max(0, Math.min(this.data.count - 1, time)); this.draw(); }

  // Where image `index` is at `time`: between the two snapshots around it.
  at(index, time) {
    const count = this.data.count, points = this.data.points;
    const first = Math.min(Math.floor(time), count - 1), second = Math.min(first + 1, count - 1), share = time - first;
    const a = (first * points + index) * 2, b = (second * points + index) * 2, p = this.positions;
    return [p[a] + (p[b] - p[a]) * share, p[a + 1] + (p[b + 1] - p[a + 1]) * share];
  }

  toScreen([u, v]) {
    const side = Math.min(this.canvas.width, this.canvas.height), pad = 8 * this.ratio;
    return [pad + u * (side - 2 * pad), pad + (1 - v) * (side - 2 * pad)];
  }

  draw() {
    const context = this.canvas.getContext("2d"), size = 3 * this.ratio;
    context.clearRect(0, 0, this.canvas.width, this.canvas.height);
    for (const [label, indices] of this.byClass) {
      if (this.hidden.has(label)) continue;
      context.fillStyle = this.colours.get(label);
      context.globalAlpha = this.trails.length ? 0.35 : 0.85;
      for (const index of indices) {
        const [x, y] = this.toScreen(this.at(index, this.time));
        context.fillRect(x - size / 2, y - size / 2, size, size);
      }
    }
    context.globalAlpha = 1;
    this.drawTrails(context);
    this.drawLoss();
    const nearest = Math.round(this.time);
    if (nearest !== this.shownFrame) {
      this.shownFrame = nearest;
      this.root.querySelector("img.strip").src = this.data.strips[nearest];
      if (this.data.grids) this.root.querySelector("img.grid").src = this.data.grids[nearest];
    }
    const epoch = this.epochAt(this.time), loss = this.data.losses[nearest];
    this.root.querySelector(".label").textContent =
      `epoch ${epoch < 1 ? epoch.toFixed(2) : epoch.toFixed(1)}` + (loss === null ? "" : ` · loss ${loss.toFixed(4)}`);
    this.scrub.value = String(this.time);
    this.draws += 1;
    this.root.dataset.draws = String(this.draws);
    this.root.dataset.time = this.time.toFixed(3);
    this.root.dataset.trails = String(this.trails.length);
  }

  drawTrails(context) {
    for (const index of this.trails) {
      const path = [];
      for (let frame = 0; frame <= Math.floor(this.time); frame += 1) path.push(this.toScreen(this.at(index, frame)));
      const now = this.toScreen(this.at(index, this.time));
      path.push(now);
      context.lineJoin = "round";
      for (const [width, colour] of [[4 * this.ratio, "white"], [2 * this.ratio, this.colours.get(this.data.labels[index])]]) {
        context.beginPath();
        path.forEach(([x, y], position) => (position ? context.lineTo(x, y) : context.moveTo(x, y)));
        context.strokeStyle = colour;
        context.lineWidth = width;
        context.stroke();
      }
      context.beginPath();
      context.arc(now[0], now[1], 5 * this.ratio, 0, 2 * Math.PI);
      context.fillStyle = this.colours.get(this.data.labels[index]);
      context.fill();
      context.lineWidth = 2 * this.ratio;
      context.strokeStyle = "#111827";
      context.stroke();
    }
  }

  epochAt(time) {
    const epochs = this.data.epochs, first = Math.floor(time), second = Math.min(first + 1, epochs.length - 1);
    return epochs[first] + (epochs[second] - epochs[first]) * (time - first);
  }

  // The loss per snapshot against the epoch (log scale when there are snapshots inside the first epoch).
  drawLoss() {
    const canvas = this.lossCanvas, context = canvas.getContext("2d"), ratio = this.ratio;
    const { epochs, losses } = this.data, known = losses.filter(loss => loss !== null);
    context.clearRect(0, 0, canvas.width, canvas.height);
    if (!known.length) return;
    const logarithmic = epochs[0] > 0 && epochs[0] < 1, scale = value => (logarithmic ? Math.log10(value) : value);
    // The last epoch's scale is 0 on a log axis ending at epoch 1: `|| left + 1` once took that for "none" and put
    // the right edge at a tenth of an epoch, so the curve ran off the box and the cursor left it.
    const left = scale(epochs[0]), last = scale(epochs[epochs.length - 1]), right = last > left ? last : left + 1;
    const low = Math.min(...known), high = Math.max(...known), pad = 10 * ratio;
    const inside = value => Math.max(pad, Math.min(canvas.width - pad, value));  // never past the box's padding
    const x = epoch => inside(pad + ((scale(epoch) - left) / (right - left)) * (canvas.width - 2 * pad));
    const y = loss => pad + (1 - (loss - low) / ((high - low) || 1)) * (canvas.height - 2 * pad - 12 * ratio);
    context.strokeStyle = "#64748b";
    context.lineWidth = 1.5 * ratio;
    context.beginPath();
    let started = false;
    epochs.forEach((epoch, index) => {
      if (losses[index] === null) return;
      if (started) context.lineTo(x(epoch), y(losses[index])); else context.moveTo(x(epoch), y(losses[index]));
      started = true;
    });
    context.stroke();
    const cursor = x(this.epochAt(this.time));
    this.lossLayout = { left: pad, right: canvas.width - pad, cursor, end: x(epochs[epochs.length - 1]) };
    context.strokeStyle = "#2563eb";
    context.setLineDash([4 * ratio, 3 * ratio]);
    context.beginPath();
    context.moveTo(cursor, 0);
    context.lineTo(cursor, canvas.height - 12 * ratio);
    context.stroke();
    context.setLineDash([]);
    context.fillStyle = "#6b7280";
    context.font = `${11 * ratio}px sans-serif`;
    context.fillText(`epoch ${epochs[0] < 1 ? epochs[0].toFixed(2) : epochs[0]}`, pad, canvas.height - 2 * ratio);
    for (const [value, top] of [[high, true], [low, false]]) {  // the loss scale: its highest and lowest values
      const text = value.toPrecision(3), width = context.measureText(text).width;
      context.fillText(text, canvas.width - pad - width, top ? pad + 8 * ratio : y(low) - 4 * ratio);
    }
    const end = `${epochs[epochs.length - 1]}${logarithmic ? " (log scale)" : ""}`;
    context.fillText(end, canvas.width - pad - context.measureText(end).width, canvas.height - 2 * ratio);
  }

  nearest(event) {
    const box = this.canvas.getBoundingClientRect();
    const px = (event.clientX - box.left) * this.ratio, py = (event.clientY - box.top) * this.ratio;
    let best = -1, bestDistance = (HOVER_PIXELS * this.ratio) ** 2;
    for (const [label, indices] of this.byClass) {
      if (this.hidden.has(label)) continue;
      for (const index of indices) {
        const [x, y] = this.toScreen(this.at(index, this.time)), distance = (x - px) ** 2 + (y - py) ** 2;
        if (distance < bestDistance) { best = index; bestDistance = distance; }
      }
    }
    return best;
  }

  follow(event) {
    const index = this.nearest(event);
    if (index < 0) return;
    const place = this.trails.indexOf(index);
    if (place >= 0) this.trails.splice(place, 1);
    else { this.trails.push(index); if (this.trails.length > MAX_TRAILS) this.trails.shift(); }
    this.draw();
  }

  async hover(event) {
    const index = this.nearest(event), box = this.canvas.getBoundingClientRect();
    this.hovered = index;
    if (index < 0) { this.tip.style.display = "none"; return; }
    const label = this.data.labels[index];
    this.tip.querySelector("span").textContent = this.data.classes[String(label)] ?? "";
    this.tip.style.display = "block";
    const px = event.clientX - box.left, py = event.clientY - box.top;
    this.tip.style.left = `${Math.min(px + 14, box.width - 100)}px`;
    this.tip.style.top = `${Math.max(py - 110, 0)}px`;
    if (!this.data.sheet_url) return;
    const image = await this.sheets.sheetOf(this.data.sheet_url, this.data.sheet_side, index);
    if (this.hovered !== index || !image) return;
    drawSheetCell(this.tip.querySelector("canvas"), image, this.data.sheet_side, index, this.data.side_w, this.data.side_h);
  }
}

export default function (component) {
  const { data, parentElement } = component;
  const root = parentElement.querySelector(".timeline-player");
  if (!root.player) root.player = new Player(root);
  const signature = `${data.key}:${data.count}`;
  if (root.dataset.signature !== signature) {  // a rerun with the same frames changes nothing
    root.dataset.signature = signature;
    root.player.load(data);
  }
}
