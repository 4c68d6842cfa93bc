// The Anomalies page's threshold on a series: every stop's figures come from Python (series_threshold/__init__.py);
// dragging only looks them up, redraws the numbers, the dashed line and the flagged columns, with no rerun.
const NS = "http://www.w3.org/2000/svg";
const WIDTH = 1000, LEFT = 56, RIGHT = 8, SERIES_H = 150, GAP = 22, SCORE_H = 170, AXIS = 22;
const SCORE_TOP = SERIES_H + GAP, HEIGHT = SCORE_TOP + SCORE_H + AXIS;
const PLOT_W = WIDTH - LEFT - RIGHT;
const CHANNEL_COLOURS = ["#2563eb", "#059669", "#7c3aed", "#d97706", "#0891b2", "#db2777", "#65a30d", "#4b5563", "#9333ea"];
const FLAG = "#dc2626", EVENT = "#f59e0b", SCORE = "#111827";

function svg(tag, attributes, text) {
  const element = document.createElementNS(NS, tag);
  for (const [name, value] of Object.entries(attributes)) element.setAttribute(name, value);
  if (text !== undefined) element.textContent = text;  // data is text, never markup
  return element;
}

function tag(name, className, text) {
  const made = document.createElement(name);
  if (className) made.className = className;
  if (text !== undefined) made.textContent = text;
  return made;
}

// x of a step's left edge; the columns are the drawn buckets (starts[i] .. starts[i + 1])
const xOf = (data, step) => LEFT + (step / data.steps) * PLOT_W;

function envelopePath(data, [low, high], y) {
  const parts = [];
  data.starts.forEach((start, column) => {
    const next = column + 1 < data.starts.length ? data.starts[column + 1] : data.steps;
    const middle = xOf(data, (start + next) / 2).toFixed(1);
    parts.push(`${column ? "L" : "M"}${middle},${y(high[column]).toFixed(1)}`);
    if (high[column] !== low[column]) parts.push(`L${middle},${y(low[column]).toFixed(1)}`);
  });
  return parts.join("");
}

function scale(low, high, top, height) {
  const span = high - low || 1;
  return value => top + height - ((value - low) / span) * (height - 8) - 4;
}

function axisLabel(picture, x, y, text, anchor = "end") {
  picture.append(svg("text", { x, y, "text-anchor": anchor, "font-size": 11, fill: "#6b7280" }, text));
}

// the value columns' names in their colours, top right (a column's name is text, never markup)
function legend(picture, data) {
  const line = svg("text", { x: WIDTH - RIGHT, y: 12, "text-anchor": "end", "font-size": 11, class: "legend" });
  data.columns.forEach((name, index) => line.append(svg("tspan", { fill: CHANNEL_COLOURS[index % CHANNEL_COLOURS.length] },
                                                       `■ ${name}  `)));
  if (data.hidden_columns) line.append(svg("tspan", { fill: "#6b7280" }, `(+${data.hidden_columns} more) `));
  line.append(svg("tspan", { fill: EVENT }, data.labelled ? "■ labelled event" : "no labels"));
  picture.append(line);
}

function draw(root, data) {
  const picture = svg("svg", { viewBox: `0 0 ${WIDTH} ${HEIGHT}`, role: "img",
                               "aria-label": `the series, its ${data.score_label} per step and the threshold` });
  const trainRight = xOf(data, data.train_steps);
  picture.append(svg("rect", { x: LEFT, y: 0, width: trainRight - LEFT, height: SCORE_TOP + SCORE_H, fill: "#e5e7eb",
                               "fill-opacity": 0.55, class: "training-part" }));
  axisLabel(picture, LEFT + 4, 12, "training part", "start");
  for (const [first, last] of data.events) {
    picture.append(svg("rect", { x: xOf(data, first) - 1, width: Math.max(3, xOf(data, last + 1) - xOf(data, first) + 2),
                                 y: 0, height: SCORE_TOP + SCORE_H, fill: EVENT, "fill-opacity": 0.35, class: "event" }));
  }
  const lows = data.values.flatMap(([low]) => low), highs = data.values.flatMap(([, high]) => high);
  const seriesY = scale(Math.min(...lows), Math.max(...highs), 16, SERIES_H - 16);  // the legend above it
  data.values.forEach((channel, index) => picture.append(svg("path", {
    d: envelopePath(data, channel, seriesY), fill: "none", stroke: CHANNEL_COLOURS[index % CHANNEL_COLOURS.length],
    "stroke-width": 1, class: "series-line" })));
  legend(picture, data);
  const top = Math.max(...data.score[1], data.thresholds[data.thresholds.length - 1]);
  const scoreY = scale(0, top, SCORE_TOP, SCORE_H);
  picture.append(svg("path", { d: envelopePath(data, data.score, scoreY), fill: "none", stroke: SCORE,
                               "stroke-width": 1, class: "score-line" }));
  for (const [y, text] of [[SCORE_TOP + SCORE_H - 4, "0"], [SCORE_TOP + 12, top.toPrecision(3)]]) axisLabel(picture, LEFT - 4, y, text);
  axisLabel(picture, LEFT - 4, SERIES_H / 2, "series");
  axisLabel(picture, LEFT - 4, SCORE_TOP + SCORE_H / 2, "score");
  for (const [step, stamp] of data.ticks) {
    const x = Math.min(WIDTH - RIGHT, Math.max(LEFT, xOf(data, step)));
    picture.append(svg("line", { x1: x, x2: x, y1: SCORE_TOP + SCORE_H, y2: SCORE_TOP + SCORE_H + 4, stroke: "#9ca3af" }));
    axisLabel(picture, x, HEIGHT - 6, stamp, step === 0 ? "start" : (step === data.steps - 1 ? "end" : "middle"));
  }
  picture.append(svg("line", { x1: LEFT, x2: WIDTH - RIGHT, y1: SCORE_TOP + SCORE_H, y2: SCORE_TOP + SCORE_H, stroke: "#9ca3af" }));
  const flags = svg("g", { class: "flags" });
  picture.append(flags);
  const line = svg("line", { x1: LEFT, x2: WIDTH - RIGHT, stroke: FLAG, "stroke-width": 1.5, "stroke-dasharray": "6 4",
                             class: "threshold-line" });
  const grip = svg("rect", { x: LEFT, width: PLOT_W, height: 12, fill: "transparent", class: "threshold-grip" });
  picture.append(line, grip);
  root.querySelector(".chart").replaceChildren(picture);
  return { picture, line, grip, flags, scoreY, top };
}

