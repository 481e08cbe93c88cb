"""Names for the points of a plot, placed where the layout check (layout.py) finds nothing wrong."""
from __future__ import annotations

import numpy as np
from manim import Dot, Line

from .layout import TEXT_TYPES, TOLERANCE, box_of, segments_of


def _crossings(segments: np.ndarray, boxes: np.ndarray) -> np.ndarray:
    """(K, S): whether segment s (of S, 2, 2) passes through box k (of K, 4) shrunk by TOLERANCE."""
    lo, hi = boxes[:, None, :2] + TOLERANCE, boxes[:, None, 2:] - TOLERANCE  # (K, 1, 2)
    start, delta = segments[None, :, 0], segments[None, :, 1] - segments[None, :, 0]  # (1, S, 2)
    with np.errstate(divide="ignore", invalid="ignore"):
        t1, t2 = (lo - start) / delta, (hi - start) / delta  # (K, S, 2)
        inside = (start >= lo) & (start <= hi)
        flat = delta == 0
        enter = np.where(flat, np.where(inside, -np.inf, np.inf), np.minimum(t1, t2)).max(axis=2)
        leave = np.where(flat, np.where(inside, np.inf, -np.inf), np.maximum(t1, t2)).min(axis=2)
    return (np.maximum(enter, 0) <= np.minimum(leave, 1)) & np.all(hi > lo, axis=2)


