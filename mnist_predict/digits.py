"""A digit in an image file, prepared as MNIST's were: the ink found, scaled to a box,
centred in 28x28.

Photos, scans, drawings and printed digits: any size up to 50 megapixels, any mode Pillow reads,
upright as the EXIF orientation says, dark ink on light paper or light on dark, a tight crop or a
page. In a photo of a sheet lying on a table, the sheet is found first (the large bright rectangle)
and turned upright; the table, the sheet's edge and its shadow are left out. Then the paper's
lighting is taken away (a smooth surface through its brightest parts), the ink is told from the
paper at half its full strength (or Otsu's threshold, if higher), ruled lines and what runs along
the picture's edge are dropped, and the digit is the main connected strokes. MNIST scaled its
digits to fit 20x20 and centred them by mass in 28x28; so are these, three ways: the strokes
redrawn at MNIST's width in two box sizes, and the ink as it is. predict.py keeps the reading the
model is surest of.
"""
import warnings

import numpy as np
from PIL import Image, ImageOps
from scipy import ndimage
from skimage import filters, measure, morphology, transform

WORK = 512  # pixels on the longer side while finding the ink
SHEET = 128  # and while finding a sheet of paper
# the digit's longer side in 28x28, a reading each: MNIST's 20, and a little smaller, in which
# MNIST's models read printed and thick digits better (bench/README.md)
BOXES = (20, 18)  # the strokes redrawn
GREY = 18  # the ink as it is, soft edges and all: soft, thick strokes are read best so
# the thinnest and the thickest strokes kept, a fraction of the digit's longer side
STROKES = (0.10, 0.20)


def read_candidates(path, max_pixels=50_000_000):
    """The digit in the image file at path, read three ways: (3, 28, 28) float32, ink 0 to 1 on
    black as MNIST's: its strokes redrawn in each of BOXES, and its ink as it is in a GREY box.
    Raises OSError (Pillow's: no file, not an image, cut short) or ValueError (blank, too large)
    saying why there is none to read."""
    strength, ink = find_ink(on_the_sheet(read_gray(path, max_pixels)))
    digit = pick_digit(ink)
    near = ndimage.binary_dilation(digit, iterations=3)  # the strokes' soft edges too, nothing else
    # its full strength 1
    grey = (strength * near)[bounds(near)] / np.percentile(strength[digit], 90)
    return np.stack([normalize(digit[bounds(digit)], box) for box in BOXES]
                    + [centred(grey.clip(0, 1), GREY)])


def bounds(mask):
    """The slices of the smallest box around mask's True pixels."""
    return ndimage.find_objects(mask.astype(int))[0]


