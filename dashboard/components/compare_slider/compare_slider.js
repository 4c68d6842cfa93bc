// Before/after comparison: two pictures of one photo stacked; the "after" one is clipped at the divider,
// which follows the pointer while it is pressed (mouse, pen or touch) and the arrow keys. It runs
// entirely in the browser: dragging never reruns the Streamlit script.
// With data.luma_chroma (colourise), "after" is a canvas painted here from the photo's brightness Y and the
// model's colour (Cb, Cr) as Y + strength x colour, BT.601 as aecore.photo.tasks.from_luma_chroma; the strength
// slider repaints while it moves and reports its value to the page when let go.

function planesOf(uri) {  // the PNG's R = Y, G = Cb + 0.5, B = Cr + 0.5 as three Float32Arrays
  return new Promise((resolve, reject) => {
    const picture = new Image();
    picture.onload = () => {
      const scratch = document.createElement("canvas");
      scratch.width = picture.naturalWidth;
      scratch.height = picture.naturalHeight;
      const context = scratch.getContext("2d", { willReadFrequently: true });
      context.drawImage(picture, 0, 0);
      const { data } = context.getImageData(0, 0, scratch.width, scratch.height);
      const count = scratch.width * scratch.height;
      const planes = { width: scratch.width, height: scratch.height, y: new Float32Array(count),
                       cb: new Float32Array(count), cr: new Float32Array(count) };
      for (let i = 0; i < count; i++) {
        planes.y[i] = data[4 * i] / 255;
        planes.cb[i] = data[4 * i + 1] / 255 - 0.5;
        planes.cr[i] = data[4 * i + 2] / 255 - 0.5;
      }
      resolve(planes);
    };
    picture.onerror = reject;
    picture.src = uri;
  });
}

function paint(canvas, planes, strength) {  // RGB = Y + strength x (Cb, Cr) through JPEG's inverse transform
  if (canvas.width !== planes.width) { canvas.width = planes.width; canvas.height = planes.height; }
  const context = canvas.getContext("2d");
  const image = context.createImageData(planes.width, planes.height);
  const out = image.data;
  for (let i = 0; i < planes.y.length; i++) {
    const y = planes.y[i], cb = strength * planes.cb[i], cr = strength * planes.cr[i];
    out[4 * i] = Math.round(255 * Math.min(1, Math.max(0, y + 1.402 * cr)));
    out[4 * i + 1] = Math.round(255 * Math.min(1, Math.max(0, y - 0.344136 * cb - 0.714136 * cr)));
    out[4 * i + 2] = Math.round(255 * Math.min(1, Math.max(0, y + 1.772 * cb)));
    out[4 * i + 3] = 255;
  }
  context.putImageData(image, 0, 0);
  canvas.dataset.strength = strength.toFixed(2);
}

async function colourStrength(parentElement, frame, data, setStateValue) {
  const canvas = parentElement.querySelector("canvas.after");
  const row = parentElement.querySelector(".strength");
  const slider = row.querySelector("input");
  const shown = row.querySelector("output");
  row.hidden = false;
  if (canvas.dataset.src !== data.luma_chroma) {  // a new photo: its planes, and the slider where the page starts it
    canvas.dataset.src = data.luma_chroma;
    canvas.planes = await planesOf(data.luma_chroma);
    Object.assign(slider, { min: data.strength.low, max: data.strength.high, step: data.strength.step });
    slider.value = data.strength.start;
  }
  let queued = false;
  const repaint = () => {
    shown.textContent = `× ${Number(slider.value).toFixed(2)}`;
    paint(canvas, canvas.planes, Number(slider.value));
    frame.dataset.strength = Number(slider.value).toFixed(2);
    queued = false;
  };
  slider.oninput = () => { if (!queued) { queued = true; requestAnimationFrame(repaint); } };
  slider.onchange = () => setStateValue("strength", Number(slider.value));
  repaint();
}

export default function (component) {
  const { data, parentElement, setStateValue } = component;
  const frame = parentElement.querySelector(".frame");
  const before = parentElement.querySelector("img.before");
  const colour = Boolean(data.luma_chroma);
  const after = parentElement.querySelector(colour ? "canvas.after" : "img.after");
  parentElement.querySelector(colour ? "img.after" : "canvas.after").hidden = true;
  after.hidden = false;
  const handle = parentElement.querySelector(".handle");
  parentElement.querySelector(".label.left").textContent = data.after_label;
  parentElement.querySelector(".label.right").textContent = data.before_label;
  if (before.dataset.src !== data.before) { before.src = data.before; before.dataset.src = data.before; }
  if (!colour && after.dataset.src !== data.after) { after.src = data.after; after.dataset.src = data.after; }
  frame.style.aspectRatio = `${data.width} / ${data.height}`;
  frame.style.width = `min(100%, ${(75 * data.width / data.height).toFixed(2)}vh)`;  // a tall photo fits the screen
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
  else place(Number(frame.dataset.share));
  if (colour) colourStrength(parentElement, frame, data, setStateValue);
}