def _segments_meet(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """For segments a (K, 2, 2): whether each properly crosses any of b (S, 2, 2)."""
    def side(p, q, r):  # the sign of the turn p -> q -> r
        (px, py), (qx, qy), (rx, ry) = np.moveaxis(p, -1, 0), np.moveaxis(q, -1, 0), np.moveaxis(r, -1, 0)
        return np.sign((qx - px) * (ry - py) - (qy - py) * (rx - px))
    p, q, r, t = a[:, None, 0], a[:, None, 1], b[None, :, 0], b[None, :, 1]
    return ((side(p, q, r) * side(p, q, t) < 0) & (side(r, t, p) * side(r, t, q) < 0)).any(axis=1)


def place_labels(labels: list, taken: list, lines: list, area: np.ndarray) -> list:
    """Place each label (text, its dot, the side it prefers, UP or DOWN, the line through the dot or None)
    inside `area` (x0, y0, x1, y1) where the layout check passes, with room to spare: overlapping nothing
    in `taken` (texts, dots), crossing none of `lines`, as near its dot as it can. A label away from its
    dot gets a leader, a thin Line from the dot that crosses nothing but the line through the dot; one
    without a leader is nearer its own dot than any other; texts keep some spacing, less where the
    points crowd. Each placed label joins `taken`. Returns, per label, False where it found no place
    (a point too crowded to be named: leave the label out), else its leader or None."""
    for spacing in (0.2, 0.1):
        chosen, table = _solve(labels, taken, lines, area, spacing)
        if all(chosen.get(i) is not None for i in range(len(labels))):
            break
    placed: list = []
    for i, (text, _dot, _prefer, _) in enumerate(labels):
        if chosen.get(i) is None:
            placed.append(False)
            continue
        boxes, ends, needs = table[i]
        box = boxes[chosen[i]]
        text.move_to([(box[0] + box[2]) / 2, (box[1] + box[3]) / 2, 0])
        taken.append(text)
        placed.append(Line([*ends[chosen[i]][0], 0], [*ends[chosen[i]][1], 0], stroke_width=1.5)
                      if needs[chosen[i]] else None)
    return placed


def _solve(labels: list, taken: list, lines: list, area: np.ndarray, spacing: float, room: float = 0.08,
           near: float = 0.2, reach: float = 2.5, step: float = 0.1, tries: int = 200) -> tuple[dict, list]:
    """A search for place_labels: each label's candidate boxes on a grid around its dot (`step` apart, up
    to `reach` from it; beyond `near` with a leader), nearest first; the label with the fewest free
    places left goes first, and where one is left with none, the last choices are undone (at most
    `tries` times). Returns (label -> chosen candidate or None, each label's (boxes, leaders, needs))."""
    grid = np.arange(-reach - 1.5, reach + 1.5 + 1e-9, step)
    offsets = np.stack(np.meshgrid(grid, grid), axis=-1).reshape(-1, 2)

    def candidates(text, dot, prefer):
        """Boxes (K, 4) around the dot, nearest first, with their leaders (K, 2, 2) and whether they need one."""
        w, h = text.width, text.height
        centre, radius = dot.get_center()[:2], dot.radius
        centres = centre + offsets
        boxes = np.concatenate([centres - [w / 2, h / 2], centres + [w / 2, h / 2]], axis=1)
        nearest = np.clip(centre, boxes[:, :2], boxes[:, 2:])
        gap = np.linalg.norm(nearest - centre, axis=1) - radius
        keep = (gap >= 0.06) & (gap <= reach)
        boxes, nearest, gap = boxes[keep], nearest[keep], gap[keep]
        wrong_side = np.sign(offsets[keep][:, 1]) != np.sign(prefer[1])
        order = np.argsort(gap + 0.15 * wrong_side, kind="stable")
        boxes, nearest, gap = boxes[order], nearest[order], gap[order]
        unit = (nearest - centre) / np.maximum(np.linalg.norm(nearest - centre, axis=1, keepdims=True), 1e-9)
        leaders = np.stack([centre + unit * radius, nearest], axis=1)
        return boxes, leaders, gap > near

    def clear(boxes, leaders, needs, others, segments, own=None):
        """Which candidates (boxes, with room, and their leaders where needed) meet none of the boxes
        `others` (N, 4) and cross none of the segments (S, 2, 2); the box crosses none of `own` either
        (the line through its dot, which its leader may cross)."""
        own = np.zeros((0, 2, 2)) if own is None else own
        padded = boxes + np.array([-room, -room, room, room])
        ok = ~((np.minimum(padded[:, None, 2], others[:, 2]) - np.maximum(padded[:, None, 0], others[:, 0]) > TOLERANCE)
               & (np.minimum(padded[:, None, 3], others[:, 3]) - np.maximum(padded[:, None, 1], others[:, 1])
                  > TOLERANCE)).any(axis=1)
        if len(segments) or len(own):
            ok[ok] &= ~_crossings(np.concatenate([segments, own]), padded[ok]).any(axis=1)
        check = ok & needs
        if check.any():
            ok[check] &= ~(_segments_meet(leaders[check], segments) | _crossings(leaders[check], others).any(axis=0))
        return ok

    def segments_in(mobjects) -> np.ndarray:
        parts = [c for m in mobjects for part in m.family_members_with_points() if len(c := segments_of(part))]
        return np.concatenate(parts) if parts else np.zeros((0, 2, 2))

    def grown(box, m=None):
        """A text keeps `spacing` from another text, so that two never read as one; labels and leaders
        keep `spacing` / 2 from a dot, so that they name only their own."""
        if m is None or isinstance(m, TEXT_TYPES):
            return box + np.array([-spacing, -spacing / 2, spacing, spacing / 2])
        return box + np.array([-1, -1, 1, 1]) * spacing / 2 if isinstance(m, Dot) else box

    dots = [dot for _, dot, _, _ in labels]
    fixed_boxes = np.array([grown(box_of(m.get_all_points()), m) for m in taken]).reshape(-1, 4)
    table = []
    for text, dot, prefer, own in labels:  # what stays free of everything placed before
        boxes, leaders, needs = candidates(text, dot, prefer)
        inside = np.all(boxes[:, :2] >= area[:2], axis=1) & np.all(boxes[:, 2:] <= area[2:], axis=1)
        for other in dots:
            if other is not dot:  # a label without a leader must name the dot nearest to it
                there = other.get_center()[:2]
                gap = np.linalg.norm(np.clip(there, boxes[:, :2], boxes[:, 2:]) - there, axis=1) - other.radius
                inside &= needs | (gap > np.linalg.norm(leaders[:, 1] - leaders[:, 0], axis=1))
        keep = np.flatnonzero(inside)
        others, through = [m for m in lines if m is not own], [own] if own is not None else []
        keep = keep[clear(boxes[keep], leaders[keep], needs[keep], fixed_boxes, segments_in(others),
                          segments_in(through))]
        table.append((boxes[keep], leaders[keep], needs[keep]))
    budget, best = [tries], [{}]

    def search(chosen: dict) -> dict | None:
        if len(chosen) > len(best[0]):
            best[0] = chosen
        waiting = [i for i in range(len(labels)) if i not in chosen]
        if not waiting:
            return chosen
        placed = np.array([grown(table[j][0][k]) for j, k in chosen.items() if k is not None]).reshape(-1, 4)
        led = [table[j][1][k][None] for j, k in chosen.items() if k is not None and table[j][2][k]]
        segments = np.concatenate(led) if led else np.zeros((0, 2, 2))
        options = {i: np.flatnonzero(clear(*table[i], placed, segments)) for i in waiting}
        i = min(waiting, key=lambda i: (len(options[i]), i))
        if not len(options[i]):  # no place for this one: leave it out, place the others
            return None if len(best[0]) > len(chosen) else search({**chosen, i: None})
        for k in options[i]:
            if budget[0] <= 0:
                break
            budget[0] -= 1
            found = search({**chosen, i: k})
            if found is not None:
                return found
        return None

    return search({}) or best[0], table