def read_gray(path, max_pixels):
    """Brightness 0 to 1 of an image file, WORK pixels on its longer side."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(path) as image:
                if image.width * image.height > max_pixels:
                    raise ValueError(
                        f"{image.width}x{image.height} pixels is too large (the most is "
                        f"{max_pixels // 1_000_000} megapixels): scale it down first")
                # a big JPEG decoded at 1/2, 1/4 or 1/8 of its size at once
                scale = WORK / max(image.size)
                image.draft(None, (round(image.width * scale), round(image.height * scale)))
                image = ImageOps.exif_transpose(image)  # a phone photo's rotation
                # deep gray: 12, 16, 32 bits or floats
                deep = image.mode in ("I", "I;16", "I;16B", "I;16L", "F")
                image = image.convert("F" if deep else "RGBA")
                # shrunk by Pillow: a 12-megapixel photo in a few tenths of a second
                if max(image.size) > WORK:
                    scale = WORK / max(image.size)
                    image = image.resize((max(1, round(image.width * scale)),
                                          max(1, round(image.height * scale))),
                                         Image.Resampling.BOX)
                if deep:
                    gray = np.asarray(image, dtype="float64")
                    low = min(gray.min(), 0)
                    # by its real range: 0 (or less) to its most
                    gray = (gray - low) / ((gray.max() - low) or 1)
                else:  # 8-bit gray, palette, RGB, CMYK, with or without alpha
                    rgba = np.asarray(image, dtype="float64") / 255
                    gray, alpha = rgba[..., :3] @ [0.299, 0.587, 0.114], rgba[..., 3]
                    if alpha.max() == 0:
                        raise ValueError("no digit found (the image is fully transparent)")
                    # ink on a transparent canvas: laid on paper of the other shade
                    if alpha.min() < 1:
                        gray = gray * alpha + (np.average(gray, weights=alpha) < 0.5) * (1 - alpha)
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        raise ValueError("too large to read safely: scale it down first") from None
    scale = WORK / max(gray.shape)  # a small picture enlarged
    return transform.resize(gray, (max(1, round(gray.shape[0] * scale)),
                                   max(1, round(gray.shape[1] * scale))))


def on_the_sheet(gray):
    """In a photo of a sheet lying on something darker (a table), the sheet alone: turned upright,
    cropped, its edge and the table left out. Any other picture as it is."""
    step = max(1, round(max(gray.shape) / SHEET))
    small = filters.gaussian(transform.downscale_local_mean(gray, (step, step)), sigma=1)
    otsu, brightest = filters.threshold_otsu(small), np.percentile(small, 99)
    # brighter: a table's light streaks left out
    for threshold in (otsu, (2 * otsu + brightest) / 3, (otsu + 2 * brightest) / 3):
        sheet = sheet_above(small, threshold)
        if sheet is not None:
            angle = upright_rectangle(sheet)[0]
            sheet = transform.resize(sheet.astype(float), gray.shape, order=1) > 0.5
            on_it = filters.gaussian(gray, sigma=1)[
                ndimage.distance_transform_edt(sheet) > 3 * step]
            # ink on it: not the white inside a big letter's loop
            if on_it.min() < 0.7 * np.median(on_it):
                break
    else:
        return gray
    gray = transform.rotate(gray, angle, resize=True, mode="edge")
    sheet = transform.rotate(sheet.astype(float), angle, resize=True) > 0.5
    # its edge and shadow left out
    sheet = ndimage.distance_transform_edt(sheet) > max(2, min(gray.shape) / 100)
    gray, sheet = gray[bounds(sheet)], sheet[bounds(sheet)]
    nearest = ndimage.distance_transform_edt(~sheet, return_distances=False, return_indices=True)
    return gray[tuple(nearest)]  # past its edge, the paper continued


def sheet_above(smooth, threshold):
    """The largest region brighter than threshold, its holes (the ink) filled, where it looks like a
    sheet lying on a table: a rectangle as a phone sees it, large, mostly paper, and its outline a
    sharp step down (not light falling off). Else None."""
    bright = smooth > threshold
    # thin bridges to the table cut
    labels = measure.label(morphology.opening(bright, morphology.disk(2)))
    if labels.max() == 0:
        return None
    sheet = ndimage.binary_fill_holes(labels == 1 + np.bincount(labels.ravel())[1:].argmax())
    outline = sheet & ~ndimage.binary_erosion(sheet)
    framed = np.concatenate([sheet[0], sheet[-1], sheet[:, 0], sheet[:, -1]]).sum() / outline.sum()
    inside = sheet & ~ndimage.binary_erosion(sheet, iterations=2, border_value=1)
    outside = ndimage.binary_dilation(sheet, iterations=3) & ~ndimage.binary_dilation(sheet)
    if (not 0.03 < sheet.mean() < 0.9 or framed > 0.5
            or np.median(smooth[outside]) > 0.85 * np.median(smooth[inside])):
        # too small or too large, the table seen along less than half of it, or no step down
        return None
    large = ndimage.distance_transform_edt(sheet).max() > 0.08 * min(sheet.shape)
    mostly_paper = (sheet & ~bright).sum() < 0.3 * sheet.sum()
    return sheet if large and mostly_paper and upright_rectangle(sheet)[1] > 0.85 else None


def upright_rectangle(mask):
    """The angle (degrees, -45 to 45) that turns the smallest rectangle around mask upright, and the
    share of that rectangle the mask fills: 1 for a rectangle, 0.79 for an ellipse."""
    outline = np.argwhere(mask & ~ndimage.binary_erosion(mask))
    angles = np.radians(np.arange(-45, 45))
    along = outline @ np.stack([np.cos(angles), np.sin(angles)])
    across = outline @ np.stack([-np.sin(angles), np.cos(angles)])
    areas = np.ptp(along, axis=0) * np.ptp(across, axis=0)
    return -np.degrees(angles[areas.argmin()]), mask.sum() / max(areas.min(), 1)


def find_ink(gray):
    """(strength, ink): how far each pixel is from the paper under its lighting, 0 to 1, and the
    ink, True: darker (or lighter) than the paper by half or more, ruled lines across the picture
    dropped."""
    (h, w), smooth = gray.shape, filters.gaussian(gray, sigma=2)
    # light ink on dark paper where most of the picture and most of its edge are dark (a bold digit
    # cropped tight is mostly ink, but its edge is mostly paper)
    dark = (smooth.min() + smooth.max()) / 2
    edge = np.concatenate([smooth[0], smooth[-1], smooth[:, 0], smooth[:, -1]])
    if np.median(smooth) < dark and np.median(edge) < dark:
        gray = 1 - gray
    ink = filters.gaussian(np.clip(1 - gray / np.maximum(paper(gray), 1e-3), 0, 1), sigma=2)
    if ink.max() < 0.1:
        return ink, np.zeros(ink.shape, bool)
    # and at least half the ink's full strength, however much paper there is
    otsu = filters.threshold_otsu(ink)
    mask = ink > max(otsu, 0.5 * np.percentile(ink[ink > otsu], 95))
    for line, across, thick in (((1, w * 19 // 20), (h // 64 + 1, 1), (h // 32, 1)),
                                ((h * 19 // 20, 1), (1, w // 64 + 1), (1, w // 32))):
        # runs across nearly all the picture
        lines, count = ndimage.label(ndimage.grey_opening(mask, size=line))
        thin = ndimage.mean(~ndimage.binary_opening(mask, np.ones(thick)), lines,
                            range(1, count + 1))
        # ruled lines are thin; a thick stroke's edge is not
        lines = np.isin(lines, 1 + np.flatnonzero(thin > 0.5))
        # strokes they cut, joined
        mask = ndimage.binary_closing(mask & ~lines, np.ones(across)) | (mask & ~lines)
    return ink, mask


def paper(gray, blocks=16):
    """The paper's brightness under its lighting: a quadratic surface through the brightest pixels
    of each of blocks x blocks parts of the picture, leaving out the parts darker than it (ink, a
    table)."""
    (h, w), rows = gray.shape, np.array_split(np.arange(gray.shape[0]), blocks)
    cols = np.array_split(np.arange(gray.shape[1]), blocks)
    y, x = np.meshgrid([r.mean() / h - 0.5 for r in rows], [c.mean() / w - 0.5 for c in cols],
                       indexing="ij")
    bright = np.array([[np.percentile(gray[np.ix_(r, c)], 90) for c in cols] for r in rows]).ravel()

    def terms(y, x):
        return np.stack([np.ones_like(x), x, y, x * x, x * y, y * y], -1)
    design, keep = terms(y.ravel(), x.ravel()), bright >= np.median(bright)
    for _ in range(5):  # refit on the parts within 15% of the surface
        coefficients = np.linalg.lstsq(design[keep], bright[keep], rcond=None)[0]
        keep = bright > 0.85 * design @ coefficients
    y, x = np.meshgrid((np.arange(h) + 0.5) / h - 0.5, (np.arange(w) + 0.5) / w - 0.5,
                       indexing="ij")
    return terms(y, x) @ coefficients


def pick_digit(ink):
    """The digit's strokes: the largest part that does not run along the picture's edge, and the
    parts near it of a tenth of its size or more."""
    labels = measure.label(ink)
    edge = np.concatenate([labels[0], labels[-1], labels[:, 0], labels[:, -1]])
    # a table, a sheet's edge
    along_edge = np.bincount(edge, minlength=labels.max() + 1) >= 0.6 * max(ink.shape)
    parts = ([p for p in measure.regionprops(labels) if not along_edge[p.label]]
             or measure.regionprops(labels))
    if not parts:
        raise ValueError("no digit found (the image is blank)")
    largest = max(parts, key=lambda p: p.area)
    top, left, bottom, right = largest.bbox
    margin = (bottom - top) // 2  # the other strokes of a digit are near its largest one
    kept = [p.label for p in parts if p.area >= 0.1 * largest.area
            and p.bbox[0] < bottom + margin and p.bbox[2] > top - margin
            and p.bbox[1] < right + margin and p.bbox[3] > left - margin]
    return np.isin(labels, kept)


def normalize(digit, box):
    """The cropped strokes as MNIST drew its digits: strokes brought within STROKES of the longer
    side (a fine pen thickened, a thick marker thinned), scaled to fit box x box, centred by mass in
    28x28."""
    skeleton = morphology.skeletonize(digit)
    width = 2 * np.median(ndimage.distance_transform_edt(digit)[skeleton]) if skeleton.any() else 1
    grow, shrink = (round((s * max(digit.shape) - width) / 2) for s in STROKES)
    if shrink < 0 and (ndimage.distance_transform_edt(digit) > -shrink).any():
        digit = ndimage.distance_transform_edt(digit) > -shrink
    elif grow > 0:
        digit = ndimage.distance_transform_edt(~np.pad(digit, grow)) <= grow
    return centred(digit.astype(float), box)


def centred(digit, box):
    """A cropped digit scaled to fit box x box, its strongest ink 1, centred by mass in 28x28."""
    scale = box / max(digit.shape)
    small = transform.resize(digit, (max(1, round(digit.shape[0] * scale)),
                                     max(1, round(digit.shape[1] * scale))), anti_aliasing=True)
    out = np.zeros((28, 28))
    top, left = (28 - small.shape[0]) // 2, (28 - small.shape[1]) // 2
    out[top:top + small.shape[0], left:left + small.shape[1]] = small / small.max()
    # centred by mass, as MNIST's
    shift = np.round(14 - np.array(ndimage.center_of_mass(out))).astype(int)
    return np.roll(out, shift, axis=(0, 1)).clip(0, 1).astype("float32")
