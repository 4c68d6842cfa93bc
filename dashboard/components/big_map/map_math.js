// The whole-dataset map's maths: the point shaders, the binary message's parser (bigmap.py packs it), the
// hover grid, the lasso's point-in-polygon test, the overlay (rings and the lasso's path), the legend. bigmap.py joins
// this file and bigmap.js (the map's interactions) into the one module the page runs.
const MAGIC = "AEMAP1\0\0";

const VERTEX = `#version 300 es
in vec2 position; in float kind; in float value; in float chosen;
uniform vec2 scale; uniform vec2 offset; uniform float size; uniform int hidden; uniform int colouring;
uniform int anyChosen; uniform vec3 palette[16];
out vec4 colour;
vec3 ramp(float t) { return mix(mix(vec3(0.19, 0.21, 0.58), vec3(0.13, 0.66, 0.56), clamp(t * 2.0, 0.0, 1.0)),
                               vec3(0.99, 0.75, 0.18), clamp(t * 2.0 - 1.0, 0.0, 1.0)); }
void main() {
  int k = int(kind + 0.5);
  bool off = ((hidden >> (k & 31)) & 1) == 1;
  gl_Position = vec4((position * scale + offset) * 2.0 - 1.0, 0.0, 1.0);
  gl_Position.y = -gl_Position.y;
  gl_PointSize = off ? 0.0 : size * (chosen > 0.5 ? 1.6 : 1.0);
  vec3 base = colouring == 1 ? ramp(value) : colouring == 2 ? (value > 0.5 ? vec3(0.15, 0.39, 0.92) : vec3(0.86, 0.15, 0.15))
            : palette[k % 16];
  float alpha = anyChosen == 1 && chosen < 0.5 ? 0.12 : 0.75;
  colour = vec4(base, off ? 0.0 : alpha);
}`;
const FRAGMENT = `#version 300 es
precision mediump float;
in vec4 colour; out vec4 result; uniform float density;
void main() {
  vec2 c = gl_PointCoord - 0.5;
  if (dot(c, c) > 0.25) discard;
  result = density > 0.5 ? vec4(colour.rgb * 0.08, 0.08) : vec4(colour.rgb * colour.a, colour.a);
}`;

function parse(bytes) {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const magic = new TextDecoder().decode(bytes.subarray(0, 8));
  if (magic !== MAGIC) throw new Error("not a map message");
  const length = view.getUint32(8, true);
  const header = JSON.parse(new TextDecoder().decode(bytes.subarray(12, 12 + length)));
  const buffer = bytes.buffer;
  const copy = (offset, count, Type) => new Type(buffer.slice(bytes.byteOffset + offset,
                                                            bytes.byteOffset + offset + count * Type.BYTES_PER_ELEMENT));
  return { header, positions: copy(header.offsets.positions, 2 * header.count, Float32Array),
           kinds: copy(header.offsets.kinds, header.count, Uint8Array), train: copy(header.offsets.train, header.count, Uint8Array),
           errors: copy(header.offsets.errors, header.count, Float32Array),
           chosen: header.offsets.chosen === undefined ? null : copy(header.offsets.chosen, header.count, Uint8Array),
           agreement: header.offsets.agreement === undefined ? null : copy(header.offsets.agreement, header.count, Float32Array),
           rank: header.offsets.rank === undefined ? null : copy(header.offsets.rank, header.count, Uint32Array),
           starts: header.offsets.starts === undefined ? null : copy(header.offsets.starts, header.count, Uint32Array),
           // extra colourings (time, code-space scores): each its raw values, normalised by its low and high
           colourings: (header.colourings || []).map(colouring => ({
             ...colouring, values: copy(header.offsets[`colour_${colouring.key}`], header.count, Float32Array) })) };
}

function compile(gl) {
  const shader = (type, source) => {
    const made = gl.createShader(type);
    gl.shaderSource(made, source); gl.compileShader(made);
    if (!gl.getShaderParameter(made, gl.COMPILE_STATUS)) throw new Error(gl.getShaderInfoLog(made));
    return made;
  };
  const program = gl.createProgram();
  gl.attachShader(program, shader(gl.VERTEX_SHADER, VERTEX));
  gl.attachShader(program, shader(gl.FRAGMENT_SHADER, FRAGMENT));
  gl.linkProgram(program);
  if (!gl.getProgramParameter(program, gl.LINK_STATUS)) throw new Error(gl.getProgramInfoLog(program));
  return program;
}

function hexToRgb(hex) {
  const value = parseInt(hex.slice(1), 16);
  return [(value >> 16) / 255, ((value >> 8) & 255) / 255, (value & 255) / 255];
}


const GRID = 128;  // hover index: GRID x GRID buckets over the unit square

function buildGrid(positions, count) {  // counting sort of the points into GRID x GRID buckets
  const cell = new Int32Array(count), starts = new Int32Array(GRID * GRID + 1);
  for (let i = 0; i < count; i++) {
    const gx = Math.min(GRID - 1, Math.max(0, Math.floor(positions[2 * i] * GRID)));
    const gy = Math.min(GRID - 1, Math.max(0, Math.floor(positions[2 * i + 1] * GRID)));
    cell[i] = gy * GRID + gx; starts[cell[i] + 1]++;
  }
  for (let c = 0; c < GRID * GRID; c++) starts[c + 1] += starts[c];
  const order = new Int32Array(count), fill = starts.slice(0, GRID * GRID);
  for (let i = 0; i < count; i++) order[fill[cell[i]]++] = i;
  return { starts, order };
}

