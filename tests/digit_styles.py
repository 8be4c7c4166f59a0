"""MNIST digits made into image files the way people photograph, scan and draw them.

Used by the tests (on the fixture's digits) and by bench/predict_styles.py (on the full test
set). Each style is a function of a 28x28 uint8 MNIST digit (white on black) and a seeded
NumPy generator, returning a Pillow image and its save options.
"""
import numpy as np
from PIL import Image
from scipy import ndimage
from skimage.morphology import dilation, disk, skeletonize
from skimage.transform import resize


def pen(digit, size, width):
    """The digit redrawn by a pen `width` pixels wide, in a box of `size` pixels: ink True."""
    big = resize(digit / 255.0, (size, size), order=1) > 0.5
    return dilation(skeletonize(big), disk(max(0, (width - 1) // 2)))


def on_page(ink, page, top, left, ink_level=40):
    """Dark ink (a boolean mask) laid on a grey page at (top, left)."""
    page = page.astype(float).copy()
    region = page[top:top + ink.shape[0], left:left + ink.shape[1]]
    region[ink] = ink_level
    return page


def gray(page):
    return Image.fromarray(np.clip(page, 0, 255).astype(np.uint8))


def mnist(digit, rng):
    return Image.fromarray(digit), {}


def dark_on_light_jpeg(digit, rng):
    return (Image.fromarray(255 - digit).resize((200, 200), Image.BILINEAR).convert("RGB"),
            {"quality": 95})


def off_centre_on_a_wide_page(digit, rng):
    page = np.full((90, 160), 240.0)
    big = np.asarray(Image.fromarray(digit).resize((56, 56))).astype(int)
    page[5:61, 90:146] = 240 - big * 200 / 255
    return gray(page), {}


def black_on_transparent(digit, rng):  # a drawing app's export
    canvas = np.zeros((200, 200, 4), np.uint8)
    canvas[..., 3] = np.asarray(Image.fromarray(digit).resize((200, 200), Image.BILINEAR))
    return Image.fromarray(canvas, "RGBA"), {}


# a phone photo stored sideways, with the tag that turns it upright
def exif_rotated_jpeg(digit, rng):
    exif = Image.Exif()
    exif[0x0112] = 6
    picture = Image.fromarray(255 - digit).resize((200, 200), Image.BILINEAR).convert("RGB")
    return picture.transpose(Image.Transpose.ROTATE_90), {"quality": 95, "exif": exif}


def sixteen_bit_scan(digit, rng):
    big = np.asarray(Image.fromarray(digit).resize((100, 100), Image.BILINEAR)).astype(np.uint32)
    return Image.fromarray((65535 - big * 200).astype(np.uint16)), {}


def palette(digit, rng):
    big = Image.fromarray(255 - digit).resize((200, 200), Image.BILINEAR).convert("RGB")
    return big.convert("P", palette=Image.Palette.ADAPTIVE, colors=16), {}


def cmyk_jpeg(digit, rng):
    return (Image.fromarray(255 - digit).resize((200, 200), Image.BILINEAR).convert("CMYK"),
            {"quality": 95})


def float_tiff(digit, rng):  # values 0 to 1, dark ink on white
    return Image.fromarray((1 - digit / 255.0).astype(np.float32), "F"), {}


def twelve_bit_scan(digit, rng):  # values 0 to 4095 in a 16-bit PNG, dark ink on white
    picture = Image.fromarray(255 - digit).resize((140, 140), Image.BILINEAR)
    big = np.asarray(picture).astype(np.uint16)
    return Image.fromarray(big * 16), {}


def integer_tiff(digit, rng):  # 32-bit integers 0 to 1000, light ink on black
    return Image.fromarray(digit.astype(np.int32) * 1000 // 255), {}


def small_digit_on_grey_noisy_paper(digit, rng):  # a phone photo: a small "2" off centre
    page = rng.normal(200, 12, (400, 400))
    ink = pen(digit, 80, 5)[:, 10:70]  # about 60x80 pixels
    top, left = int(rng.integers(40, 260)), int(rng.integers(40, 300))
    return gray(on_page(ink, page, top, left, ink_level=50)), {}


def fine_pen_on_a_big_canvas(digit, rng):  # a 3-pixel pen on a 1200x1200 scan
    return gray(on_page(pen(digit, 900, 3), np.full((1200, 1200), 255.0), 150, 150)), {}


def thick_pen(digit, rng):  # an 18-pixel pen on 280x280
    return gray(on_page(pen(digit, 240, 18), np.full((280, 280), 255.0), 20, 20)), {}


def sheet_not_filling_the_frame(digit, rng):  # a sheet on a dark table
    page = np.full((400, 400), 60.0)
    top, left = int(rng.integers(10, 60)), int(rng.integers(10, 60))
    page[top:top + 300, left:left + 320] = 225
    return gray(on_page(pen(digit, 180, 7), page, top + 60, left + 70)), {}


def light_falling_off(digit, rng):  # brighter on one side, darker on the other
    page = np.linspace(240, 110, 400)[None, :] * np.ones((400, 1))
    return gray(on_page(pen(digit, 220, 8), page, 90, 90, ink_level=30)
                * np.linspace(1, 0.8, 400)[:, None]), {}


def ruled_lines(digit, rng):  # a school exercise book
    page = np.full((400, 400, 3), 245.0)
    for row in range(18, 400, 32):
        page[row:row + 2] = (150, 180, 230)  # light blue lines
    rows, cols = pen(digit, 220, 7).nonzero()
    page[rows + 90, cols + 90] = (20, 20, 60)  # dark blue ink
    return Image.fromarray(page.astype(np.uint8), "RGB"), {"quality": 90}


def grey_lines_across_the_strokes(digit, rng):  # wide-ruled paper, lines nearly as dark as the ink
    page = np.full((400, 400), 240.0)
    for row in range(20, 400, 40):
        page[row:row + 3] = 150
    return gray(on_page(pen(digit, 220, 8), page, 90, 90, ink_level=30)), {}


def paper_grain(digit, rng):  # textured paper: fibres at several scales
    grain = sum(resize(rng.normal(0, 1, (n, n)), (400, 400), order=1) * s
                for n, s in ((25, 10), (100, 8), (400, 8)))
    return gray(on_page(pen(digit, 220, 8), 215 + grain, 90, 90, ink_level=45)), {}


def photo_of_a_sheet(ink, rng, size=(480, 640), sheet=(0.25, 0.75), table=(25, 140),
                     paper=(200, 245), turn=12, digit=(0.3, 0.6), grain=20, light=0.3, shadow=0.3,
                     blur=(0.5, 2.0), noise=(2, 8), inside=True):
    """A phone photo of a digit written on a sheet lying on a table. ink: the strokes, 0 to 1, any
    size. The sheet covers `sheet` of the frame (a fraction), turned up to `turn` degrees, the
    digit's longer side `digit` of the sheet's shorter one; the paper `paper` grey, the table
    `table` with a wood grain of up to `grain` grey levels; the light falls off by up to `light`;
    the sheet's shadow up to `shadow` deep; then blur (pixels a thousand), noise (grey levels).
    Ranges are (low, high), drawn from rng."""
    h, w = size
    scale = max(size) / 1000
    area, aspect = rng.uniform(*sheet) * h * w, rng.uniform(1.0, 1.5)
    sheet_h, sheet_w = np.sqrt(area * aspect), np.sqrt(area / aspect)
    if rng.random() < 0.5:  # landscape
        sheet_h, sheet_w = sheet_w, sheet_h
    angle = np.radians(rng.uniform(-turn, turn))
    cos, sin = np.cos(angle), np.sin(angle)
    span_h = sheet_h * abs(cos) + sheet_w * abs(sin)
    span_w = sheet_w * abs(cos) + sheet_h * abs(sin)
    shrink = min(1, 0.98 * h / span_h, 0.98 * w / span_w) if inside else 1
    sheet_h, sheet_w, span_h, span_w = (s * shrink for s in (sheet_h, sheet_w, span_h, span_w))
    centre_y = rng.uniform(min(span_h, h) / 2, h - min(span_h, h) / 2)
    centre_x = rng.uniform(min(span_w, w) / 2, w - min(span_w, w) / 2)
    # the digit on the sheet, in the sheet's own coordinates
    side = rng.uniform(*digit) * min(sheet_h, sheet_w)
    ink = np.pad(ink, max(1, max(ink.shape) // 16))  # strokes fading out, not cut at the ink's box
    ink = resize(ink.astype(float), (max(2, round(side * ink.shape[0] / max(ink.shape))),
                                     max(2, round(side * ink.shape[1] / max(ink.shape)))),
                 order=1, mode="constant")
    top = rng.uniform(0.05 * sheet_h, 0.95 * sheet_h - ink.shape[0])
    left = rng.uniform(0.05 * sheet_w, 0.95 * sheet_w - ink.shape[1])
    # each pixel of the frame in the sheet's coordinates
    # (the sheet turned by angle about its centre)
    y, x = np.mgrid[0:h, 0:w].astype(np.float32)
    y, x = y - centre_y, x - centre_x
    v, u = cos * y - sin * x + sheet_h / 2, sin * y + cos * x + sheet_w / 2
    on_sheet = np.clip(np.minimum(np.minimum(v, sheet_h - v), np.minimum(u, sheet_w - u)) + 0.5,
                       0, 1)
    strokes = ndimage.map_coordinates(ink, [v - top, u - left], order=1, cval=0) * on_sheet
    del y, x, v, u
    # the table: a grey with a wood grain along a random direction, and the sheet's shadow on it
    along = rng.integers(2)
    knots = rng.normal(0, 1, (3, 40) if along else (40, 3))
    scene = rng.uniform(*table) + grain * rng.random() * resize(knots, (h, w), order=3)
    offset = (rng.normal(0, 6 * scale, 2)).round().astype(int)
    scene *= 1 - rng.uniform(0, shadow) * ndimage.gaussian_filter(
        np.roll(on_sheet, offset, (0, 1)), 8 * scale)
    scene += (rng.uniform(*paper) - scene) * on_sheet
    scene += (rng.uniform(15, 70) - scene) * np.clip(strokes, 0, 1)
    # the light, the lens and the sensor
    direction = rng.uniform(0, 2 * np.pi)
    ramp = (np.cos(direction) * np.arange(w)[None, :] / w
            + np.sin(direction) * np.arange(h)[:, None] / h)
    scene *= 1 - rng.uniform(0, light) * (ramp - ramp.min()) / np.ptp(ramp)
    scene = (ndimage.gaussian_filter(scene, rng.uniform(*blur) * scale)
             + rng.normal(0, rng.uniform(*noise), (h, w)))
    rgb = scene[..., None] * np.array([1, rng.uniform(0.95, 1), rng.uniform(0.85, 1)])  # warm light
    return Image.fromarray(np.clip(rgb, 0, 255).astype(np.uint8), "RGB")


# a thick marker, the sheet small and turned, a grey table
def a_sheet_photographed_on_a_table(digit, rng):
    picture = photo_of_a_sheet(pen(digit, 200, 16), rng, size=(480, 640), sheet=(0.3, 0.5))
    return picture, {"quality": 80}


STYLES = {
    "mnist": (mnist, "png"),
    "big dark-on-light RGB JPEG": (dark_on_light_jpeg, "jpg"),
    "off-centre on a wide page": (off_centre_on_a_wide_page, "png"),
    "black on transparent": (black_on_transparent, "png"),
    "EXIF-rotated JPEG": (exif_rotated_jpeg, "jpg"),
    "16-bit gray dark-on-light": (sixteen_bit_scan, "png"),
    "palette": (palette, "png"),
    "CMYK JPEG": (cmyk_jpeg, "jpg"),
    "float TIFF 0 to 1": (float_tiff, "tif"),
    "12-bit scan in a 16-bit PNG": (twelve_bit_scan, "png"),
    "32-bit integer TIFF": (integer_tiff, "tif"),
    "small digit on grey noisy paper": (small_digit_on_grey_noisy_paper, "png"),
    "fine pen on a big canvas": (fine_pen_on_a_big_canvas, "png"),
    "thick pen": (thick_pen, "png"),
    "sheet not filling the frame": (sheet_not_filling_the_frame, "jpg"),
    "light falling off": (light_falling_off, "png"),
    "ruled lines": (ruled_lines, "jpg"),
    "grey lines across the strokes": (grey_lines_across_the_strokes, "png"),
    "paper grain": (paper_grain, "png"),
    "a sheet photographed on a table": (a_sheet_photographed_on_a_table, "jpg"),
}


def write(folder, digits, styles=STYLES, seed=0):
    """Each digit in each style, as files in folder: {style: [path, ...]} in the digits' order."""
    rng = np.random.default_rng(seed)
    files = {}
    for style, (make, suffix) in styles.items():
        for i, digit in enumerate(digits):
            picture, options = make(digit, rng)
            path = folder / f"{style.replace(' ', '_')}_{i}.{suffix}"
            picture.save(path, **options)
            files.setdefault(style, []).append(path)
    return files