// runs of consecutive flagged columns in the test part, as [first column, last column]
function flaggedRuns(data, threshold) {
  const runs = [];
  data.starts.forEach((start, column) => {
    const next = column + 1 < data.starts.length ? data.starts[column + 1] : data.steps;
    const flagged = next > data.train_steps && data.score[1][column] > threshold;
    if (!flagged) return;
    const last = runs[runs.length - 1];
    if (last && last[1] === column - 1) last[1] = column; else runs.push([column, column]);
  });
  return runs;
}

const count = value => value.toLocaleString("en-US");  // 6,301 as Python prints it

function numbers(root, data) {
  const box = root.querySelector(".numbers");
  box.replaceChildren();
  if (!data.figures) return;
  for (const [name, title] of [["event_recall", "Events found (recall)"], ["event_precision", "Event precision"],
                               ["recall", "Step recall"], ["precision", "Step precision"]]) {
    const made = tag("div", "number");
    made.dataset.name = name;
    made.append(tag("span", "", title), tag("b", name));
    box.append(made);
  }
}

function show(root, data, drawn, stop) {
  root.dataset.stop = String(stop);
  const threshold = data.thresholds[stop];
  root.querySelector(".value").textContent = threshold.toPrecision(4);
  root.querySelector(".rule").textContent = threshold === data.rule ? "(the largest training-part score: the tutorials' rule)" : "";
  const y = drawn.scoreY(Math.min(threshold, drawn.top)).toFixed(1);
  drawn.line.setAttribute("y1", y);
  drawn.line.setAttribute("y2", y);
  drawn.grip.setAttribute("y", String(Number(y) - 6));
  const runs = flaggedRuns(data, threshold);
  drawn.flags.replaceChildren(...runs.map(([first, last]) => {
    const from = Math.max(data.starts[first], data.train_steps);
    const to = last + 1 < data.starts.length ? data.starts[last + 1] : data.steps;
    return svg("rect", { x: xOf(data, from) - 1, width: Math.max(2, xOf(data, to) - xOf(data, from) + 1),
                         y: SERIES_H + 4, height: GAP - 8, fill: FLAG, class: "flagged" });
  }));
  root.dataset.flaggedColumns = String(runs.reduce((total, [first, last]) => total + last - first + 1, 0));
  root.dataset.firstFlagged = runs.length ? String(Math.max(data.starts[runs[0][0]], data.train_steps)) : "";
  const flaggedSteps = data.flagged_steps[stop];
  if (data.figures) {
    const figure = name => data.figures[name][stop];
    const format = value => (value === null || value === undefined ? "–" : value.toFixed(2));
    for (const name of ["event_recall", "event_precision", "recall", "precision"]) {
      root.querySelector(`.numbers b.${name}`).textContent = format(figure(name));
    }
    root.querySelector(".counts").textContent = `${figure("events_found")} of ${data.events_total} labelled events `
      + `found; ${figure("flagged_runs")} flagged runs, ${count(flaggedSteps)} of ${count(data.test_steps)} test steps flagged.`;
  } else {
    root.querySelector(".counts").textContent = `${count(flaggedSteps)} of ${count(data.test_steps)} test steps flagged.`;
  }
}

export default function (component) {
  const { data, parentElement } = component;
  const root = parentElement.querySelector(".series-threshold");
  const slider = root.querySelector(".slider");
  const signature = JSON.stringify([data.rule, data.thresholds.length, data.steps, data.score_label]);
  if (root.dataset.signature !== signature) {  // a new score or model: redraw, start at the rule
    root.dataset.signature = signature;
    root.drawn = draw(root, data);
    numbers(root, data);
    slider.max = String(data.thresholds.length - 1);
    slider.value = String(data.start);
  }
  const drawn = root.drawn;
  const update = () => show(root, data, drawn, Number(slider.value));
  slider.oninput = update;
  root.querySelector(".reset").onclick = () => { slider.value = String(data.start); update(); };
  const toStop = event => {  // the pointer's height on the score chart, as the nearest stop
    const box = drawn.picture.getBoundingClientRect();
    const y = ((event.clientY - box.top) / box.height) * HEIGHT;
    const value = ((SCORE_TOP + SCORE_H - 4 - y) / (SCORE_H - 8)) * drawn.top;
    let best = 0;
    data.thresholds.forEach((threshold, stop) => {
      if (Math.abs(threshold - value) < Math.abs(data.thresholds[best] - value)) best = stop;
    });
    return best;
  };
  drawn.grip.onpointerdown = event => {
    drawn.grip.setPointerCapture(event.pointerId);
    drawn.grip.onpointermove = moved => { slider.value = String(toStop(moved)); update(); };
  };
  drawn.grip.onpointerup = event => {
    drawn.grip.releasePointerCapture(event.pointerId);
    drawn.grip.onpointermove = null;
  };
  update();
}
