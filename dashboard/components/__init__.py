"""Custom components (Streamlit components v2, no iframe, no build step), one folder each: its Python wrapper
(`__init__.py`) beside its JavaScript, HTML and CSS as real files, declared by `declare` below. Browser code that
several components share (thumbnail sheets, the class legend, colours) sits in `shared/` and is loaded once with
each component that names it. Components import no state, sections or pages: the page hands them their data.
"""

from pathlib import Path

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
