"""Vega-Lite figures (spec dicts for `st.vega_lite_chart`) of the Reconstructions and Feature maps pages and Restore's
PSNR curves. A spec's `height` is the whole chart's, its title and axes included (Streamlit fits a chart to it).

Why not Plotly there: a fresh browser tab compiles Plotly's 4.7 MB bundle when its first Plotly chart arrives, a
0.9 s long task on a quiet machine (2 s at load 8), and these pages' first screens were all Plotly: the images
waited for it. Streamlit's own Vega-Lite costs a third of that (bench/RESULTS.md, "Explore pages' first open,
session 17"). Every string is a value in a spec's `data`, which Vega draws as text (SVG text, never markup), and no
string goes into an expression, so names need no escaping and show as typed.
"""

import numpy as np

from dashboard import plots

NO_FRAME = {"view": {"stroke": None}}  # no box around image cells
TITLE_PX = 22  # room for one line of 12-px cell titles


def _image_layer(values: list[dict], cell_px: int, x: dict) -> dict:
    """Images (data URIs in `url`) at their `top` pixel, one per band of `x`, square inside `cell_px`, crisp."""
    return {"data": {"values": values},
            "mark": {"type": "image", "smooth": False, "width": {"band": 1}, "height": cell_px, "align": "left",
                     "baseline": "top", "aspect": True},
            "encoding": {"x": x, "y": {"field": "top", "type": "quantitative", "scale": None},
                         "url": {"field": "url", "type": "nominal"}}}


def image_rows(rows: list[list[np.ndarray]], row_titles: list[str], cell_titles: list[list[str]], cell_px: int = 96,
               row_colours: list[str] | None = None) -> dict:
    """Rows of images, a title above every cell and a bold label left of every row (cut at 22 characters, whole on
    hover), in the row's colour: the Reconstructions grid. The images fill the width; each row is `cell_px` tall."""
    x = {"field": "column", "type": "ordinal", "axis": None, "scale": {"paddingInner": 0.04, "paddingOuter": 0}}
    cells, labels = [], []
    for index, (row, titles) in enumerate(zip(rows, cell_titles)):
        top = index * (cell_px + TITLE_PX) + TITLE_PX
        cells += [{"column": column, "top": top, "url": plots.data_uri(image), "title": str(title)}
                  for column, (image, title) in enumerate(zip(row, titles))]
        name = str(row_titles[index])
        labels.append({"middle": top + cell_px / 2, "label": name if len(name) <= 22 else name[:21] + "…", "name": name,
                       "colour": (row_colours or [])[index] if index < len(row_colours or []) else "#334155"})
    left = 14 + 8 * max(min(len(str(title)), 22) for title in row_titles)
    titles = {"data": {"values": cells}, "mark": {"type": "text", "baseline": "bottom", "fontSize": 12, "yOffset": -4,
                                                  "color": "#64748b"},
              "encoding": {"x": {**x, "bandPosition": 0.5}, "y": {"field": "top", "type": "quantitative", "scale": None},
                           "text": {"field": "title", "type": "nominal"}}}
    names = {"data": {"values": labels}, "mark": {"type": "text", "align": "right", "baseline": "middle", "x": -8,
                                                  "fontWeight": "bold", "fontSize": 13},
             "encoding": {"y": {"field": "middle", "type": "quantitative", "scale": None},
                          "text": {"field": "label", "type": "nominal"},
                          "color": {"field": "colour", "type": "nominal", "scale": None},
                          "tooltip": {"field": "name", "type": "nominal"}}}
    return {"height": len(rows) * (cell_px + TITLE_PX), "padding": {"left": left, "top": 0, "right": 4, "bottom": 4},
            "layer": [_image_layer(cells, cell_px, x), titles, names], "config": NO_FRAME}


def code_bars(code: np.ndarray, title: str, height: int = 260) -> dict:
    """A flat code, one bar per dimension: positive indigo, negative rose."""
    values = np.asarray(code, dtype=np.float64).reshape(-1)
    colours = [plots.PALETTE[0] if value >= 0 else plots.PALETTE[1] for value in values]
    return _per_dimension(values, colours, title, "value", ".3f", height)


def dimension_bars(values: np.ndarray, title: str, y_title: str, threshold: float | None = None,
                   height: int = 280) -> dict:
    """One bar per code dimension; bars at or below `threshold` (unused dimensions) in grey."""
    values = np.asarray(values, dtype=np.float64).reshape(-1)
    colours = [plots.PALETTE[8] if threshold is not None and value <= threshold else plots.PALETTE[0]
               for value in values]
    return _per_dimension(values, colours, title, y_title, ".4f", height)


