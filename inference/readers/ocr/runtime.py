"""RapidOCR's two models, called directly: detection on a page image scaled down to ``ocr.det_dpi`` (text
boxes are found as well at ~110 dpi as at 200, for a third of the time and memory) and recognition of
crops in batches of similar width. RapidOCR pads every crop to at least 320 pixels wide; a cell holding
one figure is ~60 pixels wide, so batching crops at their own width costs a third of RapidOCR's own path.

Per-stage wall-clock times accumulate in this process (``stage_times``), for the benchmark and the
debug log; the reader's output does not depend on them.
"""

from __future__ import annotations

import math
import os
import time
from collections.abc import Iterator
from contextlib import contextmanager
from functools import cache
from typing import Any

import cv2
import numpy as np
from govreport.configs import load

PixelBox = tuple[float, float, float, float]  # x0, y0, x1, y1 in pixels of the page image

_TIMES: dict[str, float] = {}


@contextmanager
def stage(name: str) -> Iterator[None]:
    """Add the time spent in the block to ``name``'s total."""
    started = time.perf_counter()
    try:
        yield
    finally:
        _TIMES[name] = _TIMES.get(name, 0.0) + time.perf_counter() - started


def stage_times() -> dict[str, float]:
    """Seconds spent per stage in this process since the last ``reset_stage_times``."""
    return dict(_TIMES)


def reset_stage_times() -> None:
    _TIMES.clear()


def settings() -> dict[str, Any]:
    """The ``ocr:`` section of configs/readers.yaml."""
    return load("readers")["ocr"]


def cell_reading() -> bool:
    """Whether ruled tables are read cell by cell (the default) or by the old page-level path; the
    environment variable ``GOVREPORT_OCR_CELL_READING=0|1`` overrides the config (side-by-side runs)."""
    value = os.environ.get("GOVREPORT_OCR_CELL_READING", "").strip()
    if value:
        return value not in ("0", "false", "no", "off")
    return bool(settings()["cell_reading"])


@cache
def engine() -> Any:
    """One RapidOCR engine per process (loading the models takes seconds)."""
    from rapidocr import RapidOCR

    cfg = settings()
    threads = int(os.environ.get("GOVREPORT_OCR_THREADS", cfg["threads"])) or -1
    return RapidOCR(
        params={
            "Global.use_cls": cfg["use_cls"],
            "Global.max_side_len": cfg["max_side_len"],
            "Global.log_level": "warning",
            "Global.return_word_box": True,
            "EngineConfig.onnxruntime.intra_op_num_threads": threads,
        }
    )


def detect(image: np.ndarray, scale: float, spans: list[tuple[int, int]] | None = None) -> list[PixelBox]:
    """Text line boxes of a (grey or RGB) page image, in its pixels; the detector sees the image scaled
    by ``scale`` (≤ 1). With ``spans`` (rows y0..y1 of the image) it sees only those bands, stacked one
    under the other with blank paper between: the rest of the page (ruled tables, margins) costs nothing."""
    small = image
    if scale < 1:
        small = cv2.resize(image, None, fx=scale, fy=scale, interpolation=cv2.INTER_AREA)
    if small.ndim == 2:
        small = cv2.cvtColor(small, cv2.COLOR_GRAY2RGB)
    factor = 1 / scale if scale < 1 else 1.0
    if spans is None:
        return _detect(small, factor, [(0, small.shape[0], 0)])
    if not spans:
        return []
    gap = 32
    bands, offsets, y = [], [], 0
    for y0, y1 in spans:
        a, b = int(y0 / factor), min(int(np.ceil(y1 / factor)), small.shape[0])
        if b <= a:
            continue
        bands += [small[a:b], np.full((gap, small.shape[1], 3), 255, np.uint8)]
        offsets.append((y, y + b - a, a))
        y += b - a + gap
    # the detector enlarges any image whose short side is under its limit (736 px): pad, don't enlarge
    least = int(engine().cfg.Det.limit_side_len)
    if y < least:
        bands.append(np.full((least - y, small.shape[1], 3), 255, np.uint8))
    return _detect(np.concatenate(bands), factor, offsets)


def _detect(small: np.ndarray, factor: float, offsets: list[tuple[int, int, int]]) -> list[PixelBox]:
    """Boxes found in ``small``, mapped back through ``offsets`` (stacked rows y0..y1 come from row
    ``source`` onwards) and ``factor`` to the page's pixels."""
    found = engine()._load_det_model()(np.ascontiguousarray(small))
    if found.boxes is None:
        return []
    out = []
    for quad in np.asarray(found.boxes):
        x0, y0, x1, y1 = quad[:, 0].min(), quad[:, 1].min(), quad[:, 0].max(), quad[:, 1].max()
        centre = (y0 + y1) / 2
        band = next(((top, source) for top, bottom, source in offsets if top <= centre < bottom), None)
        if band is None:
            continue
        shift = band[1] - band[0]
        out.append(
            (float(x0) * factor, float(y0 + shift) * factor, float(x1) * factor, float(y1 + shift) * factor)
        )
    return out


def recognise(crops: list[np.ndarray]) -> list[tuple[str, float]]:
    """Text and confidence of each crop (one line of text each, grey or RGB), recognised in batches of
    crops of similar shape so little is spent on padding."""
    if not crops:
        return []
    margin = float(settings()["rec_margin"])
    if margin:  # paper above and below: the text is drawn smaller into the model's 48 rows, so narrower
        crops = [
            cv2.copyMakeBorder(c, int(margin * c.shape[0]), int(margin * c.shape[0]), 0, 0, cv2.BORDER_REPLICATE)
            for c in crops
        ]
    rec = engine()._load_rec_model()
    _, height, _ = rec.rec_image_shape
    batch_size = int(settings()["rec_batch"])
    ratios = [c.shape[1] / max(c.shape[0], 1) for c in crops]
    order = sorted(range(len(crops)), key=ratios.__getitem__)
    out: list[tuple[str, float]] = [("", 0.0)] * len(crops)
    for start in range(0, len(order), batch_size):
        members = order[start : start + batch_size]
        widest = max(ratios[i] for i in members)
        width = max(8, math.ceil(height * widest / 8) * 8)
        batch = np.zeros((len(members), 3, height, width), np.float32)
        for k, i in enumerate(members):
            crop = crops[i] if crops[i].ndim == 3 else cv2.cvtColor(crops[i], cv2.COLOR_GRAY2RGB)
            w = min(width, max(1, math.ceil(height * ratios[i])))
            resized = cv2.resize(crop, (w, height)).astype(np.float32)
            batch[k, :, :, :w] = resized.transpose(2, 0, 1) / 127.5 - 1.0
        preds = rec.session(batch)
        lines, _ = rec.postprocess_op(preds, False, wh_ratio_list=[ratios[i] for i in members], max_wh_ratio=widest)
        for k, i in enumerate(members):
            out[i] = (str(lines[k][0]), float(lines[k][1]))
    return out
