"""A digit in an image file, prepared as MNIST's were: the ink found, 20x20, centred in 28x28.

Photos, scans and drawings: any size up to 50 megapixels, any mode Pillow reads, upright as
the EXIF orientation says, dark ink on light paper or light on dark. The paper and its
lighting are taken away (a morphological top-hat: what is thinner than a fifth of the
picture), the ink is told from the paper by a threshold that adapts to the picture (Otsu's),
ruled lines and specks are dropped, and the digit is the main connected strokes. MNIST made
its digits from black-and-white scans, scaled to fit 20x20 and centred by mass in 28x28;
so are these, with the strokes first brought to MNIST's thickness for their size.
"""
import warnings

import numpy as np
from PIL import Image, ImageOps
from scipy import ndimage
from skimage import filters, measure, morphology, transform

WORK = 512  # pixels on the longer side while finding the ink
STROKE = 0.13  # MNIST's stroke width, a fraction of the digit's height (2.6 of 20 pixels)


def read_digit(path, max_pixels=50_000_000):
    """The digit in the image file at path: (28, 28) float32, ink 0 to 1 on black, as MNIST's.
    Raises ValueError saying why when there is none to read (no file, not an image, blank)."""
    ink = find_ink(read_gray(path, max_pixels))
    labels = measure.label(ink)
    parts = measure.regionprops(labels)
    inside = [p for p in parts if min(p.bbox[:2]) > 0 and p.bbox[2] < ink.shape[0] and p.bbox[3] < ink.shape[1]]
    parts = inside or parts  # what touches the picture's edge is the table or the sheet's edge, if anything else is there
    if not parts:
        raise ValueError("no digit found (the image is blank)")
    largest = max(parts, key=lambda p: p.area)
    top, left, bottom, right = largest.bbox
    margin = (bottom - top) // 2  # the other strokes of a digit are near its largest one
    kept = [p.label for p in parts if p.area >= 0.1 * largest.area and p.bbox[0] < bottom + margin
            and p.bbox[2] > top - margin and p.bbox[1] < right + margin and p.bbox[3] > left - margin]
    digit = np.isin(labels, kept)
    rows, cols = np.flatnonzero(digit.any(axis=1)), np.flatnonzero(digit.any(axis=0))
    digit = digit[rows[0]:rows[-1] + 1, cols[0]:cols[-1] + 1]
    width = digit.sum() / max(1, morphology.skeletonize(digit).sum())  # ink area over stroke length
    grow = round((STROKE * max(digit.shape) - width) / 2)
    if grow > 0:  # a fine pen: thicken to MNIST's strokes, or they fade away at 20x20
        digit = ndimage.distance_transform_edt(~np.pad(digit, grow)) <= grow
    scale = 20 / max(digit.shape)
    small = transform.resize(digit.astype(float), (max(1, round(digit.shape[0] * scale)),
                                                  max(1, round(digit.shape[1] * scale))), anti_aliasing=True)
    out = np.zeros((28, 28))
    top, left = (28 - small.shape[0]) // 2, (28 - small.shape[1]) // 2
    out[top:top + small.shape[0], left:left + small.shape[1]] = small / small.max()
    shift = np.round(14 - np.array(ndimage.center_of_mass(out))).astype(int)  # centred by mass, as MNIST's
    return np.roll(out, shift, axis=(0, 1)).clip(0, 1).astype("float32")


def read_gray(path, max_pixels):
    """Brightness 0 to 1 of an image file, at most WORK pixels on its longer side."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(path) as image:
                if image.width * image.height > max_pixels:
                    raise ValueError(f"{image.width}x{image.height} pixels is too large (the most is "
                                     f"{max_pixels // 1_000_000} megapixels): scale it down first")
                image = ImageOps.exif_transpose(image)  # a phone photo's rotation
                if image.mode in ("I", "I;16", "I;16B", "I;16L", "F"):  # deep gray: 12, 16, 32 bits or floats
                    gray = np.asarray(image, dtype="float64")
                    low = min(gray.min(), 0)
                    gray = (gray - low) / ((gray.max() - low) or 1)  # by its real range: 0 (or less) to its most
                else:  # 8-bit gray, palette, RGB, CMYK, with or without alpha
                    rgba = np.asarray(image.convert("RGBA"), dtype="float64") / 255
                    gray, alpha = rgba[..., :3] @ [0.299, 0.587, 0.114], rgba[..., 3]
                    if alpha.max() == 0:
                        raise ValueError("no digit found (the image is fully transparent)")
                    if alpha.min() < 1:  # ink on a transparent canvas: laid on paper of the other shade
                        gray = gray * alpha + (np.average(gray, weights=alpha) < 0.5) * (1 - alpha)
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        raise ValueError("too large to read safely: scale it down first") from None
    except OSError as error:  # no such file, not an image, cut short
        raise ValueError(error.strerror or f"not a readable image ({type(error).__name__})") from None
    scale = WORK / max(gray.shape)
    return transform.resize(gray, (round(gray.shape[0] * scale), round(gray.shape[1] * scale)),
                            anti_aliasing=scale < 1)


def find_ink(gray):
    """The ink, True, from a picture's brightness: the paper (what is wider than a fifth of the
    picture), its lighting and its grain taken away, Otsu's threshold, and ruled lines dropped."""
    (h, w), paper = gray.shape, (max(gray.shape) // 5,) * 2
    light = ndimage.grey_opening(gray, size=paper)  # what is light and wider than strokes: paper, if any
    if np.median(gray) > 0.5 or light.max() > 0.5:  # dark ink: on paper that fills the picture, or on a sheet in it
        ink = ndimage.grey_closing(gray, size=paper) - gray
    else:  # light ink on dark
        ink = gray - light
    ink = filters.gaussian(ink, sigma=1)
    if ink.max() < 0.1:
        return np.zeros(ink.shape, bool)
    mask = ink > filters.threshold_otsu(ink)
    for line, across in (((1, w * 19 // 20), (h // 64, 1)), ((h * 19 // 20, 1), (1, w // 64))):
        lines = ndimage.grey_opening(mask, size=line)  # ruled lines: across nearly all of the picture
        mask = ndimage.binary_closing(mask & ~lines, np.ones(across)) | (mask & ~lines)  # strokes they cut, joined
    return mask
