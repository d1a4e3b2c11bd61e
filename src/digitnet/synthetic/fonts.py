"""Typeset digits from the machine's TrueType fonts (DejaVu, Liberation, ...): upright ones
(:func:`font_digit`) and harder ones, rotated, slanted, thickened or thinned, in either
polarity (:func:`hard_font_digit`); and digits in handwriting fonts (:func:`handwriting_digit`,
from Debian's font packages named in :data:`HANDWRITING_FONTS`)."""

from __future__ import annotations

import glob
from functools import cache, lru_cache
from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw, ImageFilter, ImageFont

FONT_GLOBS = (
    "/usr/share/fonts/truetype/dejavu/*.ttf",
    "/usr/share/fonts/truetype/liberation/*.ttf",
    "/usr/share/fonts/truetype/*/*.ttf",
)
# Fonts whose digits look nothing like handwriting (symbol and maths fonts).
SKIP_FONTS = ("Math", "Symbol", "Emoji")
#: Handwriting fonts, one style of each, as Debian installs them (``apt-get install`` the
#: packages of :data:`HANDWRITING_PACKAGES`), relative to /usr/share/fonts. No font of their
#: folders (nor of :data:`NOT_HANDWRITING`'s) is in :func:`font_files`: the typeset ``fonts``
#: kind draws what it drew before they were installed.
HANDWRITING_FONTS = (
    "opentype/bwht/BecauseWeBuild-Regular.otf",
    "opentype/bwht/BecauseWeConnect-Regular.otf",
    "opentype/bwht/BecauseWeCreate-Regular.otf",
    "opentype/bwht/BecauseWeLearn-Regular.otf",
    "opentype/bwht/BecauseWeMentor-Regular.otf",
    "opentype/bwht/BecauseWeOrganize-Regular.otf",
    "opentype/comic-neue/ComicNeue-Regular.otf",
    "opentype/dancingscript/DancingScript-Regular.otf",
    "opentype/havana/Havana-Regular.otf",
    "opentype/kaushanscript/KaushanScript-Regular.otf",
    "opentype/lobster/lobster.otf",
    "truetype/breip/Breip.ttf",
    "truetype/ecolier-court/Ecolier-court.ttf",
    "truetype/fifthhorseman/dkg.ttf",
    "truetype/humor-sans/Humor-Sans.ttf",
    "truetype/isabella/Isabella.ttf",
    "truetype/kiloji/kiloji.ttf",
    "truetype/klee/KleeOne-Regular.ttf",
    "truetype/kristi/Kristi.ttf",
    "truetype/leckerli-one/LeckerliOne-Regular.ttf",
    "truetype/rufscript/Rufscript010.ttf",
    "truetype/sjfonts/Delphine.ttf",
    "truetype/sjfonts/SteveHand.ttf",
    "truetype/yusei-magic/YuseiMagic-Regular.ttf",
)
HANDWRITING_PACKAGES = (
    "fonts-bwht", "fonts-comic-neue", "fonts-dancingscript", "fonts-havana",
    "fonts-kaushanscript", "fonts-lobster", "fonts-breip", "fonts-ecolier-court",
    "fonts-dkg-handwriting", "fonts-humor-sans", "fonts-isabella", "fonts-kiloji",
    "fonts-klee", "fonts-kristi", "fonts-leckerli-one", "fonts-rufscript", "fonts-sjfonts",
    "fonts-yusei-magic",
)  # fmt: skip
#: Debian's other handwriting-like fonts, left out: an outline font (hollow strokes are
#: nobody's handwriting) and a 16th-century secretary hand (flourished 2, 3 and 7).
NOT_HANDWRITING = ("truetype/femkeklaver/femkeklaver.ttf", "opentype/joscelyn/Joscelyn-Regular.otf")
FONTS_DIR = "/usr/share/fonts"
# Glyphs are drawn at this many points, then scaled to the size wanted.
GLYPH_POINTS = 200