def _per_dimension(values: np.ndarray, colours: list[str], title: str, y_title: str, value_format: str,
                   height: int) -> dict:
    rows = [{"dimension": index, "value": float(value), "colour": colour}
            for index, (value, colour) in enumerate(zip(values, colours))]
    return {"height": height, "title": {"text": str(title), "anchor": "start"}, "layer": [{
            "data": {"values": rows}, "mark": {"type": "bar"},  # data inside a layer: Streamlit keeps it in the spec
            "encoding": {"x": {"field": "dimension", "type": "ordinal", "title": "code dimension",
                               "axis": {"labelAngle": 0}},
                         "y": {"field": "value", "type": "quantitative", "title": y_title, "stack": None},
                         "color": {"field": "colour", "type": "nominal", "scale": None},
                         "tooltip": [{"field": "dimension", "type": "ordinal"},
                                     {"field": "value", "type": "quantitative", "format": value_format}]}}]}


def code_heatmap(codes: np.ndarray, labels=None, class_names=None, title: str = "", height: int | None = None) -> dict:
    """(n, dims) codes as a dims x images heat map, images sorted by label, each class's name under its images and
    a white line between classes. Diverging colours centred on 0 when codes go negative (VAE, linear), Viridis for
    ReLU codes."""
    order = np.argsort(labels, kind="stable") if labels is not None else np.arange(len(codes))
    matrix = np.asarray(codes, dtype=np.float64).reshape(len(codes), -1)[order].T  # (dims, n)
    diverging = bool(matrix.min() < 0)
    cells = [{"position": position, "dimension": dimension, "value": float(matrix[dimension, position]),
              "image": int(order[position])} for dimension in range(matrix.shape[0]) for position in range(matrix.shape[1])]
    colour = {"scheme": "redblue", "reverse": True, "domainMid": 0} if diverging else {"scheme": "viridis"}
    layers = [{"data": {"values": cells}, "mark": {"type": "rect"},
               "encoding": {"x": {"field": "position", "type": "quantitative", "scale": {"domain": [0, matrix.shape[1]]},
                                  "axis": {"labels": False, "ticks": False, "grid": False, "titlePadding": 20,
                                           "title": "test images, sorted by class"}},
                            "x2": {"field": "end"},
                            "y": {"field": "dimension", "type": "ordinal", "title": "code dimension"},
                            "color": {"field": "value", "type": "quantitative", "title": None, "scale": colour},
                            "tooltip": [{"field": "image", "type": "quantitative", "title": "image #"},
                                        {"field": "dimension", "type": "ordinal"},
                                        {"field": "value", "type": "quantitative", "format": ".3f"}]},
               "transform": [{"calculate": "datum.position + 1", "as": "end"}]}]
    if labels is not None:
        sorted_labels = np.asarray(labels)[order]
        groups = np.unique(sorted_labels)
        starts = [int(np.searchsorted(sorted_labels, group)) for group in groups]
        ends = [int(np.searchsorted(sorted_labels, group, side="right")) for group in groups]
        names = [{"middle": (start + end) / 2, "label": str(class_names[int(group)]) if class_names else str(group)}
                 for group, start, end in zip(groups, starts, ends)]
        layers.append({"data": {"values": [{"position": start} for start in starts[1:]]},
                       "mark": {"type": "rule", "color": "white", "strokeWidth": 2},
                       "encoding": {"x": {"field": "position", "type": "quantitative"}}})
        layers.append({"data": {"values": names}, "mark": {"type": "text", "fontSize": 10, "baseline": "top"},
                       "encoding": {"x": {"field": "middle", "type": "quantitative"},
                                    "y": {"value": {"expr": "height + 4"}},  # under the plot, whatever height it is drawn at
                                    "text": {"field": "label", "type": "nominal"}}})
    return {"height": height or int(np.clip(150 + 16 * matrix.shape[0], 240, 520)),
            "title": {"text": str(title), "anchor": "start"}, "layer": layers}


