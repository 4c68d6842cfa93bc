export default function (component) {
  const { data, parentElement, setTriggerValue } = component;
  const canvas = parentElement.querySelector("canvas.map");
  const tip = parentElement.querySelector("div.tip");
  const thumb = tip.querySelector("canvas");
  const caption = tip.querySelector("span");
  const width = parentElement.clientWidth || 800, height = data.height;
  canvas.width = width; canvas.height = height;
  const pad = 16, points = data.points;  // [x, y, colour index, image index, label], x and y in [0, 1]
  const px = p => pad + p[0] * (width - 2 * pad), py = p => pad + (1 - p[1]) * (height - 2 * pad);
  const context = canvas.getContext("2d");
  for (const p of points) {
    context.fillStyle = data.colors[p[2] % data.colors.length];
    context.globalAlpha = 0.75;
    context.beginPath(); context.arc(px(p), py(p), 2.6, 0, 2 * Math.PI); context.fill();
  }
  buildLegend(parentElement.querySelector("div.legend"), data.legend);
  const sprite = new Image();
  sprite.src = data.sprite;
  const nearest = (x, y) => {
    let best = null, bestDistance = 10;  // pixels: farther than this is empty space
    for (const p of points) {
      const d = Math.hypot(px(p) - x, py(p) - y);
      if (d < bestDistance) { bestDistance = d; best = p; }
    }
    return best;
  };
  // The canvas may be stretched by CSS: work in canvas pixels, place the tooltip in CSS pixels.
  const toCanvas = event => {
    const box = canvas.getBoundingClientRect();
    return [(event.clientX - box.left) * canvas.width / box.width, (event.clientY - box.top) * canvas.height / box.height,
            box.width / canvas.width];
  };
  canvas.onmousemove = event => {
    const [x, y, scale] = toCanvas(event);
    const p = nearest(x, y);
    if (!p) { tip.style.display = "none"; return; }
    const side = data.side, column = p[3] % data.columns, row = Math.floor(p[3] / data.columns);
    const t = thumb.getContext("2d");
    t.imageSmoothingEnabled = false;
    t.fillStyle = "black"; t.fillRect(0, 0, thumb.width, thumb.height);
    t.drawImage(sprite, column * side, row * side, side, side, 0, 0, thumb.width, thumb.height);
    caption.textContent = p[4];
    tip.style.display = "block";
    tip.style.left = Math.min(px(p) * scale + 14, width * scale - 110) + "px";
    tip.style.top = Math.max(py(p) * scale - 110, 0) + "px";
    tip.dataset.index = p[3];
  };
  canvas.onmouseleave = () => { tip.style.display = "none"; };
  canvas.onclick = event => {
    const [x, y] = toCanvas(event);
    const p = nearest(x, y);
    if (p) setTriggerValue("clicked", p[3]);
  };
}