@lru_cache(maxsize=1)
def font_files() -> tuple[str, ...]:
    """The TrueType fonts found on the machine (empty if none), sorted, symbol fonts left out."""
    found: set[str] = set()
    for pattern in FONT_GLOBS:
        found.update(glob.glob(pattern))
    handwriting = {
        str(Path(FONTS_DIR, name).parent) for name in HANDWRITING_FONTS + NOT_HANDWRITING
    }
    found = {f for f in found if str(Path(f).parent) not in handwriting}
    return tuple(sorted(f for f in found if not any(s in f for s in SKIP_FONTS)))


def handwriting_font_files() -> tuple[str, ...]:
    """The paths of :data:`HANDWRITING_FONTS`; raises ``FileNotFoundError`` naming the Debian
    packages to install when some are missing."""
    paths = tuple(f"{FONTS_DIR}/{name}" for name in HANDWRITING_FONTS)
    missing = [path for path in paths if not Path(path).is_file()]
    if missing:
        raise FileNotFoundError(
            f"{len(missing)} of the {len(paths)} handwriting fonts are not installed (first: "
            f"{missing[0]}); install them with: apt-get install {' '.join(HANDWRITING_PACKAGES)}"
        )
    return paths


@cache
def font_at(path: str) -> ImageFont.FreeTypeFont:
    """The TrueType font file ``path`` at ``GLYPH_POINTS`` points (loaded once)."""
    return ImageFont.truetype(path, GLYPH_POINTS)


def load_font(rng: np.random.Generator) -> ImageFont.FreeTypeFont | ImageFont.ImageFont:
    """A random machine font at ``GLYPH_POINTS`` points, or Pillow's built-in font if there is
    none."""
    files = font_files()
    if files:
        return font_at(files[int(rng.integers(len(files)))])
    return ImageFont.load_default(size=GLYPH_POINTS)


def draw_glyph(digit: int, font: ImageFont.FreeTypeFont | ImageFont.ImageFont) -> Image.Image:
    """``digit`` in ``font``, white on black, centred on a canvas twice the glyph size."""
    glyph = Image.new("L", (GLYPH_POINTS * 2, GLYPH_POINTS * 2), 0)
    ImageDraw.Draw(glyph).text(
        (GLYPH_POINTS, GLYPH_POINTS), str(digit), fill=255, font=font, anchor="mm"
    )
    return glyph


def place_glyph(
    glyph: Image.Image, factor: float, size: int, invert: bool, rng: np.random.Generator
) -> Image.Image:
    """A cropped ``glyph`` scaled by ``factor`` and pasted at a random place of a ``size`` x
    ``size`` canvas: white ink on black if ``invert``, else black ink on white."""
    new = (max(1, round(glyph.width * factor)), max(1, round(glyph.height * factor)))
    glyph = glyph.resize(new, Image.Resampling.LANCZOS)
    background, ink = (0, 255) if invert else (255, 0)
    image = Image.new("L", (size, size), background)
    left = int(rng.integers(0, size - glyph.width + 1))
    top = int(rng.integers(0, size - glyph.height + 1))
    image.paste(Image.new("L", glyph.size, ink), (left, top), glyph)
    return image


def font_digit(
    digit: int,
    rng: np.random.Generator,
    size: int | None = None,
    invert: bool | None = None,
) -> Image.Image:
    """A typeset digit: greyscale ("L") ``size`` x ``size`` canvas (random 120-400 pixels),
    random font, glyph 35-80% of the canvas high, random place, rotated up to 8 degrees;
    black on white unless ``invert`` (random, one in four). The glyph is drawn large and then
    scaled to its size (anti-aliased)."""
    size = int(size if size is not None else rng.integers(120, 401))
    invert = bool(rng.random() < 0.25) if invert is None else invert
    font = load_font(rng)
    glyph = draw_glyph(digit, font)
    glyph = glyph.rotate(rng.uniform(-8, 8), resample=Image.Resampling.BICUBIC)
    glyph = glyph.crop(glyph.getbbox() or (0, 0, 1, 1))
    factor = size * rng.uniform(0.35, 0.8) / glyph.height
    factor = min(factor, 0.85 * size / max(glyph.size))  # must fit on the canvas
    return place_glyph(glyph, factor, size, invert, rng)


