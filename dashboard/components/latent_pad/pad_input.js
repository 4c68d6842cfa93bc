// The pad's input (latent_pad.js's LatentPad calls bindPad once): pen and eraser strokes, the tools, and a file
// opened, dropped or pasted, which goes to the server once to be converted as the Denoise page converts uploads.
function openFile(pad, file) {
  if (!file) return;
  if (file.size > pad.header.max_bytes) {
    pad.root.querySelector(".problem").textContent =
      `${file.name} is ${(file.size / 1e6).toFixed(1)} MB; open an image of at most ${(pad.header.max_bytes / 1e6).toFixed(0)} MB.`;
    return;
  }
  const reader = new FileReader();
  reader.onload = () => {
    pad.root.querySelector(".problem").textContent = "";
    pad.root.querySelector(".note").textContent = `Converting ${file.name} as the Denoise page does…`;
    pad.setTriggerValue("opened", { name: file.name, data: reader.result.split(",")[1], id: Date.now() });
  };
  reader.readAsDataURL(file);
}

function bindPad(pad) {
  const surface = pad.surface;
  const at = event => {
    const box = surface.getBoundingClientRect();
    return [(event.clientX - box.left) * surface.width / box.width, (event.clientY - box.top) * surface.height / box.height];
  };
  let last = null;
  surface.onpointerdown = event => {
    try { surface.setPointerCapture(event.pointerId); } catch { /* a pointer the browser does not track (synthetic) */ }
    pad.remember(); last = at(event); pad.stroke(last, last);
  };
  surface.onpointermove = event => {
    if (!last) return;
    pad.lastInput ||= event.timeStamp;  // the oldest input not yet shown (same clock as performance.now)
    const next = at(event); pad.stroke(last, next); last = next;
  };
  surface.onpointerup = () => { if (last) pad.released(); last = null; };
  const tools = pad.root.querySelectorAll("button.tool");
  for (const button of tools) {
    button.onclick = () => { pad.tool = button.dataset.tool; tools.forEach(other => other.classList.toggle("on", other === button)); };
  }
  pad.root.querySelector("button.undo").onclick = () => pad.undo();
  pad.root.querySelector("button.clear").onclick = () => { pad.remember(); pad.clear(); pad.route = []; pad.root.querySelector(".strip").replaceChildren(); };
  pad.root.querySelector("button.from-map").onclick = () => pad.drawOnClicked();
  pad.root.querySelector("button.path").onclick = () => pad.path();
  pad.root.querySelector("button.unpin").onclick = () => { pad.pins = []; pad.root.querySelector(".pins").replaceChildren(); pad.changed(); };
  pad.root.querySelector("button.sampler").onclick = () => { if (pad.code) pad.setTriggerValue("sampler", Array.from(pad.code)); };
  pad.root.querySelector(".open input").onchange = event => pad.open(event.target.files[0]);
  const drawing = pad.root.querySelector(".drawing");
  drawing.ondragover = event => { event.preventDefault(); drawing.classList.add("over"); };
  drawing.ondragleave = () => drawing.classList.remove("over");
  drawing.ondrop = event => { event.preventDefault(); drawing.classList.remove("over"); pad.open(event.dataTransfer.files[0]); };
  surface.onpaste = event => pad.open([...event.clipboardData.files][0]);
  document.addEventListener("paste", event => {  // a paste anywhere on the page while the pad is on it
    if (pad.root.isConnected && event.target === document.body) pad.open([...(event.clipboardData?.files || [])][0]);
  });
}
