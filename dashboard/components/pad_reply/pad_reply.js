// The server's small answers to the pad (latent_pad.js), on an element of their own so the pad's big message is sent
// once: Streamlit sends an unchanged element again as a reference to the browser's copy, and only this one changes.
// An answer is handed to the pad of the same key at once, or kept until that pad loads.
const REPLY_PADS = (globalThis.__aecoreMaps ??= { maps: new Map(), spots: new Map() });

export default function (component) {
  const { data } = component;
  if (!data || !data.key) return;
  REPLY_PADS.replies ??= new Map();
  REPLY_PADS.replies.set(data.key, data);
  REPLY_PADS.pads?.get(data.key)?.receive(data);
}