def hard_font_digit(digit: int, rng: np.random.Generator, size: int | None = None) -> Image.Image:
    """A typeset digit as people use fonts to test a reader: greyscale ("L") ``size`` x ``size``
    canvas (random 64-400 pixels), random font, glyph 30-85% of the canvas high, slanted (shear
    up to 0.35) and rotated (up to 15 degrees) either way, its strokes thickened or thinned
    (up to 6% of the glyph's height) in two of three, in either polarity (half and half)."""
    size = int(size if size is not None else rng.integers(64, 401))
    invert = bool(rng.random() < 0.5)
    font = load_font(rng)
    glyph = slant_and_turn(draw_glyph(digit, font), rng.uniform(-0.35, 0.35), rng, 15)
    weight = rng.random()
    if weight < 2 / 3:
        glyph = reweigh(glyph, rng.uniform(0.01, 0.06), bolder=weight < 0.45)
    factor = size * rng.uniform(0.3, 0.85) / glyph.height
    factor = min(factor, 0.95 * size / max(glyph.size))
    return place_glyph(glyph, factor, size, invert, rng)


def handwriting_digit(digit: int, rng: np.random.Generator, size: int | None = None) -> Image.Image:
    """A digit in a handwriting font (:data:`HANDWRITING_FONTS`, one drawn at random) as people
    photograph or scan a printed one: greyscale ("L") ``size`` x ``size`` canvas (random 64-400
    pixels), glyph 30-85% of the canvas high, rotated up to 12 degrees either way, its strokes
    thickened (up to 4% of the glyph's height) in one of three, in either polarity (half and
    half). Never thinned: the hairlines of a script font would vanish."""
    size = int(size if size is not None else rng.integers(64, 401))
    invert = bool(rng.random() < 0.5)
    files = handwriting_font_files()
    glyph = draw_glyph(digit, font_at(files[int(rng.integers(len(files)))]))
    glyph = slant_and_turn(glyph, 0.0, rng, 12)
    if rng.random() < 1 / 3:
        glyph = reweigh(glyph, rng.uniform(0.01, 0.04), bolder=True)
    factor = size * rng.uniform(0.3, 0.85) / glyph.height
    factor = min(factor, 0.95 * size / max(glyph.size))
    return place_glyph(glyph, factor, size, invert, rng)


def slant_and_turn(
    glyph: Image.Image, shear: float, rng: np.random.Generator, degrees: float
) -> Image.Image:
    """``glyph`` sheared by ``shear`` (none when 0), turned by up to ``degrees`` either way
    and cropped to its ink."""
    if shear:
        glyph = glyph.transform(
            glyph.size,
            Image.Transform.AFFINE,
            (1.0, shear, -shear * GLYPH_POINTS, 0.0, 1.0, 0.0),
            resample=Image.Resampling.BICUBIC,
        )
    glyph = glyph.rotate(rng.uniform(-degrees, degrees), resample=Image.Resampling.BICUBIC)
    return glyph.crop(glyph.getbbox() or (0, 0, 1, 1))


def reweigh(glyph: Image.Image, amount: float, *, bolder: bool) -> Image.Image:
    """``glyph`` with its strokes made bolder (or thinner) by ``amount`` of its height."""
    k = 2 * round(glyph.height * amount) + 1
    glyph = Image.fromarray(np.pad(np.asarray(glyph), k), "L")
    glyph = glyph.filter(ImageFilter.MaxFilter(k) if bolder else ImageFilter.MinFilter(k))
    return glyph.crop(glyph.getbbox() or (0, 0, 1, 1))
