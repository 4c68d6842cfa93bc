// Thumbnail sheets (dashboard/server/sheets.py serves them): each sheet is a PNG grid of `side` x `side` images,
// fetched once, when the mouse first needs one of its images. Shared by the components that show a thumbnail on hover.
class SheetCache {
  constructor() { this.sheets = new Map(); }

  clear() { this.sheets.clear(); }

  // A promise of the decoded sheet that holds image number `place` (its place across the sheets), or of null.
  sheetOf(url, side, place) {
    const address = `${url}/${Math.floor(place / (side * side))}.png`;
    if (!this.sheets.has(address)) {
      const image = new Image();
      image.src = address;
      this.sheets.set(address, image.decode().then(() => image).catch(() => null));
    }
    return this.sheets.get(address);
  }
}

// Draws image number `place` of `sheet` (images of width x height, side x side to a sheet) to fill `canvas`.
function drawSheetCell(canvas, sheet, side, place, width, height) {
  const offset = place % (side * side), context = canvas.getContext("2d");
  context.imageSmoothingEnabled = false;
  context.drawImage(sheet, (offset % side) * width, Math.floor(offset / side) * height, width, height,
                    0, 0, canvas.width, canvas.height);
}
