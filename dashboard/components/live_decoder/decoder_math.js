// The decoder's maths for the live decoder: Keras's activations and layers in plain JavaScript, and
// compileDecoder, which turns aecore/models/webexport.py's layer list and weights into one function
// code -> (h, w, c) values. No DOM here. dashboard/components/live_decoder/ joins this file and livedecoder.js
// (the three views) into the one module the page runs and the parity test imports.

// ------------------------------------------------------------------ activations (Keras's definitions)
const SELU_ALPHA = 1.6732632423543772, SELU_SCALE = 1.0507009873554805;
function erf(x) {  // Abramowitz and Stegun 7.1.26: |error| < 1.5e-7, far inside the 1e-4 parity bar
  const sign = x < 0 ? -1 : 1, a = Math.abs(x), t = 1 / (1 + 0.3275911 * a);
  const y = 1 - ((((1.061405429 * t - 1.453152027) * t + 1.421413741) * t - 0.284496736) * t + 0.254829592) * t * Math.exp(-a * a);
  return sign * y;
}
const sigmoid = x => 1 / (1 + Math.exp(-x));
function activation(spec) {
  const alpha = spec.alpha ?? 0;
  switch (spec.name) {
    case "linear": return null;
    case "relu": return x => (x > 0 ? x : 0);
    case "sigmoid": return sigmoid;
    case "tanh": return Math.tanh;
    case "elu": return x => (x > 0 ? x : alpha * Math.expm1(x));
    case "selu": return x => SELU_SCALE * (x > 0 ? x : SELU_ALPHA * Math.expm1(x));
    case "leaky_relu": return x => (x > 0 ? x : alpha * x);
    case "softplus": return x => Math.log1p(Math.exp(-Math.abs(x))) + Math.max(x, 0);
    case "gelu": return x => 0.5 * x * (1 + erf(x / Math.SQRT2));
    case "silu": return x => x * sigmoid(x);
    default: throw new Error(`activation ${spec.name} has no in-browser version`);
  }
}
function applyInPlace(values, fn) {
  if (fn) for (let i = 0; i < values.length; i++) values[i] = fn(values[i]);
}

// ------------------------------------------------------------------ layers: each (shape) -> {shape, run(input) -> output}
const padBefore = (same, outSize, stride, kernel, inSize) => (same ? Math.max((outSize - 1) * stride + kernel - inSize, 0) >> 1 : 0);

function dense(layer, shape, w) {
  const inputs = shape[shape.length - 1], units = layer.units, rows = shape.reduce((a, b) => a * b, 1) / inputs;
  const kernel = w(layer.kernel), bias = w(layer.bias), fn = activation(layer.activation);
  const out = new Float32Array(rows * units), acc = new Float64Array(units);
  return { shape: [...shape.slice(0, -1), units], run(input) {
    for (let r = 0; r < rows; r++) {
      acc.set(bias);
      for (let i = 0; i < inputs; i++) {
        const v = input[r * inputs + i];
        if (v === 0) continue;  // ReLU codes are sparse
        const row = i * units;
        for (let j = 0; j < units; j++) acc[j] += v * kernel[row + j];
      }
      for (let j = 0; j < units; j++) out[r * units + j] = fn ? fn(acc[j]) : acc[j];
    }
    return out;
  } };
}

function conv2d(layer, [height, width, channels], w) {
  const [outH, outW, filters] = layer.output_shape, [kh, kw] = layer.kernel_size, [sh, sw] = layer.strides;
  const same = layer.padding === "same", top = padBefore(same, outH, sh, kh, height), left = padBefore(same, outW, sw, kw, width);
  const kernel = w(layer.kernel), bias = w(layer.bias), fn = activation(layer.activation);  // kernel (kh, kw, in, out)
  const out = new Float32Array(outH * outW * filters), acc = new Float64Array(filters);
  return { shape: layer.output_shape, run(input) {
    for (let oy = 0; oy < outH; oy++) for (let ox = 0; ox < outW; ox++) {
      acc.set(bias);
      for (let ky = 0; ky < kh; ky++) {
        const iy = oy * sh + ky - top;
        if (iy < 0 || iy >= height) continue;
        for (let kx = 0; kx < kw; kx++) {
          const ix = ox * sw + kx - left;
          if (ix < 0 || ix >= width) continue;
          const inOffset = (iy * width + ix) * channels, wOffset = (ky * kw + kx) * channels * filters;
          for (let c = 0; c < channels; c++) {
            const v = input[inOffset + c];
            if (v === 0) continue;
            const row = wOffset + c * filters;
            for (let f = 0; f < filters; f++) acc[f] += v * kernel[row + f];
          }
        }
      }
      const o = (oy * outW + ox) * filters;
      for (let f = 0; f < filters; f++) out[o + f] = fn ? fn(acc[f]) : acc[f];
    }
    return out;
  } };
}

