"""A latent map with image thumbnails on hover: a small custom component (Streamlit components v2).

Plotly's hover labels cannot show images, so this draws the map on a <canvas> and, under the mouse,
the nearest point's image cut from one sprite sheet (all thumbnails in one PNG). It needs no library
and no network. A click sends the image's index back to Python as a one-rerun trigger.
"""

import numpy as np
import streamlit as st

from dashboard import plots

JS = """
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
  parentElement.querySelector("div.legend").innerHTML = data.legend.map(
    ([name, colour]) => `<span><i style="background:${colour}"></i>${name}</span>`).join("");
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
"""

HTML = """<div class="wrap"><canvas class="map"></canvas>
<div class="tip"><canvas width="96" height="96"></canvas><span></span></div><div class="legend"></div></div>"""

CSS = """
.wrap { position: relative; }
canvas.map { display: block; width: 100%; cursor: crosshair; border: 1px solid #e5e7eb; border-radius: 6px; }
.tip { display: none; position: absolute; pointer-events: none; background: white; padding: 4px;
       border: 1px solid #9ca3af; border-radius: 6px; box-shadow: 0 2px 8px rgba(0,0,0,.2); font: 12px sans-serif; }
.tip canvas { display: block; image-rendering: pixelated; }
.legend { font: 12px sans-serif; margin-top: 6px; display: flex; flex-wrap: wrap; gap: 4px 14px; }
.legend i { display: inline-block; width: 10px; height: 10px; border-radius: 50%; margin-right: 5px; }
"""

_component = st.components.v2.component("aecore_hover_map", html=HTML, css=CSS, js=JS)


@st.cache_data(max_entries=8, show_spinner=False)
def _payload(identity: str, _points: np.ndarray, _images: np.ndarray, _labels, names: tuple, height: int) -> dict:
    """Points scaled to [0, 1] plus one sprite sheet of every thumbnail (a data URI).

    Cached by `identity` alone: hashing the 5,000 images (15 MB) on every rerun cost more than the rest.
    """
    points, images, labels = _points, _images, _labels
    from aecore.analysis.projections import sprite

    low, span = points.min(axis=0), np.maximum(np.ptp(points, axis=0), 1e-9)
    scaled = (points - low) / span
    classes = labels if labels is not None else np.zeros(len(points), dtype=int)
    rows = [[round(float(x), 4), round(float(y), 4), int(c), index, f"#{index} {names[int(c)] if names else ''}".strip()]
            for index, ((x, y), c) in enumerate(zip(scaled, classes))]
    columns = int(np.ceil(np.sqrt(len(images))))
    legend = [[name, plots.PALETTE[index % len(plots.PALETTE)]] for index, name in enumerate(names)]
    return {"points": rows, "colors": plots.PALETTE, "sprite": plots.data_uri(sprite(images)), "legend": legend,
            "side": int(images.shape[1]), "columns": columns, "height": height}


def hover_map(points, images, labels, class_names, key: str, height: int = 560) -> int | None:
    """Draws the map; returns the image index the user clicked in this rerun, else None.

    `key` must name everything the points and images come from (model, dataset, method, count): it is
    both the widget key and the cache key of the payload.
    """
    names = tuple(class_names) if class_names else ()
    data = _payload(key, np.asarray(points), np.asarray(images), labels, names, height)
    result = _component(data=data, key=key, on_clicked_change=lambda: None)
    return getattr(result, "clicked", None)
