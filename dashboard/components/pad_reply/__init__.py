"""The pad's reply (components v2; pad_reply.js): the server's small answers to the Latent map's pad, on an element
of their own, so the pad's big message (its weights and 70,000 codes) stays unchanged and Streamlit sends it only once.

An answer is a dict: `key` (the pad's), `opened` (a file opened on the pad, converted: {id, pixels (base64 uint8),
notes, error}) and `refined` (where the server's reducer places the picture's code on release: {id, u, v, how}).
"""

from dashboard import components

_component = components.declare(__file__, ("pad_reply.js",))


def pad_reply(answer: dict, key: str):
    """Mounts the reply element with `answer` (JSON values only)."""
    _component(data=answer, key=key)
