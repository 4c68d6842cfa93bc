// The map's mouse, wheel and control bindings (big_map.js's BigMap calls bindMap once): pan by dragging, zoom by the
// wheel around the mouse, lasso by shift-drag or in Lasso mode, click a point (Python hears it) or an empty spot
// (the pad pins it), and the controls above the map.
function bindMap(map) {
  const canvas = map.overlay;
  let drag = null;
  canvas.onpointerdown = event => {
    canvas.setPointerCapture(event.pointerId);
    const box = canvas.getBoundingClientRect(), px = event.clientX - box.left, py = event.clientY - box.top;
    const lasso = map.mode === "lasso" || event.shiftKey;
    drag = { px, py, view: { ...map.view }, moved: false, lasso };
    map.path = lasso ? [[px, py]] : null;
  };
  canvas.onpointermove = event => {
    const box = canvas.getBoundingClientRect(), px = event.clientX - box.left, py = event.clientY - box.top;
    if (!drag) { map.hover(event); return; }
    if (Math.hypot(px - drag.px, py - drag.py) > 3) drag.moved = true;
    if (drag.lasso) { map.path.push([px, py]); map.drawOverlay(); return; }
    map.tip.style.display = "none";
    map.panBy(px - drag.px, py - drag.py);
  };
  canvas.onpointerup = event => {
    const box = canvas.getBoundingClientRect(), px = event.clientX - box.left, py = event.clientY - box.top;
    if (drag && !drag.moved) {
      const index = map.nearest(px, py);
      if (index >= 0) {
        map.root.dataset.clicked = String(index);
        MAPS.spots.get(map.header.base_key ?? map.header.key)?.clicked?.(index);
        map.setTriggerValue("clicked", index);
      } else {
        MAPS.spots.get(map.header.base_key ?? map.header.key)?.pin?.(...map.toUnit(px, py));
      }
    } else if (drag && drag.lasso && map.path.length > 2) {
      map.select(map.path);
    } else if (drag) {
      map.endPan(drag.view, px - drag.px, py - drag.py);
    }
    drag = null; map.path = null; map.drawOverlay();
  };
  canvas.onpointerleave = () => { if (!drag) { map.tip.style.display = "none"; map.hovered = -1; map.drawOverlay(); } };
  canvas.onwheel = event => {
    event.preventDefault();
    const box = canvas.getBoundingClientRect(), px = event.clientX - box.left, py = event.clientY - box.top;
    const [u, v] = map.toUnit(px, py);
    map.view.zoom = Math.min(200, Math.max(0.5, map.view.zoom * Math.exp(-event.deltaY * 0.0015)));
    const [u2, v2] = map.toUnit(px, py);
    map.view.x += u - u2; map.view.y -= v - v2;
    map.draw();
  };
  const controls = map.root.querySelector(".controls");
  controls.querySelector("select.colour").onchange = event => map.recolour(event.target.value);
  controls.querySelector("input.density").onchange = event => { map.density = event.target.checked; map.draw(); };
  for (const button of controls.querySelectorAll("button.mode")) {
    button.onclick = () => {
      map.mode = button.dataset.mode;
      controls.querySelectorAll("button.mode").forEach(other => other.classList.toggle("on", other === button));
      canvas.style.cursor = map.mode === "lasso" ? "crosshair" : "grab";
    };
  }
  controls.querySelector("button.home").onclick = () => { map.view = { zoom: 1, x: 0, y: 0 }; map.draw(); };
  controls.querySelector("button.clear").onclick = () => { map.showChosen([]); map.setTriggerValue("selected", []); };
}