function conv2dTranspose(layer, [height, width, channels], w) {
  // The gradient of a forward conv from the output to the input: every input pixel scatters a kernel.
  const [outH, outW, filters] = layer.output_shape, [kh, kw] = layer.kernel_size, [sh, sw] = layer.strides;
  const same = layer.padding === "same", top = padBefore(same, height, sh, kh, outH), left = padBefore(same, width, sw, kw, outW);
  const kernel = w(layer.kernel), bias = w(layer.bias), fn = activation(layer.activation);  // (kh, kw, in, out)
  const acc = new Float64Array(outH * outW * filters), out = new Float32Array(acc.length);
  return { shape: layer.output_shape, run(input) {
    for (let p = 0; p < outH * outW; p++) acc.set(bias, p * filters);
    for (let iy = 0; iy < height; iy++) for (let ix = 0; ix < width; ix++) {
      const inOffset = (iy * width + ix) * channels;
      for (let ky = 0; ky < kh; ky++) {
        const oy = iy * sh + ky - top;
        if (oy < 0 || oy >= outH) continue;
        for (let kx = 0; kx < kw; kx++) {
          const ox = ix * sw + kx - left;
          if (ox < 0 || ox >= outW) continue;
          const o = (oy * outW + ox) * filters, wOffset = (ky * kw + kx) * channels * filters;
          for (let c = 0; c < channels; c++) {
            const v = input[inOffset + c];
            if (v === 0) continue;
            const row = wOffset + c * filters;
            for (let f = 0; f < filters; f++) acc[o + f] += v * kernel[row + f];
          }
        }
      }
    }
    for (let i = 0; i < acc.length; i++) out[i] = fn ? fn(acc[i]) : acc[i];
    return out;
  } };
}

function upsampling2d(layer, [height, width, channels]) {
  const [sy, sx] = layer.size, outH = height * sy, outW = width * sx, out = new Float32Array(outH * outW * channels);
  return { shape: [outH, outW, channels], run(input) {
    for (let y = 0; y < outH; y++) for (let x = 0; x < outW; x++) {
      const from = (Math.floor(y / sy) * width + Math.floor(x / sx)) * channels;
      out.set(input.subarray(from, from + channels), (y * outW + x) * channels);
    }
    return out;
  } };
}

function maxpool2d(layer, [height, width, channels]) {
  const [outH, outW] = layer.output_shape, [ph, pw] = layer.pool_size, [sh, sw] = layer.strides;
  const same = layer.padding === "same", top = padBefore(same, outH, sh, ph, height), left = padBefore(same, outW, sw, pw, width);
  const out = new Float32Array(outH * outW * channels);
  return { shape: layer.output_shape, run(input) {
    for (let oy = 0; oy < outH; oy++) for (let ox = 0; ox < outW; ox++) for (let c = 0; c < channels; c++) {
      let best = -Infinity;
      for (let ky = 0; ky < ph; ky++) for (let kx = 0; kx < pw; kx++) {
        const iy = oy * sh + ky - top, ix = ox * sw + kx - left;
        if (iy >= 0 && iy < height && ix >= 0 && ix < width) best = Math.max(best, input[(iy * width + ix) * channels + c]);
      }
      out[(oy * outW + ox) * channels + c] = best;
    }
    return out;
  } };
}

function cropping2d(layer, [height, width, channels]) {
  const [top, bottom, left, right] = layer.cropping, outH = height - top - bottom, outW = width - left - right;
  const out = new Float32Array(outH * outW * channels);
  return { shape: [outH, outW, channels], run(input) {
    for (let y = 0; y < outH; y++) {
      const from = ((y + top) * width + left) * channels;
      out.set(input.subarray(from, from + outW * channels), y * outW * channels);
    }
    return out;
  } };
}

function repeatVector(layer, shape) {
  const size = shape[0], out = new Float32Array(layer.n * size);
  return { shape: [layer.n, size], repeats: true, run(input) {
    for (let t = 0; t < layer.n; t++) out.set(input.subarray(0, size), t * size);
    return out;
  } };
}