function nearestPoint(grid, positions, kinds, hidden, u, v, radius) {  // -1 when none is within radius
  const { starts, order } = grid;
  const g0x = Math.max(0, Math.floor((u - radius) * GRID)), g1x = Math.min(GRID - 1, Math.floor((u + radius) * GRID));
  const g0y = Math.max(0, Math.floor((v - radius) * GRID)), g1y = Math.min(GRID - 1, Math.floor((v + radius) * GRID));
  let best = -1, bestDistance = radius * radius;
  for (let gy = g0y; gy <= g1y; gy++) for (let gx = g0x; gx <= g1x; gx++) {
    const c = gy * GRID + gx;
    for (let j = starts[c]; j < starts[c + 1]; j++) {
      const i = order[j];
      if ((hidden >> kinds[i]) & 1) continue;
      const du = positions[2 * i] - u, dv = positions[2 * i + 1] - v, d = du * du + dv * dv;
      if (d < bestDistance) { bestDistance = d; best = i; }
    }
  }
  return best;
}

function insidePolygon(positions, kinds, hidden, polygon) {  // indices of the shown points inside (even-odd rule)
  let [minU, minV, maxU, maxV] = [Infinity, Infinity, -Infinity, -Infinity];
  for (const [u, v] of polygon) { minU = Math.min(minU, u); maxU = Math.max(maxU, u); minV = Math.min(minV, v); maxV = Math.max(maxV, v); }
  const inside = [];
  for (let i = 0; i < positions.length / 2; i++) {
    const u = positions[2 * i], v = positions[2 * i + 1];
    if (u < minU || u > maxU || v < minV || v > maxV || ((hidden >> kinds[i]) & 1)) continue;
    let within = false;
    for (let a = 0, b = polygon.length - 1; a < polygon.length; b = a++) {
      const [ua, va] = polygon[a], [ub, vb] = polygon[b];
      if ((va > v) !== (vb > v) && u < ((ub - ua) * (v - va)) / (vb - va) + ua) within = !within;
    }
    if (within) inside.push(i);
  }
  return inside;
}

function paintOverlay(canvas, ratio, toScreen, rings, path) {  // rings: [[index, colour]]; path: the lasso so far
  const context = canvas.getContext("2d");
  context.setTransform(ratio, 0, 0, ratio, 0, 0);
  context.clearRect(0, 0, canvas.width, canvas.height);
  for (const [index, colour] of rings) {
    if (index === undefined || index === null || index < 0) continue;
    const [x, y] = toScreen(index);
    context.strokeStyle = colour; context.lineWidth = 2;
    context.beginPath(); context.arc(x, y, 7, 0, 2 * Math.PI); context.stroke();
  }
  if (path && path.length > 1) {
    context.strokeStyle = "#2563eb"; context.lineWidth = 1.5; context.setLineDash([5, 3]);
    context.beginPath(); context.moveTo(...path[0]);
    for (const point of path.slice(1)) context.lineTo(...point);
    context.closePath(); context.stroke(); context.setLineDash([]);
  }
}

// A picture's place on the map: a ring around each of its nearest codes, the route of a path, pinned spots, and a
// star where its own code lands. `toScreen(u, v)` places unit-square points, `indexToScreen(i)` map points.
function paintProbe(canvas, ratio, toScreen, indexToScreen, { u, v, neighbours = [], route = [], pins = [] }) {
  const context = canvas.getContext("2d");
  context.setTransform(ratio, 0, 0, ratio, 0, 0);
  context.lineWidth = 1.5; context.strokeStyle = "#7c3aed";
  for (const index of neighbours) {
    const [x, y] = indexToScreen(index);
    context.beginPath(); context.arc(x, y, 5, 0, 2 * Math.PI); context.stroke();
  }
  if (route.length > 1) {
    context.strokeStyle = "#7c3aed"; context.lineWidth = 2; context.setLineDash([6, 4]);
    context.beginPath(); context.moveTo(...toScreen(...route[0]));
    for (const point of route.slice(1)) context.lineTo(...toScreen(...point));
    context.stroke(); context.setLineDash([]);
  }
  for (const [pu, pv] of pins) {
    const [x, y] = toScreen(pu, pv);
    context.fillStyle = "#7c3aed"; context.fillRect(x - 4, y - 4, 8, 8);
  }
  if (u === null || u === undefined) return;
  const [x, y] = toScreen(u, v);
  context.fillStyle = "#facc15"; context.strokeStyle = "#111827"; context.lineWidth = 1.5;
  context.beginPath();
  for (let k = 0; k < 10; k++) {  // a five-pointed star, so it stands out from any class colour
    const radius = k % 2 ? 5 : 12, angle = -Math.PI / 2 + k * Math.PI / 5;
    context.lineTo(x + radius * Math.cos(angle), y + radius * Math.sin(angle));
  }
  context.closePath(); context.fill(); context.stroke();
}

function makeAttribute(gl, program, name, data, size, dynamic) {  // a float attribute of the bound vertex array
  const buffer = gl.createBuffer();
  gl.bindBuffer(gl.ARRAY_BUFFER, buffer);
  gl.bufferData(gl.ARRAY_BUFFER, data, dynamic ? gl.DYNAMIC_DRAW : gl.STATIC_DRAW);
  const location = gl.getAttribLocation(program, name);
  gl.enableVertexAttribArray(location);
  gl.vertexAttribPointer(location, size, gl.FLOAT, false, 0, 0);
  return buffer;
}
