// Before/after comparison: two pictures of one photo stacked; the "after" one is clipped at the divider,
// which follows the pointer while it is pressed (mouse, pen or touch) and the arrow keys. It runs
// entirely in the browser: dragging never reruns the Streamlit script.
export default function (component) {
  const { data, parentElement } = component;
  const frame = parentElement.querySelector(".frame");
  const before = parentElement.querySelector("img.before");
  const after = parentElement.querySelector("img.after");
  const handle = parentElement.querySelector(".handle");
  parentElement.querySelector(".label.left").textContent = data.after_label;
  parentElement.querySelector(".label.right").textContent = data.before_label;
  if (before.dataset.src !== data.before) { before.src = data.before; before.dataset.src = data.before; }
  if (after.dataset.src !== data.after) { after.src = data.after; after.dataset.src = data.after; }
  frame.style.aspectRatio = `${data.width} / ${data.height}`;
  const place = share => {  // share of the width showing "after", from the left edge: 0..1
    const clamped = Math.min(1, Math.max(0, share));
    frame.dataset.share = clamped.toFixed(3);
    after.style.clipPath = `inset(0 ${(100 * (1 - clamped)).toFixed(2)}% 0 0)`;
    handle.style.left = `${(100 * clamped).toFixed(2)}%`;
  };
  const follow = event => {
    const box = frame.getBoundingClientRect();
    place((event.clientX - box.left) / box.width);
  };
  frame.onpointerdown = event => { frame.setPointerCapture(event.pointerId); follow(event); };
  frame.onpointermove = event => { if (frame.hasPointerCapture(event.pointerId)) follow(event); };
  frame.onkeydown = event => {
    const step = event.key === "ArrowLeft" ? -0.05 : event.key === "ArrowRight" ? 0.05 : 0;
    if (step) { place(Number(frame.dataset.share) + step); event.preventDefault(); }
  };
  if (frame.dataset.share === undefined) place(0.5);
}
