// Pictures of every step of a sweep (frame_slider.py): each row's frames arrive once as one sheet, stacked top to
// bottom; the range input picks a step and every row's canvas redraws that frame from its sheet, here in the page,
// with no rerun. Captions and labels are set as text (textContent), never as markup.
const MAX_HEIGHT = 340;  // CSS px: a row of tall pictures still fits the screen with the slider under it
const THUMB = 16;  // CSS px: the range input's thumb, whose centre runs from THUMB / 2 to the width - THUMB / 2
const MAX_TICKS = 11;  // labelled steps under the slider

function loadSheet(uri) {
  return new Promise((resolve, reject) => {
    const picture = new Image();
    picture.onload = () => resolve(picture);
    picture.onerror = reject;
    picture.src = uri;
  });
}

function rowFigure(grid, index) {  // the index-th row's <figure>: its label above its canvas, made once
  while (grid.children.length <= index) {
    const figure = document.createElement("figure");
    figure.append(document.createElement("figcaption"), document.createElement("canvas"));
    grid.append(figure);
  }
  return grid.children[index];
}

function ticks(box, steps, pick) {  // every k-th step's value under its place on the track; a click goes there
  const every = Math.max(1, Math.ceil((steps.length - 1) / (MAX_TICKS - 1)));
  box.replaceChildren(...steps.flatMap((value, index) => {
    if (index % every !== 0) return [];
    const tick = document.createElement("span");
    tick.textContent = value;
    const share = steps.length > 1 ? index / (steps.length - 1) : 0;
    tick.style.left = `calc(${THUMB / 2}px + (100% - ${THUMB}px) * ${share.toFixed(4)})`;
    tick.onclick = () => pick(index);
    return [tick];
  }));
}

function drawRow(canvas, row, step) {
  if (!canvas.sheet) return;
  const frame = row.frames === 1 ? 0 : step;
  const context = canvas.getContext("2d");
  context.imageSmoothingEnabled = false;
  context.drawImage(canvas.sheet, 0, frame * row.height, row.width, row.height, 0, 0, row.width, row.height);
}

export default function (component) {
  const { data, parentElement } = component;
  const root = parentElement.querySelector(".frame-slider");
  const grid = root.querySelector(".rows");
  const slider = root.querySelector("input.step");
  const shown = root.querySelector("output");
  const count = data.steps.length;
  slider.max = String(count - 1);
  slider.setAttribute("aria-label", data.step_name);
  if (root.dataset.count !== String(count)) slider.value = String(data.start);  // else: where the user left it
  root.dataset.count = String(count);
  grid.style.gridTemplateColumns = `repeat(${data.rows.length}, minmax(0, 1fr))`;
  while (grid.children.length > data.rows.length) grid.lastChild.remove();
  const canvases = data.rows.map((row, index) => {
    const figure = rowFigure(grid, index);
    figure.querySelector("figcaption").textContent = row.label;
    const canvas = figure.querySelector("canvas");
    if (canvas.width !== row.width || canvas.height !== row.height) {
      canvas.width = row.width;
      canvas.height = row.height;
    }
    canvas.style.width = `min(100%, ${(MAX_HEIGHT * row.width / row.height).toFixed(1)}px)`;
    return canvas;
  });
  const show = () => {
    const step = Number(slider.value);
    root.querySelector(".caption").textContent = data.captions[step];
    shown.textContent = `${data.step_name} ${data.steps[step]}`;
    slider.setAttribute("aria-valuetext", shown.textContent);
    data.rows.forEach((row, index) => drawRow(canvases[index], row, step));
    root.dataset.step = String(step);
  };
  slider.oninput = show;
  ticks(root.querySelector(".ticks"), data.steps, index => { slider.value = String(index); show(); });
  grid.onkeydown = event => {  // the arrow keys also work with the pictures focused, as on the slider itself
    const move = { ArrowLeft: -1, ArrowDown: -1, ArrowRight: 1, ArrowUp: 1 }[event.key];
    if (!move) return;
    slider.value = String(Math.min(count - 1, Math.max(0, Number(slider.value) + move)));
    show();
    event.preventDefault();
  };
  show();  // the caption at once; each row's picture as soon as its sheet is decoded
  const generation = root.generation = (root.generation || 0) + 1;
  const loads = data.rows.map((row, index) => {
    const canvas = canvases[index];
    if (canvas.dataset.src === row.sheet) return Promise.resolve();
    canvas.dataset.src = row.sheet;
    canvas.sheet = null;
    root.dataset.drawn = "false";
    return loadSheet(row.sheet).then(picture => {
      if (canvas.dataset.src !== row.sheet) return;  // newer pictures arrived meanwhile
      canvas.sheet = picture;
      drawRow(canvas, row, Number(slider.value));
    });
  });
  Promise.all(loads).then(() => { if (root.generation === generation) root.dataset.drawn = "true"; });
}
