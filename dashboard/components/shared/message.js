// components.pack_message's binary messages: 8 magic bytes, the JSON header's length (uint32 LE), the header, then
// 4-byte aligned arrays the header names as {name: {offset, dtype, shape}} (offsets from the end of the header).
const DTYPES = { f4: Float32Array, u1: Uint8Array, i1: Int8Array, u4: Uint32Array, i4: Int32Array };

function readMessage(bytes, magic) {
  if (String.fromCharCode(...bytes.subarray(0, 8)) !== magic) throw new Error(`not a ${magic.trim()} message`);
  const length = new DataView(bytes.buffer, bytes.byteOffset + 8, 4).getUint32(0, true);
  const header = JSON.parse(new TextDecoder().decode(bytes.subarray(12, 12 + length)));
  const body = bytes.slice(12 + length).buffer;  // a copy: Streamlit hands the bytes over at any offset
  const arrays = {};
  for (const [name, { offset, dtype, shape }] of Object.entries(header.arrays)) {
    arrays[name] = new DTYPES[dtype](body, offset, shape.reduce((a, b) => a * b, 1));
  }
  return { header, arrays };
}
