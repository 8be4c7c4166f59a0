"""A digit in a picture, prepared as MNIST's were: the ink found, scaled to a box, centred in
28x28.

Photos, scans, drawings and printed digits: any size up to 50 megapixels, any mode Pillow reads,
upright as the EXIF orientation says, dark ink on light paper or light on dark, a tight crop or a
page; or an array of brightness (draw.py's pad). The digit is found in the picture shrunk to WORK
pixels; a small one is then taken again from the full picture, a window around it enlarged to
WORK. In a photo of a sheet lying on a table, the sheet is found first (the large bright rectangle)
and turned upright; the table, the sheet's edge and its shadow are left out. Then the paper's
lighting is taken away (a smooth surface through its brightest parts), the ink is told from the
paper at half its full strength (or Otsu's threshold, if higher), ruled lines and what runs along
the picture's edge are dropped, and the digit is the main connected strokes. MNIST scaled its
digits to fit 20x20 and centred them by mass in 28x28; so are these, three ways: the strokes
redrawn at MNIST's width in two box sizes, and the ink as it is; and where the picture is framed
as MNIST's, the whole of it resized to 28x28 (the naive way). predict.py keeps the reading the
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
    """read_image's readings of the digit in the image file at path. Raises OSError (Pillow's: no
    file, not an image, cut short) or ValueError (blank, too large) saying why there is none."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(path) as image:
                if image.width * image.height > max_pixels:
                    raise ValueError(
                        f"{image.width}x{image.height} pixels is too large (the most is "
                        f"{max_pixels // 1_000_000} megapixels): scale it down first")
                return read_image(image)
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        raise ValueError("too large to read safely: scale it down first") from None


def read_image(image):
    """The digit in a picture, read three or four ways: (3 or 4, 28, 28) float32, ink 0 to 1 on
    black as MNIST's: its strokes redrawn in each of BOXES, its ink as it is in a GREY box, and
    where the picture is framed as MNIST's, the whole of it resized to 28x28 (the naive way).
    image: a Pillow image (any mode, upright as its EXIF orientation says) or a 2-D array of
    brightness, 0 (black) to 1 (white). Raises ValueError if there is no digit in it."""
    full = brightness(image)
    work = values(full.resize(shrunk(full.size), Image.Resampling.BOX))
    if max(work.shape) < WORK:  # a small picture enlarged
        work = transform.resize(work, shrunk(full.size, enlarge=True)[::-1])
    view, to_work = on_the_sheet(work)
    # view's pixels (x, y) to full's
    to_full = (to_work or transform.AffineTransform()) + transform.AffineTransform(
        scale=(sx := full.width / work.shape[1], sy := full.height / work.shape[0]),
        translation=((sx - 1) / 2, (sy - 1) / 2))
    light = light_on_dark(view)
    strength, ink = find_ink(view, light)
    digit = pick_digit(ink)
    # the naive resize too where the picture is framed as MNIST's: no sheet on a table, the digit a
    # third of the picture or more, paper all round it
    box = np.array([[s.start, s.stop] for s in bounds(digit)]) / np.array(view.shape)[:, None]
    framed = bool(to_work is None and np.ptp(box, axis=1).max() >= 0.3
                  and 0 < box.min() < box.max() < 1)
    naive = [values(full.resize((28, 28), Image.Resampling.BICUBIC))] if framed else []
    strength, digit = closer(full, to_full, digit, light) or (strength, digit)
    near = ndimage.binary_dilation(digit, iterations=3)  # the strokes' soft edges too, nothing else
    # its full strength 1
    grey = (strength * near)[bounds(near)] / np.percentile(strength[digit], 90)
    return np.stack([normalize(digit[bounds(digit)], box) for box in BOXES]
                    + [centred(grey.clip(0, 1), GREY)] + [x if light else 1 - x for x in naive]
                    ).astype("float32")


def bounds(mask):
    """The slices of the smallest box around mask's True pixels."""
    return ndimage.find_objects(mask.astype(int))[0]


def brightness(image):
    """A picture's brightness as a Pillow image: "L" (0 to 255) or "F" (0 to 1), full size."""
    if not isinstance(image, Image.Image):  # an array of brightness
        gray = np.asarray(image, dtype="float32")
        if gray.ndim != 2 or not gray.size:
            raise ValueError(f"an array of shape {gray.shape} is not a picture (2-D brightness)")
        return Image.fromarray(np.nan_to_num(gray).clip(0, 1), "F")
    image = ImageOps.exif_transpose(image)  # a phone photo's rotation
    if image.mode in ("I", "I;16", "I;16B", "I;16L", "F"):  # deep gray: 12, 16, 32 bits or floats
        gray = np.asarray(image.convert("F"), dtype="float32")
        low = min(gray.min(), 0)
        # by its real range: 0 (or less) to its most
        return Image.fromarray((gray - low) / ((gray.max() - low) or 1), "F")
    if not {"A", "a"} & set(image.getbands()) and "transparency" not in image.info:
        return image.convert("L")  # 8-bit gray, palette, RGB, CMYK
    image = image.convert("RGBA").convert("LA")
    gray, alpha = image.split()
    if alpha.getextrema()[1] == 0:
        raise ValueError("no digit found (the image is fully transparent)")
    # ink on a transparent canvas: laid on paper of the other shade
    small = np.asarray(image.resize(shrunk(image.size)), dtype=float)
    dark = int(np.average(small[..., 0], weights=small[..., 1]) < 128)
    return Image.composite(gray, Image.new("L", image.size, 255 * dark), alpha)