def probe_bars(rows: dict[str, dict]) -> dict:
    """Grouped bars: k-NN and linear-probe accuracy for each model and baseline (name -> scores), in that order."""
    probes = (("knn_accuracy", "k-NN (k = 5, cosine)", "#2563eb"), ("linear_probe_accuracy", "linear probe", "#f59e0b"))
    values = [{"name": str(name), "probe": title, "accuracy": float(scores[key]), "label": f"{scores[key]:.3f}"}
              for name, scores in rows.items() for key, title, _ in probes]
    low = max(0.0, min(value["accuracy"] for value in values) - 0.1)
    x = {"field": "name", "type": "nominal", "sort": None, "title": None, "axis": {"labelAngle": 0}}
    offset = {"field": "probe", "type": "nominal", "sort": None}
    y = {"field": "accuracy", "type": "quantitative", "title": "test accuracy", "stack": None,
         "scale": {"domain": [low, 1.0], "zero": False}}
    return {"height": 320,
            "layer": [{"data": {"values": values}, "mark": {"type": "bar", "clip": True},
                       "encoding": {"x": x, "xOffset": offset, "y": y,
                                    "color": {"field": "probe", "type": "nominal", "sort": None, "title": None,
                                              "scale": {"domain": [title for _, title, _ in probes],
                                                        "range": [colour for _, _, colour in probes]},
                                              "legend": {"orient": "top"}}}},
                      {"data": {"values": values}, "mark": {"type": "text", "baseline": "bottom", "dy": -3, "fontSize": 11},
                       "encoding": {"x": x, "xOffset": offset, "y": y, "text": {"field": "label", "type": "nominal"}}}]}


def metric_by_model(values: dict[str, float], title: str, value_format: str = "{:.3f}") -> dict:
    """One horizontal bar per model for one dataset-level metric, its value beside it; model i gets PALETTE[i], as
    its row label in `image_rows` does, so a colour means the same model everywhere."""
    rows = [{"name": str(name), "value": float(value), "label": value_format.format(value),
             "colour": plots.PALETTE[index % len(plots.PALETTE)]} for index, (name, value) in enumerate(values.items())]
    y = {"field": "name", "type": "nominal", "sort": None, "title": None}
    x = {"field": "value", "type": "quantitative", "title": None, "stack": None}
    return {"height": 70 + 34 * len(rows), "title": {"text": str(title), "anchor": "start"},
            "layer": [{"data": {"values": rows}, "mark": {"type": "bar"},
                       "encoding": {"x": x, "y": y, "color": {"field": "colour", "type": "nominal", "scale": None},
                                    "tooltip": [{"field": "name", "type": "nominal"},
                                                {"field": "label", "type": "nominal", "title": "value"}]}},
                      {"data": {"values": rows}, "mark": {"type": "text", "align": "left", "dx": 3, "fontSize": 12},
                       "encoding": {"x": x, "y": y, "text": {"field": "label", "type": "nominal"}}}]}


def psnr_curves(levels, curves: dict[str, np.ndarray], title: str, thick: set[str],
                baseline: str = "noisy input") -> dict:
    """Mean PSNR against noise level, one line with points per name (PALETTE's colours in order, as the Plotly chart
    had them), the `baseline` dotted; names in `thick` drawn thick, the rest thin and faded. A NaN or infinite value
    (level 0's PSNR of the clean input itself) is a gap in its line, not a point."""
    names = [str(name) for name in curves]
    rows = [{"name": str(name), "level": float(level), "psnr": float(value) if np.isfinite(value) else None,
             "width": 4.0 if name in thick else 1.5, "opacity": 1.0 if name in thick else 0.6}
            for name, values in curves.items() for level, value in zip(levels, np.asarray(values, dtype=np.float64))]
    colour = {"field": "name", "type": "nominal", "title": None, "sort": None,
              "scale": {"domain": names, "range": [plots.PALETTE[index % len(plots.PALETTE)]
                                                   for index in range(len(names))]},
              "legend": {"orient": "right", "symbolType": "stroke", "labelLimit": 360}}
    encoding = {"x": {"field": "level", "type": "quantitative", "title": "noise level",
                      "axis": {"tickCount": 10, "format": ".1f"}},
                "y": {"field": "psnr", "type": "quantitative", "title": "PSNR (dB), higher is better",
                      "scale": {"zero": False}},
                "color": colour, "strokeWidth": {"field": "width", "type": "quantitative", "scale": None},
                "opacity": {"field": "opacity", "type": "quantitative", "scale": None},
                "tooltip": [{"field": "name", "type": "nominal", "title": "model"},
                            {"field": "level", "type": "quantitative", "format": ".2f", "title": "noise level"},
                            {"field": "psnr", "type": "quantitative", "format": ".2f", "title": "PSNR (dB)"}]}

    def layer(values: list[dict], dotted: bool) -> dict:
        mark = {"type": "line", "point": True, "invalid": "break-paths-show-domains",
                **({"strokeDash": [2, 3]} if dotted else {})}
        return {"data": {"values": values}, "mark": mark, "encoding": encoding}
    return {"height": 340, "title": {"text": str(title), "anchor": "start"},
            "layer": [layer([row for row in rows if row["name"] != baseline], False),
                      layer([row for row in rows if row["name"] == baseline], True)]}
