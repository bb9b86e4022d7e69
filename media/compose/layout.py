"""Where tiles go on the canvas: presenter, speaker and grid, as pure geometry.

Every rectangle has even coordinates and sizes (4:2:0 chroma). Sources are fitted inside
their tile keeping their aspect ratio (``fit``), centred, the rest left as background.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

GUTTER = 4
"""Pixels between tiles."""


@dataclass(frozen=True, slots=True, order=True)
class Rect:
    x: int
    y: int
    w: int
    h: int


def _even(value: float) -> int:
    return max(2, int(value) // 2 * 2)


def canvas_size(tallest_screen: int, max_height: int) -> tuple[int, int]:
    """1280x720, or 1920x1080 when a screen share is taller than 720 lines, never taller
    than ``max_height`` (16:9 either way)."""
    height = 1080 if tallest_screen > 720 else 720
    height = _even(min(height, max_height))
    return _even(height * 16 / 9), height


def fit(width: int, height: int, tile: Rect) -> Rect:
    """The largest rectangle of the source's aspect ratio inside ``tile``, centred."""
    scale = min(tile.w / width, tile.h / height)
    w = min(tile.w, _even(width * scale))
    h = min(tile.h, _even(height * scale))
    return Rect(tile.x + (tile.w - w) // 2 // 2 * 2, tile.y + (tile.h - h) // 2 // 2 * 2, w, h)


def grid(count: int, width: int, height: int) -> list[Rect]:
    """``count`` equal 16:9-ish cells in rows, the last row centred."""
    if count <= 0:
        return []
    columns = math.ceil(math.sqrt(count))
    rows = math.ceil(count / columns)
    cell_w = _even((width - GUTTER * (columns - 1)) / columns)
    cell_h = _even((height - GUTTER * (rows - 1)) / rows)
    top = (height - rows * cell_h - GUTTER * (rows - 1)) // 2 // 2 * 2
    out = []
    for row in range(rows):
        in_row = min(columns, count - row * columns)
        left = (width - in_row * cell_w - GUTTER * (in_row - 1)) // 2 // 2 * 2
        for column in range(in_row):
            out.append(Rect(left + column * (cell_w + GUTTER), top + row * (cell_h + GUTTER),
                            cell_w, cell_h))
    return out


def strip(count: int, area: Rect, vertical: bool) -> list[Rect]:
    """``count`` 16:9 thumbnails in a row (or column) inside ``area``, centred, shrunk to
    fit when there are many."""
    if count <= 0:
        return []
    if vertical:
        tile_w = area.w
        tile_h = _even(min(tile_w * 9 / 16, (area.h - GUTTER * (count - 1)) / count))
        tile_w = _even(min(tile_w, tile_h * 16 / 9))
        total = count * tile_h + GUTTER * (count - 1)
        top = area.y + (area.h - total) // 2 // 2 * 2
        left = area.x + (area.w - tile_w) // 2 // 2 * 2
        return [Rect(left, top + n * (tile_h + GUTTER), tile_w, tile_h) for n in range(count)]
    tile_h = area.h
    tile_w = _even(min(tile_h * 16 / 9, (area.w - GUTTER * (count - 1)) / count))
    tile_h = _even(min(tile_h, tile_w * 9 / 16))
    total = count * tile_w + GUTTER * (count - 1)
    left = area.x + (area.w - total) // 2 // 2 * 2
    top = area.y + (area.h - tile_h) // 2 // 2 * 2
    return [Rect(left + n * (tile_w + GUTTER), top, tile_w, tile_h) for n in range(count)]


def presenter(others: int, width: int, height: int) -> tuple[Rect, list[Rect]]:
    """The shared screen large on the left, everyone's camera in a column on the right."""
    if others == 0:
        return Rect(0, 0, width, height), []
    column = _even(width / 5)
    main = Rect(0, 0, width - column - GUTTER, height)
    return main, strip(others, Rect(width - column, 0, column, height), vertical=True)


def speaker(others: int, width: int, height: int) -> tuple[Rect, list[Rect]]:
    """The active speaker large on top, the others in a row below."""
    if others == 0:
        return Rect(0, 0, width, height), []
    row = _even(height / 5)
    main = Rect(0, 0, width, height - row - GUTTER)
    return main, strip(others, Rect(0, height - row, width, row), vertical=False)
