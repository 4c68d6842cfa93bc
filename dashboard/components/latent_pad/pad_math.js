// The pad's arithmetic and small DOM helpers (latent_pad.js uses them): values to pixels, the k nearest rows by
// brute force, and distance-weighted means (how a new code is placed, and how a spot of the map gets a code).
const make = (tag, className, parent, text) => {
  const node = document.createElement(tag);
  if (className) node.className = className;
  if (text !== undefined) node.textContent = text;
  if (parent) parent.append(node);
  return node;
};

// (h, w, c) values in [0, 1] -> a canvas of that size (CSS scales it up without smoothing)
function paintValues(canvas, values, [height, width, channels]) {
  canvas.width = width; canvas.height = height;
  const context = canvas.getContext("2d"), image = context.createImageData(width, height);
  valuesToPixels(values, image.data, width, height, channels);
  context.putImageData(image, 0, 0);
}

// The k nearest rows of `rows` (n, d) to `query` (d): [indices, distances], nearest first; brute force (70,000 x 32
// multiply-adds take a few ms, well inside a frame).
function nearestRows(rows, d, query, k) {
  const n = rows.length / d, best = new Float64Array(k).fill(Infinity), found = new Int32Array(k).fill(-1);
  for (let i = 0; i < n; i++) {
    let sum = 0;
    const base = i * d;
    for (let j = 0; j < d && sum < best[k - 1]; j++) { const t = rows[base + j] - query[j]; sum += t * t; }
    if (sum >= best[k - 1]) continue;
    let slot = k - 1;
    while (slot > 0 && best[slot - 1] > sum) { best[slot] = best[slot - 1]; found[slot] = found[slot - 1]; slot--; }
    best[slot] = sum; found[slot] = i;
  }
  return [Array.from(found).filter(i => i >= 0), Array.from(best, Math.sqrt)];
}

// Distance-weighted mean of `rows[indices]` (each `size` wide): the places of the nearest codes, or the codes of the
// nearest places. An exact match takes its row.
const WEIGHT_EPSILON = 1e-6;  // aecore.analysis.placement's: the page and the server place alike
function weightedMean(rows, size, indices, distances) {
  const out = new Float32Array(size);
  let total = 0;
  for (let n = 0; n < indices.length; n++) {
    const weight = 1 / (distances[n] + WEIGHT_EPSILON);
    total += weight;
    for (let j = 0; j < size; j++) out[j] += weight * rows[indices[n] * size + j];
  }
  for (let j = 0; j < size; j++) out[j] /= total;
  return out;
}
