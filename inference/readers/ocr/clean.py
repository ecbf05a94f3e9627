"""A scanned page made fit to read before anything is detected: speckle removed (a median filter, only
where the page holds many isolated specks: it would thin clean strokes for nothing), contrast stretched
measured between ink and paper (for telling ink from paper, not changed), and skew measured from the rows of ink (rulings and text lines alike) and undone.
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
    """A page image ready to read: ``gray`` uint8 (despeckled, deskewed), the skew undone (degrees,
    counter-clockwise), whether speckle was filtered, and the grey levels of paper and of the darkest
    ink. The pixels keep their contrast: the recogniser reads stretched crops worse (安全 as 安金)."""

    gray: np.ndarray
    angle: float
    despeckled: bool
    paper: float
    ink: float


def clean(image: np.ndarray) -> Cleaned:
    """The page as grey pixels with speckle and skew removed, and its contrast measured."""
    cfg = settings()["clean"]
    gray = cv2.cvtColor(image, cv2.COLOR_RGB2GRAY) if image.ndim == 3 else image.copy()
    despeckled = speck_share(gray) > cfg["speck_share"]
    if despeckled:
        gray = cv2.medianBlur(gray, 3)
    angle = skew(gray)
    if abs(angle) >= cfg["min_skew_deg"]:
        gray = rotate(gray, angle)
    else:
        angle = 0.0
    paper, ink = levels(gray)
    return Cleaned(gray, angle, despeckled, paper, ink)


def speck_share(gray: np.ndarray) -> float:
    """Share of the page's pixels that are dark specks on blank paper (salt-and-pepper noise): a pixel
    darker than ``speck_dark`` with at most ``speck_max_pixels`` pixels darker than ``speck_near`` in its
    5×5 neighbourhood. Print has none: even the thinnest stroke has grey neighbours along it."""
    cfg = settings()["clean"]
    near = cv2.boxFilter((gray < cfg["speck_near"]).astype(np.uint8), cv2.CV_16U, (5, 5), normalize=False)
    lonely = (gray < cfg["speck_dark"]) & (near <= cfg["speck_max_pixels"])
    return float(np.count_nonzero(lonely)) / gray.size


def levels(gray: np.ndarray) -> tuple[float, float]:
    """Grey levels of the paper (most of the page) and of the darkest ink; blur and JPEG leave both
    greyer than print."""
    sample = gray[::4, ::4]
    return float(np.percentile(sample, 60)), float(np.percentile(sample, 0.2))


def skew(gray: np.ndarray) -> float:
    """The page's skew in degrees (counter-clockwise positive): the angle at which the rows of ink are
    sharpest, i.e. the histogram of ink over sheared rows has the largest sum of squares. Rulings and
    text lines both make rows; a coarse search over ``±max_skew_deg`` then a fine one around the best."""
    cfg = settings()["clean"]
    factor = min(1.0, cfg["skew_width"] / gray.shape[1])
    small = cv2.resize(gray, None, fx=factor, fy=factor, interpolation=cv2.INTER_AREA) if factor < 1 else gray
    ys, xs = np.nonzero(small < cfg["skew_ink"])
    weights = (255.0 - small[ys, xs]) / 255.0  # dark ink counts most, faint rulings still count
    if len(ys) < 50:
        return 0.0
    if len(ys) > 200_000:
        keep = np.random.default_rng(0).choice(len(ys), 200_000, replace=False)
        ys, xs, weights = ys[keep], xs[keep], weights[keep]
    xs = xs - small.shape[1] / 2
    span = small.shape[0] + small.shape[1]

    def sharpness(degrees: float) -> float:
        rows = np.round(ys - xs * math.tan(math.radians(degrees)) + span / 2).astype(np.int64)
        hist = np.bincount(np.clip(rows, 0, 2 * span), weights=weights, minlength=2 * span + 1)
        # smoothed: unsheared rows land on whole bins, sheared ones straddle two, which would favour 0
        hist = np.convolve(hist, (0.25, 0.5, 0.25), mode="same")
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


def text_ink(page: Cleaned, ruled: np.ndarray) -> np.ndarray:
    """Ink of text (255) with the rulings (``ruled``, widened) taken out: anything darker than
    ``clean.ink_level`` of the way from the darkest ink to the paper (thin strokes of small print are
    light grey, and Otsu's threshold, pulled down by black rulings, loses them)."""
    level = page.ink + settings()["clean"]["ink_level"] * max(page.paper - page.ink, 1.0)
    _, ink = cv2.threshold(page.gray, level, 255, cv2.THRESH_BINARY_INV)
    ink[ruled > 0] = 0
    return ink
