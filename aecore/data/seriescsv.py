"""One CSV of a time series read and checked: a time column, value columns, and an optional label column.

The time column is the first one when its header names a time ("timestamp", "time", "date", ...) or its cells are
not all numbers; otherwise the rows are the time axis (0, 1, 2, ...). A column named `is_anomaly` or `label` (any
case) holds the labels, 0 or 1 per row: they are kept apart and never become a value column. Every other column is
a value column, unless `columns` picks some. Every refusal is a DatasetError naming the file, the row or column,
and the fix.
"""

import csv
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from aecore import errors

TIME_NAMES = ("timestamp", "time", "date", "datetime", "t", "index")
LABEL_NAMES = ("is_anomaly", "label")
MAX_CSV_BYTES = 256 * 1024**2  # a CSV above this is refused before reading (~5 M rows of a few columns)
MAX_COLUMNS = 64  # value columns


@dataclass
class RawSeries:
    """A CSV's columns as read, before any normalisation."""

    timestamps: np.ndarray  # (steps,) str: the time column's text, or the row numbers
    values: np.ndarray  # (steps, channels) float64
    columns: list[str]  # value column names, in order
    labels: np.ndarray | None  # (steps,) int64 0/1, or None without a label column
    time_column: str | None  # the time column's header, or None (rows are the time axis)
    label_column: str | None


def read_csv(path, columns: tuple[str, ...] | None = None) -> RawSeries:
    """The series in `path`; `columns` picks value columns by header (None: every column but time and label)."""
    path = Path(path)
    rows = _rows(path)
    header, body = [name.strip() for name in rows[0]], rows[1:]
    if len(body) < 2:
        raise errors.DatasetError(f"{path} has {len(body)} data rows; a series needs many (at least a few windows)")
    for number, row in enumerate(body, start=2):
        if len(row) != len(header):
            raise errors.DatasetError(f"{path}, line {number}: {len(row)} cells, but the header has {len(header)} "
                                      f"columns ({', '.join(header)}); every row needs one cell per column")
    lowered = [name.lower() for name in header]
    label_index = next((lowered.index(name) for name in LABEL_NAMES if name in lowered), None)
    time_index = 0 if _is_time_column(header[0], [row[0] for row in body]) and label_index != 0 else None
    value_indices = _value_indices(path, header, columns, {time_index, label_index} - {None})
    values = np.empty((len(body), len(value_indices)), np.float64)
    for position, index in enumerate(value_indices):
        values[:, position] = _numbers(path, header[index], [row[index] for row in body])
    labels = None if label_index is None else _labels(path, header[label_index], [row[label_index] for row in body])
    timestamps = np.array([row[time_index].strip() for row in body] if time_index is not None
                          else [str(step) for step in range(len(body))])
    return RawSeries(timestamps, values, [header[index] for index in value_indices], labels,
                     None if time_index is None else header[time_index],
                     None if label_index is None else header[label_index])


def _rows(path: Path) -> list[list[str]]:
    if not path.is_file():
        raise errors.DatasetError(f"No such file: {path}. Give a .csv with a header row, e.g. timestamp,value")
    if path.stat().st_size > MAX_CSV_BYTES:
        raise errors.DatasetError(f"{path} is {path.stat().st_size / 1024**2:,.0f} MB; series above "
                                  f"{MAX_CSV_BYTES // 1024**2} MB are refused: cut it, or pick fewer columns first")
    try:
        with open(path, newline="", encoding="utf-8-sig") as handle:
            rows = [row for row in csv.reader(handle) if row and any(cell.strip() for cell in row)]
    except (UnicodeDecodeError, csv.Error) as error:
        raise errors.DatasetError(f"{path} is not a readable CSV text file ({error}); save it as UTF-8 CSV") from None
    if not rows:
        raise errors.DatasetError(f"{path} is empty; give a header row (e.g. timestamp,value) and one row per step")
    return rows


def _is_time_column(name: str, cells: list[str]) -> bool:
    if name.strip().lower() in TIME_NAMES:
        return True
    try:
        [float(cell) for cell in cells[:1000]]
    except ValueError:
        return True  # text such as dates: a time axis, not a value
    return False


def _value_indices(path: Path, header: list[str], columns, reserved: set[int]) -> list[int]:
    offered = [index for index in range(len(header)) if index not in reserved]
    if columns:
        missing = [name for name in columns if name not in [header[index] for index in offered]]
        if missing:
            raise errors.DatasetError(f"{path} has no value column {', '.join(map(repr, missing))}; its value columns "
                                      f"are {', '.join(header[index] for index in offered) or 'none'} (time and "
                                      f"label columns cannot be chosen)")
        offered = [header.index(name) for name in columns]
    if not offered:
        raise errors.DatasetError(f"{path} has no value column (only {', '.join(header)}); give at least one column "
                                  f"of numbers beside the time and label columns")
    if len(offered) > MAX_COLUMNS:
        raise errors.DatasetError(f"{path} has {len(offered)} value columns; at most {MAX_COLUMNS} are used: pick "
                                  f"some with --columns A,B")
    return offered


def _numbers(path: Path, name: str, cells: list[str]) -> np.ndarray:
    found = np.empty(len(cells), np.float64)
    for row, cell in enumerate(cells):
        try:
            found[row] = float(cell)
        except ValueError:
            found[row] = np.nan
        if not np.isfinite(found[row]):
            raise errors.DatasetError(f"{path}, line {row + 2}, column {name!r}: {cell.strip()!r} is not a number; "
                                      f"fill or drop missing values first (every value cell needs a finite number)")
    return found


def _labels(path: Path, name: str, cells: list[str]) -> np.ndarray:
    words = {"0": 0, "1": 1, "0.0": 0, "1.0": 1, "false": 0, "true": 1}
    found = np.empty(len(cells), np.int64)
    for row, cell in enumerate(cells):
        if cell.strip().lower() not in words:
            raise errors.DatasetError(f"{path}, line {row + 2}, label column {name!r}: {cell.strip()!r} is not 0 or 1 "
                                      f"(1 marks an anomalous step); fix it, or rename the column to use it as values")
        found[row] = words[cell.strip().lower()]
    return found
