"""Digits that are not from MNIST: a small, fixed set to test a network on.

MNIST's test digits were written by the same two groups of people as its
training digits (Census Bureau employees and American high-school students),
on the same forms, scanned the same way. So its test accuracy says how well a
network reads *those* writers; it overstates how well it reads anyone else.

This set is 1,500 digits drawn from 30 handwriting fonts that Debian ships:
every digit of every font five times, each with a seeded tilt (up to 8
degrees either way), size, ink shade and place on the page, dark ink on white
paper as a scanner gives them. Stroke weights differ only as the fonts'
own weights do. ``other_digits/SOURCES.md`` names each font's package,
version and licence. The set is one compressed file,
``other_digits/other_digits.npz``, checked by SHA-256 when it is read.

Two parts:

1. reading the set, which needs only NumPy and Pillow (``load_other_digits``,
   ``accuracy_on_other_digits``): each raw image is made into a network input
   exactly as ``python -m snippets predict scan.png`` makes one from a file;
2. making the file again from the fonts (``build``), which needs the font
   packages, installed or unpacked under a folder.

    python -m snippets.other_digits                       # what the set holds
    python -m snippets.other_digits --checkpoint-dir DIR  # a model on it
    python -m snippets.other_digits --build --font-root DIR
"""

import hashlib
import io
import sys
import zipfile
import zlib
from pathlib import Path

import numpy as np

from snippets.mnist_files import NUM_CLASSES, DataError
from snippets.predict import predict, prepare

DATA_FILE = Path(__file__).with_name("other_digits") / "other_digits.npz"
# The file's SHA-256: a build prints the new one to paste here.
SHA256 = "0664bf599d402979521a504992bd195c42b13a242a4cfacb551fde58ab515c6f"


class OtherDigitsError(DataError):
    """The held-out digits could not be read; the message says what to do."""


# Part 1: reading the set ---------------------------------------------------


def read_raw(path=DATA_FILE):
    """The file's arrays, after checking its SHA-256: ``images`` (N, 64, 64)
    uint8, dark on light; ``labels`` and ``source`` (N,) uint8; ``sources``,
    the name of each source.
    """
    path = Path(path)
    try:
        data = path.read_bytes()
    except OSError as error:
        raise OtherDigitsError(
            f"{path}: cannot read the held-out digits ({error.strerror}); "
            "the file is part of the repository: restore it with git"
        ) from None
    actual = hashlib.sha256(data).hexdigest()
    if actual != SHA256:
        raise OtherDigitsError(
            f"{path}: SHA-256 is {actual[:16]}..., expected {SHA256[:16]}... "
            "(the file is damaged, or was rebuilt without updating SHA256 "
            "in snippets/other_digits.py)"
        )
    # allow_pickle=False: the file holds plain arrays, never Python objects.
    with np.load(io.BytesIO(data), allow_pickle=False) as arrays:
        return {name: arrays[name] for name in arrays.files}


def to_network_input(raw):
    """The 28x28 white-on-black input for one raw dark-on-light image.

    ``predict.load_digit`` does the same to a picture file: ``prepare``
    inverts the light page, takes the paper's shade away, and ``mnist_style``
    fits the ink into MNIST's 20x20 box, centred by mass.
    """
    pixels, _ = prepare(np.asarray(raw, np.float32) / 255.0)
    return pixels


def load_other_digits(path=DATA_FILE):
    """``(images, labels, sources)``: (N, 28, 28) float32 in [0, 1] as the
    network sees them, (N,) int labels, and each image's source (a font).
    """
    raw = read_raw(path)
    images = np.stack([to_network_input(image) for image in raw["images"]])
    names = [str(name) for name in raw["sources"]]
    sources = [names[index] for index in raw["source"]]
    return images, raw["labels"].astype(np.int64), sources


def accuracy_on_other_digits(model, path=DATA_FILE):
    """The fraction of the held-out digits that ``model`` reads right."""
    images, labels, _ = load_other_digits(path)
    guesses = predict(model, images).argmax(axis=1)
    return float(np.mean(guesses == labels))


# Part 2: making the set from the fonts -------------------------------------