function lstm(layer, [steps, inputs], w, repeatedInput) {
  const units = layer.units, gates = 4 * units;  // gate order i, f, c (candidate), o
  const kernel = w(layer.kernel), recurrent = w(layer.recurrent_kernel), bias = w(layer.bias);
  const act = activation(layer.activation) ?? (x => x), gate = activation(layer.recurrent_activation) ?? (x => x);
  const xw = new Float64Array(steps * gates), z = new Float64Array(gates), h = new Float64Array(units), c = new Float64Array(units);
  const out = new Float32Array(layer.return_sequences ? steps * units : units);
  const project = (input, t) => {  // x_t W + b into xw[t]
    const row = xw.subarray(t * gates, (t + 1) * gates);
    row.set(bias);
    for (let i = 0; i < inputs; i++) {
      const v = input[t * inputs + i];
      if (v === 0) continue;
      for (let j = 0; j < gates; j++) row[j] += v * kernel[i * gates + j];
    }
  };
  return { shape: layer.return_sequences ? [steps, units] : [units], run(input) {
    if (repeatedInput) { project(input, 0); for (let t = 1; t < steps; t++) xw.copyWithin(t * gates, 0, gates); }
    else for (let t = 0; t < steps; t++) project(input, t);
    h.fill(0); c.fill(0);
    for (let t = 0; t < steps; t++) {
      z.set(xw.subarray(t * gates, (t + 1) * gates));
      for (let i = 0; i < units; i++) {
        const v = h[i];
        if (v === 0) continue;
        for (let j = 0; j < gates; j++) z[j] += v * recurrent[i * gates + j];
      }
      for (let u = 0; u < units; u++) {
        c[u] = gate(z[units + u]) * c[u] + gate(z[u]) * act(z[2 * units + u]);
        h[u] = gate(z[3 * units + u]) * act(c[u]);
      }
      if (layer.return_sequences) for (let u = 0; u < units; u++) out[t * units + u] = h[u];
    }
    if (!layer.return_sequences) out.set(h);
    return out;
  } };
}

function scaleShift(layer, shape, w) {
  const scale = w(layer.scale), shift = w(layer.shift), channels = scale.length;
  const out = new Float32Array(shape.reduce((a, b) => a * b, 1));
  return { shape, run(input) {
    for (let i = 0; i < out.length; i++) out[i] = input[i] * scale[i % channels] + shift[i % channels];
    return out;
  } };
}

function activationLayer(layer, shape) {
  const fn = activation(layer.activation), out = new Float32Array(shape.reduce((a, b) => a * b, 1));
  return { shape, run(input) { out.set(input); applyInPlace(out, fn); return out; } };
}

const LAYERS = { dense, conv2d, conv2d_transpose: conv2dTranspose, upsampling2d, maxpool2d, cropping2d,
                 repeat_vector: repeatVector, lstm, scale_shift: scaleShift, activation: activationLayer,
                 reshape: (layer) => ({ shape: layer.target_shape, run: input => input }) };

// spec: aecore.models.webexport's JSON; weights: a Float32Array (or ArrayBuffer) of every array, in spec order.
export function compileDecoder(spec, weights) {
  const all = weights instanceof Float32Array ? weights : new Float32Array(weights);
  const w = ref => all.subarray(ref.offset, ref.offset + ref.shape.reduce((a, b) => a * b, 1));
  let shape = spec.input_shape, repeats = false;
  const steps = spec.layers.map(layer => {
    const build = LAYERS[layer.type];
    if (!build) throw new Error(`layer ${layer.name} (${layer.type}) has no in-browser version`);
    const step = build(layer, shape, w, repeats);
    shape = step.shape; repeats = !!step.repeats;
    return step;
  });
  const inputSize = spec.input_shape.reduce((a, b) => a * b, 1), code = new Float32Array(inputSize);
  return { inputSize, outputShape: spec.output_shape, run(values) {
    code.set(values);
    let x = code;
    for (const step of steps) x = step.run(x);
    return x;  // (h, w, c) row-major, reused by the next call
  } };
}

export function base64ToBytes(text) {  // for the parity test and the bench, which pass text into the page
  const binary = atob(text), bytes = new Uint8Array(binary.length);
  for (let i = 0; i < binary.length; i++) bytes[i] = binary.charCodeAt(i);
  return bytes;
}
