// What the live decoder's views paint (live_decoder.js comes after this file in the same module): a picture from
// (h, w, c) values, a time-series window as lines, and the small PCA map beside the sliders.

// A painter for one canvas: (h, w, c) values -> clipped pixels, scaled up without smoothing.
export function painter(canvas, [height, width, channels]) {
  const small = document.createElement("canvas");
  small.width = width; small.height = height;
  const smallContext = small.getContext("2d"), image = smallContext.createImageData(width, height);
  const context = canvas.getContext("2d");
  context.imageSmoothingEnabled = false;
  return values => {
    valuesToPixels(values, image.data, width, height, channels);
    smallContext.putImageData(image, 0, 0);
    context.drawImage(small, 0, 0, canvas.width, canvas.height);
    canvas.dataset.frames = String(Number(canvas.dataset.frames || 0) + 1);
    if (canvas.isConnected) REGISTRY.firstFrame ??= performance.now();  // ms since the page started loading
  };
}

// A painter for a window of a time series, (steps, channels[, 1]) values scaled to [0, 1] by the training part: one
// line per channel on a fixed range [-0.1, 1.1] (series_plots.curve_pictures' range), so shapes compare as they move.
const SERIES_COLOURS = ["#334155", "#e11d48", "#059669", "#d97706", "#0284c7", "#7c3aed", "#65a30d", "#db2777"];
export function linePainter(canvas, [steps, channels]) {
  const context = canvas.getContext("2d"), low = -0.1, high = 1.1;
  return values => {
    const width = canvas.width, height = canvas.height, margin = Math.max(2, width / 60);
    context.fillStyle = "white"; context.fillRect(0, 0, width, height);
    const toY = v => margin + (1 - (Math.min(high, Math.max(low, v)) - low) / (high - low)) * (height - 2 * margin);
    context.strokeStyle = "#e5e7eb"; context.lineWidth = 1;
    for (const level of [0, 1]) { context.beginPath(); context.moveTo(0, toY(level)); context.lineTo(width, toY(level)); context.stroke(); }
    context.lineWidth = Math.max(1, width / 150); context.lineJoin = "round";
    for (let channel = 0; channel < channels; channel++) {
      context.strokeStyle = SERIES_COLOURS[channel % SERIES_COLOURS.length];
      context.beginPath();
      for (let t = 0; t < steps; t++) {
        const x = margin + t / Math.max(1, steps - 1) * (width - 2 * margin), y = toY(values[t * channels + channel]);
        if (t) context.lineTo(x, y); else context.moveTo(x, y);
      }
      context.stroke();
    }
    canvas.dataset.frames = String(Number(canvas.dataset.frames || 0) + 1);
  };
}
const paintFor = (canvas, shape, series) => series ? linePainter(canvas, shape) : painter(canvas, shape);

// The small map beside the sliders: the test codes' PCA map, and a red ring where the sliders' code lands on it
function miniMap(holder, map) {
  const side = 180, canvas = element("canvas", { class: "mini", width: side, height: side, role: "img",
                                                  "aria-label": "the sliders' code on the PCA map" }, holder);
  element("div", { class: "mini-caption", text: "where the code lands (PCA map)" }, holder);
  const context = canvas.getContext("2d"), margin = 6, span = side - 2 * margin;
  const toPixel = (u, v) => [margin + u * span, margin + (1 - v) * span];
  const dots = document.createElement("canvas");
  dots.width = dots.height = side;
  const dotContext = dots.getContext("2d");
  dotContext.fillStyle = "white"; dotContext.fillRect(0, 0, side, side);
  for (const [u, v, k] of map.points) {
    const [x, y] = toPixel(u, v);
    dotContext.fillStyle = map.colors[k % map.colors.length];
    dotContext.fillRect(x - 1, y - 1, 2, 2);
  }
  return {
    show(code) {
      let x = 0, y = 0;
      for (let j = 0; j < map.mean.length; j++) {
        const centred = code[j] - map.mean[j];
        x += centred * map.components[0][j]; y += centred * map.components[1][j];
      }
      const u = (x - map.centre[0]) / map.span + 0.5, v = (y - map.centre[1]) / map.span + 0.5;
      const [px, py] = toPixel(Math.min(1.05, Math.max(-0.05, u)), Math.min(1.05, Math.max(-0.05, v)));
      context.drawImage(dots, 0, 0);
      context.strokeStyle = "#dc2626"; context.lineWidth = 2;
      context.beginPath(); context.arc(px, py, 5, 0, 2 * Math.PI); context.stroke();
      canvas.dataset.place = `${u.toFixed(4)},${v.toFixed(4)}`;
    },
  };
}

