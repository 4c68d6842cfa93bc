"""Custom components (Streamlit components v2, no iframe, no build step), one folder each: its Python wrapper
(`__init__.py`) beside its JavaScript, HTML and CSS as real files, declared by `declare` below. Browser code that
several components share (thumbnail sheets, the class legend, colours) sits in `shared/` and is loaded once with
each component that names it. Components import no state, sections or pages: the page hands them their data.
"""

import json
import struct
from pathlib import Path

import numpy as np
import streamlit as st

SHARED = Path(__file__).with_name("shared")


def source(folder: Path, scripts: tuple[str, ...], shared: tuple[str, ...] = ()) -> str:
    """One ES module: the shared scripts named, then the component's own (the last one has the `export default`)."""
    paths = [SHARED / name for name in shared] + [folder / name for name in scripts]
    return "\n".join(path.read_text() for path in paths)


def declare(init_file: str, scripts: tuple[str, ...], shared: tuple[str, ...] = ()):
    """The component of the folder that holds `init_file` (a wrapper's `__file__`): named `aecore_<folder>`, with
    `<folder>.html` and `<folder>.css` beside it and its scripts after the shared ones they use."""
    folder = Path(init_file).parent
    return st.components.v2.component(f"aecore_{folder.name}", html=(folder / f"{folder.name}.html").read_text(),
                                      css=(folder / f"{folder.name}.css").read_text(),
                                      js=source(folder, scripts, shared))


def pack_message(magic: bytes, header: dict, arrays: dict) -> bytes:
    """One binary message for a component: `magic` (8 bytes), the JSON header's length (uint32 LE), the header, then
    each array 4-byte aligned; the header names them under "arrays" as {name: {offset, dtype, shape}}, which
    shared/message.js's readMessage turns back into typed arrays without a copy."""
    blobs = {name: np.ascontiguousarray(array) for name, array in arrays.items()}
    layout, offset = {}, 0
    for name, array in blobs.items():
        layout[name] = {"offset": offset, "dtype": array.dtype.str.lstrip("<|"), "shape": list(array.shape)}
        offset += array.nbytes + (-array.nbytes % 4)
    encoded = json.dumps({**header, "arrays": layout}).encode()
    encoded += b" " * (-(len(magic) + 4 + len(encoded)) % 4)  # JSON ignores trailing spaces; arrays start aligned
    body = b"".join(array.tobytes() + b"\0" * (-array.nbytes % 4) for array in blobs.values())
    return magic + struct.pack("<I", len(encoded)) + encoded + body