# (Debian package, font file under /usr/share/fonts/). Chosen by eye from
# every handwriting, script, comic and marker font in Debian 12: left out are
# fonts whose digits are typeset rather than written (Nanum Barun Pen),
# outlined or hatched (Femke Klaver, Cabin Sketch), hairline thin (Ecolier),
# flourished past reading (Joscelyn, dkg italic) or display lettering
# (Lobster, Leckerli One).
FONTS = [
    ("fonts-bwht", "opentype/bwht/BecauseWeBuild-Regular.otf"),
    ("fonts-bwht", "opentype/bwht/BecauseWeConnect-Regular.otf"),
    ("fonts-bwht", "opentype/bwht/BecauseWeCreate-Regular.otf"),
    ("fonts-bwht", "opentype/bwht/BecauseWeLearn-Regular.otf"),
    ("fonts-bwht", "opentype/bwht/BecauseWeMentor-Regular.otf"),
    ("fonts-bwht", "opentype/bwht/BecauseWeOrganize-Regular.otf"),
    ("fonts-breip", "truetype/breip/Breip.ttf"),
    ("fonts-comic-neue", "opentype/comic-neue/ComicNeue-Regular.otf"),
    ("fonts-comic-neue", "opentype/comic-neue/ComicNeue-Bold.otf"),
    (
        "fonts-dancingscript",
        "opentype/dancingscript/DancingScript-Regular.otf",
    ),
    ("fonts-dancingscript", "opentype/dancingscript/DancingScript-Bold.otf"),
    ("fonts-dkg-handwriting", "truetype/fifthhorseman/dkg.ttf"),
    ("fonts-dkg-handwriting", "truetype/fifthhorseman/dkgBd.ttf"),
    ("fonts-humor-sans", "truetype/humor-sans/Humor-Sans.ttf"),
    (
        "fonts-kaushanscript",
        "opentype/kaushanscript/KaushanScript-Regular.otf",
    ),
    ("fonts-kiloji", "truetype/kiloji/kiloji.ttf"),
    ("fonts-klee", "truetype/klee/KleeOne-Regular.ttf"),
    ("fonts-klee", "truetype/klee/KleeOne-SemiBold.ttf"),
    ("fonts-kristi", "truetype/kristi/Kristi.ttf"),
    ("fonts-nanum-extra", "truetype/nanum/NanumPen.ttf"),
    ("fonts-nanum-extra", "truetype/nanum/NanumBrush.ttf"),
    ("fonts-navilu", "truetype/Navilu/Navilu.ttf"),
    ("fonts-rufscript", "truetype/rufscript/Rufscript010.ttf"),
    ("fonts-seto", "truetype/seto/setofont.ttf"),
    ("fonts-sjfonts", "truetype/sjfonts/Delphine.ttf"),
    ("fonts-sjfonts", "truetype/sjfonts/SteveHand.ttf"),
    ("fonts-tlwg-purisa-otf", "opentype/tlwg/Purisa.otf"),
    ("fonts-tlwg-purisa-otf", "opentype/tlwg/Purisa-Bold.otf"),
    ("fonts-tomsontalks", "truetype/tomsontalks/TomsonTalks.ttf"),
    ("fonts-yusei-magic", "truetype/yusei-magic/YuseiMagic-Regular.ttf"),
]
VARIANTS = 5  # drawings of each digit in each font
SIZE = 64  # the raw image's side: a scan at a modest resolution
MARGIN = 4  # the least paper left around the ink
BIG = 160  # glyphs are drawn this large first, then tilted and shrunk
SEED = 0


def render(font, digit, rng):
    """One digit as a scanner would give it: dark ink on white, SIZE x SIZE,
    tilted, sized, shaded and placed at random (from ``rng``).
    """
    from PIL import Image, ImageDraw

    # Drawn as white ink on black, so that rotation and resizing fill the
    # new corners with "no ink"; the page is made light at the end.
    canvas = Image.new("L", (2 * BIG, 2 * BIG), 0)
    ImageDraw.Draw(canvas).text(
        (BIG, BIG), str(digit), fill=255, font=font, anchor="mm"
    )
    tilted = canvas.rotate(rng.uniform(-8, 8), resample=Image.BICUBIC)
    glyph = tilted.crop(tilted.getbbox())
    # Ink 45 % to 75 % of the page's height, never wider than the page.
    height = rng.uniform(0.45, 0.75) * SIZE
    scale = min(height / glyph.height, (SIZE - 2 * MARGIN) / glyph.width)
    width, height = (
        max(1, round(glyph.width * scale)),
        max(1, round(glyph.height * scale)),
    )
    glyph = glyph.resize((width, height), Image.LANCZOS)
    # Anywhere on the page: unlike MNIST's, not centred.
    top = rng.integers(MARGIN, SIZE - MARGIN - height + 1)
    left = rng.integers(MARGIN, SIZE - MARGIN - width + 1)
    ink = np.zeros((SIZE, SIZE), np.float32)
    ink[top : top + height, left : left + width] = np.asarray(glyph) / 255
    shade = rng.uniform(0, 60)  # black marker to dark pencil
    return np.round(255 - ink * (255 - shade)).astype(np.uint8)


def font_name(file):
    return Path(file).stem


