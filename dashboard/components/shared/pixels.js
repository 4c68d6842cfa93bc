// Model outputs to pixels, for every component that paints a picture from values (the live decoder, the pad):
// (h, w, c) values in [0, 1], c = 1 (grey) or 3 (RGB) -> RGBA bytes, clipped and rounded.
function valuesToPixels(values, pixels, width, height, channels) {
  for (let p = 0; p < width * height; p++) {
    for (let k = 0; k < 3; k++) {
      const v = values[p * channels + (channels === 1 ? 0 : k)];
      pixels[4 * p + k] = v <= 0 ? 0 : v >= 1 ? 255 : Math.round(v * 255);
    }
    pixels[4 * p + 3] = 255;
  }
  return pixels;
}
