"""A scanned page made fit to read before anything is detected: speckle removed (a median filter, only
where the page holds many isolated specks: it would thin clean strokes for nothing), contrast stretched
between ink and paper, and skew measured from the rows of ink (rulings and text lines alike) and undone.
A skew of half a degree moves a ruling 14 pixels across an A4 page at 200 dpi: enough to break a grid.

Also here: the ruling mask and the ink of text (rulings taken out) that cells and figures are cut from.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import cv2
import numpy as np
from govreport.inference.readers.ocr.runtime import settings


@dataclass
class Cleaned:
    """A page image ready to read: ``gray`` uint8 (deskewed, despeckled, stretched), the skew undone
    (degrees, counter-clockwise) and whether speckle was filtered."""

    gray: np.ndarray
    angle: float
    despeckled: bool


def clean(image: np.ndarray) -> Cleaned:
    """The page as grey pixels with speckle, low contrast and skew removed."""
    cfg = settings()["clean"]
    gray = cv2.cvtColor(image, cv2.COLOR_RGB2GRAY) if image.ndim == 3 else image.copy()
    despeckled = speck_share(gray) > cfg["speck_share"]
    if despeckled:
        gray = cv2.medianBlur(gray, 3)
    gray = stretch(gray)
    angle = skew(gray)
    if abs(angle) >= cfg["min_skew_deg"]:
        gray = rotate(gray, angle)
    else:
        angle = 0.0
    return Cleaned(gray, angle, despeckled)


def speck_share(gray: np.ndarray) -> float:
    """Share of the page's pixels that are dark specks standing alone (salt-and-pepper noise): a dark
    pixel whose 5×5 neighbourhood holds at most ``speck_max_pixels`` dark pixels. Print has none."""
    dark = (gray < 128).astype(np.uint8)
    counts = cv2.boxFilter(dark, cv2.CV_16U, (5, 5), normalize=False)
    lonely = (dark > 0) & (counts <= settings()["clean"]["speck_max_pixels"])
    return float(np.count_nonzero(lonely)) / dark.size


def stretch(gray: np.ndarray) -> np.ndarray:
    """Contrast stretched so the paper is white and the darkest ink black (blur and JPEG leave both grey)."""
    sample = gray[::4, ::4]
    paper = float(np.percentile(sample, 60))
    ink = float(np.percentile(sample, 0.2))
    if paper - ink < 40 or (paper >= 250 and ink <= 5):
        return gray
    lut = np.clip((np.arange(256, dtype=np.float32) - ink) * 255.0 / (paper - ink), 0, 255).astype(np.uint8)
    return cv2.LUT(gray, lut)


def skew(gray: np.ndarray) -> float:
    """The page's skew in degrees (counter-clockwise positive): the angle at which the rows of ink are
    sharpest, i.e. the histogram of ink over sheared rows has the largest sum of squares. Rulings and
    text lines both make rows; a coarse search over ``±max_skew_deg`` then a fine one around the best."""
    cfg = settings()["clean"]
    factor = min(1.0, cfg["skew_width"] / gray.shape[1])
    small = cv2.resize(gray, None, fx=factor, fy=factor, interpolation=cv2.INTER_AREA) if factor < 1 else gray
    ys, xs = np.nonzero(small < 128)
    if len(ys) < 50:
        return 0.0
    if len(ys) > 200_000:
        keep = np.random.default_rng(0).choice(len(ys), 200_000, replace=False)
        ys, xs = ys[keep], xs[keep]
    xs = xs - small.shape[1] / 2
    span = small.shape[0] + small.shape[1]

    def sharpness(degrees: float) -> float:
        rows = np.round(ys - xs * math.tan(math.radians(degrees)) + span / 2).astype(np.int64)
        hist = np.bincount(np.clip(rows, 0, 2 * span), minlength=2 * span + 1).astype(np.float64)
        return float(np.dot(hist, hist))

    most, step = cfg["max_skew_deg"], cfg["skew_step_deg"]
    coarse = np.arange(-most, most + step / 2, step)
    best = max(coarse, key=sharpness)
    fine = np.arange(best - step, best + step + 1e-9, step / 5)
    best = max(fine, key=sharpness)
    # sharpness of a straight page ties with its neighbours on a coarse grid: prefer exactly 0 then
    return 0.0 if sharpness(0.0) >= sharpness(best) else float(best)


def rotate(gray: np.ndarray, degrees: float) -> np.ndarray:
    """The image turned by ``degrees`` (counter-clockwise) about its centre, paper-white corners."""
    height, width = gray.shape[:2]
    matrix = cv2.getRotationMatrix2D((width / 2, height / 2), degrees, 1.0)
    return cv2.warpAffine(gray, matrix, (width, height), flags=cv2.INTER_LINEAR, borderValue=255)


def rulings_masks(gray: np.ndarray, length: int) -> tuple[np.ndarray, np.ndarray]:
    """Pixels (255) of horizontal and of vertical table rulings: dark strokes that stay solid under a
    long thin opening (``length`` pixels, longer than any glyph stroke)."""
    ink = cv2.adaptiveThreshold(255 - gray, 255, cv2.ADAPTIVE_THRESH_MEAN_C, cv2.THRESH_BINARY, 15, -2)
    across, down = (
        cv2.morphologyEx(ink, cv2.MORPH_OPEN, cv2.getStructuringElement(cv2.MORPH_RECT, size))
        for size in ((length, 1), (1, length))
    )
    return across, down


def text_ink(gray: np.ndarray, ruled: np.ndarray) -> np.ndarray:
    """Ink of text (255) with the rulings (``ruled``, widened) taken out: anything darker than
    ``clean.ink_level`` on the stretched page (thin strokes of small print are light grey, and Otsu's
    threshold, pulled down by black rulings, loses them)."""
    _, ink = cv2.threshold(gray, settings()["clean"]["ink_level"], 255, cv2.THRESH_BINARY_INV)
    ink[ruled > 0] = 0
    return ink
