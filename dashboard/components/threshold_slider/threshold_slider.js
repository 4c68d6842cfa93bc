// The Anomalies page's threshold: every stop's counts come from Python (threshold_slider.py); dragging only
// looks them up and redraws the numbers and the line on each histogram, so it follows the pointer with no rerun.
const NS = "http://www.w3.org/2000/svg";
const WIDTH = 400, HEIGHT = 150, AXIS = 16;
const COLOURS = { normal: "#64748b", rare: "#dc2626" };

function svg(tag, attributes) {
  const element = document.createElementNS(NS, tag);
  for (const [name, value] of Object.entries(attributes)) element.setAttribute(name, value);
  return element;
}

function histogram(panel, rareName) {
  const { top, normal, rare } = panel.histogram;
  const picture = svg("svg", { viewBox: `0 0 ${WIDTH} ${HEIGHT + AXIS}`, role: "img",
                               "aria-label": `errors of normal and ${rareName} test images` });
  const tallest = Math.max(...normal, ...rare) || 1;
  const width = WIDTH / normal.length;
  for (const [name, values] of [["normal", normal], ["rare", rare]]) {
    values.forEach((value, bin) => {
      const height = (value / tallest) * (HEIGHT - 14);
      picture.append(svg("rect", { x: bin * width, y: HEIGHT - height, width: Math.max(1, width - 0.5), height,
                                   fill: COLOURS[name], "fill-opacity": 0.6 }));
    });
  }
  picture.append(svg("line", { x1: 0, x2: WIDTH, y1: HEIGHT, y2: HEIGHT, stroke: "#9ca3af" }));
  for (const [x, anchor, text] of [[0, "start", "0"], [WIDTH, "end", top.toPrecision(3)]]) {
    const label = svg("text", { x, y: HEIGHT + 13, "text-anchor": anchor, "font-size": 11, fill: "#6b7280" });
    label.textContent = text;
    picture.append(label);
  }
  const legend = svg("text", { x: WIDTH - 4, y: 12, "text-anchor": "end", "font-size": 11, fill: "#6b7280" });
  for (const [colour, text] of [[COLOURS.normal, "■ normal  "], [COLOURS.rare, `■ ${rareName}`]]) {
    const part = svg("tspan", { fill: colour });
    part.textContent = text;  // a class name is text, never markup
    legend.append(part);
  }
  picture.append(legend);
  const line = svg("line", { y1: 0, y2: HEIGHT, stroke: "#111827", "stroke-width": 2, "stroke-dasharray": "5 3",
                             class: "threshold-line" });
  picture.append(line);
  return { picture, line, top };
}

function column(panel, rareName) {
  const box = document.createElement("div");
  box.className = "detector";
  box.dataset.name = panel.name;
  const tag = (name, className, text) => {
    const made = document.createElement(name);
    if (className) made.className = className;
    if (text) made.textContent = text;
    return made;
  };
  const number = (title, className) => {
    const made = tag("div", "number");
    made.append(tag("span", "", title), tag("b", className));
    return made;
  };
  const numbers = tag("div", "numbers");
  numbers.append(number("Precision", "precision"), number("Recall", "recall"));
  box.append(tag("div", "name", panel.label), numbers, tag("div", "counts"));
  const drawn = histogram(panel, rareName);
  box.append(drawn.picture);
  return { box, panel, ...drawn };
}

export default function (component) {
  const { data, parentElement } = component;
  const root = parentElement.querySelector(".threshold-panel");
  const slider = root.querySelector(".slider");
  const signature = JSON.stringify([data.rule, data.panels.map(panel => panel.name + panel.thresholds.length),
                                    data.rare_name]);
  if (root.dataset.signature !== signature) {  // a new detection: rebuild the columns, start at the rule
    root.dataset.signature = signature;
    if (data.primary_label) {
      root.querySelector(".title").textContent = `Threshold on the ${data.primary_label}: flag every image scored above`;
    }
    root.querySelector(".columns").replaceChildren();
    root.columns = data.panels.map(panel => column(panel, data.rare_name));
    root.columns.forEach(item => root.querySelector(".columns").append(item.box));
    slider.max = String(data.panels[0].thresholds.length - 1);
    slider.value = String(data.start);
  }
  const show = () => {
    const stop = Number(slider.value);
    root.dataset.stop = String(stop);
    const threshold = data.panels[0].thresholds[stop];
    root.querySelector(".value").textContent = threshold.toPrecision(4);
    root.querySelector(".rule").textContent = threshold === data.rule ? "(the largest score of a normal training image: the tutorials' rule)" : "";
    for (const item of root.columns) {
      const [truePositive, falsePositive, falseNegative, trueNegative] = item.panel.counts[stop];
      const at = item.panel.thresholds[stop];
      item.box.querySelector(".precision").textContent = (truePositive / Math.max(1, truePositive + falsePositive)).toFixed(2);
      item.box.querySelector(".recall").textContent = (truePositive / Math.max(1, truePositive + falseNegative)).toFixed(2);
      item.box.querySelector(".counts").textContent = `${truePositive} ${data.rare_name} caught, ${falseNegative} missed; `
        + `${falsePositive} normal flagged, ${trueNegative} passed (threshold ${at.toPrecision(4)}).`;
      const x = Math.min(WIDTH, (at / item.top) * WIDTH);
      item.line.setAttribute("x1", x.toFixed(1));
      item.line.setAttribute("x2", x.toFixed(1));
    }
  };
  slider.oninput = show;
  root.querySelector(".reset").onclick = () => { slider.value = String(data.start); show(); };
  show();
}
