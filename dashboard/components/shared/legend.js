// The class legend every map shows: one chip per entry, `[name, colour]`. Names come from folder and file names, so
// they go in as text (a text node), never as markup. With `onToggle(i)`, a chip is a button that hides or shows its
// class (`isOff(i)` says which start hidden); without, a plain label.
function buildLegend(box, entries, onToggle = null, isOff = () => false) {
  box.replaceChildren();
  entries.forEach(([name, colour], i) => {
    const chip = document.createElement(onToggle ? "button" : "span"), swatch = document.createElement("i");
    chip.className = "chip" + (isOff(i) ? " off" : ""); chip.dataset.kind = String(i);
    swatch.style.background = colour;
    chip.append(swatch, document.createTextNode(String(name)));
    if (onToggle) {
      chip.type = "button";
      chip.title = "click: hide or show this class";
      chip.onclick = () => { chip.classList.toggle("off"); onToggle(i); };
    }
    box.append(chip);
  });
}