def values(image):
    """A brightness image's pixels, 0 to 1."""
    return np.asarray(image, dtype="float32") / (255 if image.mode == "L" else 1)


def shrunk(size, enlarge=False):
    """(width, height) with WORK pixels on the longer side, or fewer (unless enlarge)."""
    scale = WORK / max(size) if enlarge or max(size) > WORK else 1
    return tuple(max(1, round(side * scale)) for side in size)


def closer(full, to_full, digit, light):
    """A small digit found in a shrunk picture, taken again from the full one: (strength, digit)
    in a window around it, WORK pixels on its longer side; None where the full picture has not
    half as many pixels again of it."""
    (top, bottom), (left, right) = ((s.start, s.stop) for s in bounds(digit))
    margin = max(bottom - top, right - left) / 2  # the strokes near it, and paper
    top, left = max(top - margin, 0), max(left - margin, 0)
    bottom, right = min(bottom + margin, digit.shape[0]), min(right + margin, digit.shape[1])
    step = max(bottom - top, right - left) / WORK  # the view's pixels to the window's
    if min(1 / step, *to_full.scale) < 1.5:
        return None
    shape = (round((bottom - top) / step), round((right - left) / step))
    to_view = transform.AffineTransform(scale=step, translation=(left + (step - 1) / 2,
                                                                 top + (step - 1) / 2))
    window = taken(full, to_view + to_full, shape)
    strength, ink = find_ink(window, light)
    # the parts of the ink where the digit was found
    was = transform.warp(ndimage.binary_dilation(digit).astype(float), to_view,
                         output_shape=shape, order=0) > 0.5
    labels = measure.label(ink)
    ink = np.isin(labels, np.unique(labels[was & (labels > 0)]))
    return (strength, pick_digit(ink)) if ink.any() else None


def taken(full, to_full, shape):
    """The pixels of a brightness image at the points to_full maps shape's pixels (x, y) to,
    bilinear, the image box-averaged first where it is shrunk."""
    h, w = shape
    corners = to_full(np.array([[0, 0], [w - 1, 0], [0, h - 1], [w - 1, h - 1]], float))
    left, top = np.maximum(np.floor(corners.min(0)).astype(int) - 2, 0)
    right, bottom = np.minimum(np.ceil(corners.max(0)).astype(int) + 3, full.size)
    step = max(1, int(min(to_full.scale)))
    crop = values(full.crop((left, top, right, bottom)).reduce(step))
    # full's (x, y) to crop's
    to_crop = transform.AffineTransform(scale=1 / step, translation=(
        -(left + (step - 1) / 2) / step, -(top + (step - 1) / 2) / step))
    return transform.warp(crop, to_full + to_crop, output_shape=shape, order=1, mode="edge")


def on_the_sheet(gray):
    """In a photo of a sheet lying on something darker (a table), the sheet alone: turned upright,
    cropped, its edge and the table left out; and the transform from its pixels (x, y) to gray's.
    Any other picture as it is, and None."""
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
        return gray, None
    # as transform.rotate(..., resize=True) turns it, about its centre
    centre = transform.AffineTransform(translation=np.array(gray.shape[::-1]) / 2 - 0.5)
    turn = centre.inverse + transform.AffineTransform(rotation=np.radians(angle)) + centre
    h, w = gray.shape
    corners = turn.inverse([[0, 0], [0, h - 1], [w - 1, h - 1], [w - 1, 0]])
    turn = transform.AffineTransform(translation=corners.min(0)) + turn
    shape = tuple(np.around(np.ptp(corners, axis=0) + 1).astype(int))[::-1]
    gray = transform.warp(gray, turn, output_shape=shape, mode="edge")
    sheet = transform.warp(sheet.astype(float), turn, output_shape=shape) > 0.5
    # its edge and shadow left out
    sheet = ndimage.distance_transform_edt(sheet) > max(2, min(gray.shape) / 100)
    top, left = (s.start for s in bounds(sheet))
    gray, sheet = gray[bounds(sheet)], sheet[bounds(sheet)]
    nearest = ndimage.distance_transform_edt(~sheet, return_distances=False, return_indices=True)
    # past its edge, the paper continued
    return gray[tuple(nearest)], transform.AffineTransform(translation=(left, top)) + turn


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


def light_on_dark(gray):
    """Whether the ink is light on dark paper: most of the picture and most of its edge are dark (a
    bold digit cropped tight is mostly ink, but its edge is mostly paper)."""
    smooth = filters.gaussian(gray, sigma=2)
    dark = (smooth.min() + smooth.max()) / 2
    edge = np.concatenate([smooth[0], smooth[-1], smooth[:, 0], smooth[:, -1]])
    return np.median(smooth) < dark and np.median(edge) < dark


def find_ink(gray, light):
    """(strength, ink): how far each pixel is from the paper under its lighting, 0 to 1, and the
    ink, True: darker (lighter, if light) than the paper by half or more, ruled lines across the
    picture dropped."""
    h, w = gray.shape
    if light:
        gray = 1 - gray
    ink = filters.gaussian(np.clip(1 - gray / np.maximum(paper(gray), 1e-3), 0, 1), sigma=2)
    if ink.max() < 0.05:
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