def zip_bytes(arrays):
    """An .npz file's bytes, the same on every build: NumPy's own
    ``savez_compressed`` stamps each member with the time of writing, which
    would change the SHA-256 of the same images.
    """
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, array in arrays.items():
            member = io.BytesIO()
            np.lib.format.write_array(member, array, allow_pickle=False)
            info = zipfile.ZipInfo(
                f"{name}.npy", date_time=(1980, 1, 1, 0, 0, 0)
            )
            info.compress_type = zipfile.ZIP_DEFLATED
            archive.writestr(info, member.getvalue(), compresslevel=9)
    return buffer.getvalue()


def build(font_root="/", path=DATA_FILE, seed=SEED):
    """Draw every digit of every font VARIANTS times and write the set to
    ``path``; return the file's SHA-256.

    Each image has its own seed, made of ``seed``, the font's name, the digit
    and the variant, so adding or dropping a font changes no other image.
    """
    from PIL import ImageFont

    from snippets.common import write_atomically

    images, labels, source = [], [], []
    for index, (package, file) in enumerate(FONTS):
        font_path = Path(font_root) / "usr/share/fonts" / file
        if not font_path.is_file():
            raise OtherDigitsError(
                f"{font_path}: no such font; install it (apt-get install "
                f"{package}) or unpack it (apt-get download {package}, then "
                "dpkg -x the .deb into a folder) and pass font_root=FOLDER",
                settings=("font_root",),
            )
        font = ImageFont.truetype(str(font_path), BIG)
        name = zlib.crc32(font_name(file).encode())
        for digit in range(NUM_CLASSES):
            for variant in range(VARIANTS):
                rng = np.random.default_rng([seed, name, digit, variant])
                images.append(render(font, digit, rng))
                labels.append(digit)
                source.append(index)
    data = zip_bytes(
        {
            "images": np.stack(images),
            "labels": np.array(labels, np.uint8),
            "source": np.array(source, np.uint8),
            "sources": np.array([font_name(file) for _, file in FONTS]),
        }
    )
    write_atomically(path, data)
    return hashlib.sha256(data).hexdigest()


# The command line ----------------------------------------------------------


def describe(sources, labels):
    """How many images of each class each source gave, as printable lines."""
    lines = [f"{'source':<26}" + "".join(f"{d:>4}" for d in range(10))]
    for name in dict.fromkeys(sources):
        mine = labels[np.array(sources) == name]
        counts = np.bincount(mine, minlength=NUM_CLASSES)
        lines.append(f"{name:<26}" + "".join(f"{c:>4}" for c in counts))
    total = np.bincount(labels, minlength=NUM_CLASSES)
    lines.append(f"{'all':<26}" + "".join(f"{c:>4}" for c in total))
    return lines


def report(model, images, labels, sources):
    """Accuracy overall and per source, and the commonest confusions."""
    guesses = predict(model, images).argmax(axis=1)
    right = guesses == labels
    lines = [f"accuracy on {len(labels):,} other digits: {right.mean():.1%}"]
    for name in dict.fromkeys(sources):
        mine = np.array(sources) == name
        lines.append(f"  {name:<26} {right[mine].mean():6.1%}")
    pairs = np.bincount(
        labels[~right] * NUM_CLASSES + guesses[~right],
        minlength=NUM_CLASSES**2,
    )
    top = np.argsort(pairs)[::-1][:5]
    lines.append("commonest mistakes, true -> read (how many):")
    lines.append(
        "  "
        + ", ".join(
            f"{k // NUM_CLASSES} -> {k % NUM_CLASSES} ({pairs[k]})"
            for k in top
            if pairs[k]
        )
    )
    return lines


def main(argv=None):
    from snippets.common import ExplainedError, Parser

    parser = Parser(
        prog="python -m snippets.other_digits",
        description="The held-out digits that are not from MNIST.",
    )
    parser.add_argument(
        "--build", action="store_true", help="draw the set again from fonts"
    )
    parser.add_argument(
        "--font-root",
        default="/",
        help="the folder holding usr/share/fonts (default: /)",
    )
    parser.add_argument(
        "--checkpoint-dir", help="report how this saved model reads the set"
    )
    args = parser.parse_args(argv)
    try:
        if args.build:
            sha = build(args.font_root)
            print(f"wrote {DATA_FILE}\nSHA-256 {sha}: put it in SHA256")
            return 0
        images, labels, sources = load_other_digits()
        print("\n".join(describe(sources, labels)))
        if args.checkpoint_dir:
            from snippets.common import quiet_tensorflow

            # Before snippets.checkpoint loads TensorFlow, or its start-up
            # notes fill the screen.
            quiet_tensorflow()
            from snippets.checkpoint import restore_model

            model = restore_model(args.checkpoint_dir)
            print("\n".join(report(model, images, labels, sources)))
    except ExplainedError as error:
        message = str(error)
        if "font_root" in error.settings:  # build's font_root is --font-root
            message = message.replace("font_root=", "--font-root ")
        print(f"error: {message}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
