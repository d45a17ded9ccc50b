"""What others hand the project, read safely (issue 27): pictures for `predict`
(snippets/predict.py), run folders and their model.json (snippets/checkpoint.py,
snippets/config.py, snippets/finetune.py), and the trusted-network rule of `train --workers`
(snippets/distributed.py, snippets/cli.py, README.md, docs/distributed.md).

No test here times anything: each checks the mechanism (refused before decoding, shrunk before
the NumPy steps, checked before a model is built).
"""

import struct
import zlib

import numpy as np
import pytest
from PIL import EpsImagePlugin, Image, ImageDraw, ImageFile

from helpers import one_line_error, run_command
from snippets import predict
from snippets.predict import SHRINK_TO, ImageError, load_digit

# Pictures ------------------------------------------------------------------------------------


def png_chunk(kind, data):
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))


def white_strip(path, width=2, height=44_700_000):
    """A 1-bit PNG of width x height white pixels, written a million rows at a time: each row
    is a filter byte (0) and one byte holding the two white pixels."""
    rows, block = b"\x00\xc0", 1_000_000
    packer = zlib.compressobj(9)
    body = b"".join(packer.compress(rows * block) for _ in range(height // block))
    body += packer.compress(rows * (height % block)) + packer.flush()
    header = struct.pack(">IIBBBBB", width, height, 1, 0, 0, 0, 0)  # 1 bit, grey
    path.write_bytes(b"\x89PNG\r\n\x1a\n" + png_chunk(b"IHDR", header) + png_chunk(b"IDAT", body)
                     + png_chunk(b"IEND", b""))
    return path


def thin_seven(path, size=9000, stroke=12):
    """A black 7 drawn with a fine pen on a white size x size page (1-bit, so it is quick to
    write)."""
    page = Image.new("1", (size, size), 1)
    draw = ImageDraw.Draw(page)
    top, left, right = size * 2 // 10, size * 3 // 10, size * 7 // 10
    draw.line([(left, top), (right, top), (size * 45 // 100, size * 8 // 10)], fill=0, width=stroke)
    page.save(path, compress_level=1)
    return path


@pytest.fixture
def no_decoding(monkeypatch):
    """Record every attempt to decode a picture's pixels."""
    attempts = []
    real_load, real_decoder = ImageFile.ImageFile.load, Image._getdecoder

    def load(image):
        attempts.append("load")
        return real_load(image)

    def decoder(*args, **kwargs):
        attempts.append("decoder")
        return real_decoder(*args, **kwargs)

    monkeypatch.setattr(ImageFile.ImageFile, "load", load)
    monkeypatch.setattr(Image, "_getdecoder", decoder)
    return attempts


def test_a_small_file_of_a_huge_picture_is_refused_before_it_is_decoded(tmp_path, no_decoding):
    strip = white_strip(tmp_path / "strip.png")
    assert strip.stat().st_size < 200_000  # compresses a thousandfold
    with Image.open(strip) as image:
        assert image.size == (2, 44_700_000)
    with pytest.raises(ImageError) as refused:
        load_digit(strip)
    message = str(refused.value)
    assert "2x44700000 pixels is too large for a picture of one digit" in message and "\n" not in message
    assert no_decoding == []


def test_the_command_refuses_the_huge_picture_in_one_line(tmp_path):
    strip = white_strip(tmp_path / "strip.png")
    completed = run_command("predict", "--checkpoint-dir", tmp_path / "run", strip)
    assert completed.returncode == 1 and one_line_error(completed.stderr)
    assert "too large for a picture of one digit" in completed.stderr and completed.stdout == ""


def test_a_picture_over_the_pixel_count_is_refused_before_decoding(tmp_path, no_decoding):
    # within the side's limit, over the count; Pillow itself warns from 89.5 million
    Image.new("1", (9_400, 9_400), 1).save(tmp_path / "page.png")
    with pytest.raises(ImageError, match="9400x9400 pixels is too large"):
        load_digit(tmp_path / "page.png")
    Image.new("1", (12_000, 12_000), 1).save(tmp_path / "larger.png")
    with pytest.raises(ImageError, match="too many pixels for a picture of one digit"):
        load_digit(tmp_path / "larger.png")
    assert no_decoding == []


def test_a_large_picture_with_a_thin_stroke_is_shrunk_before_the_numpy_steps(tmp_path, monkeypatch):
    seen = []
    real_prepare = predict.prepare

    def prepare(grey):
        seen.append(grey.shape)
        return real_prepare(grey)

    monkeypatch.setattr(predict, "prepare", prepare)
    pixels, notes = load_digit(thin_seven(tmp_path / "seven.png"))
    assert seen == [(SHRINK_TO, SHRINK_TO)]
    assert notes[0] == "shrunk from 9000x9000 to 1000x1000 first"
    # The stroke survived: a digit fitted in 20 pixels, at full strength, centred by mass.
    rows, cols = np.nonzero(pixels > 0.05)
    assert max(rows.max() - rows.min(), cols.max() - cols.min()) + 1 == 20 and pixels.max() > 0.9
    centre = np.array([(np.indices(pixels.shape)[axis] * pixels).sum() / pixels.sum() for axis in (0, 1)])
    assert np.allclose(centre, [14, 14], atol=1.0)
    # And it looks like the same 7 drawn at a tenth of the size.
    small, _ = load_digit(thin_seven(tmp_path / "small.png", size=900, stroke=2))
    assert np.abs(pixels - small).mean() < 0.05


def test_the_command_predicts_on_the_large_thin_picture(tmp_path):
    from snippets.checkpoint import save_model
    from snippets.mlp import MLP

    save_model(MLP(hidden=(8,)), tmp_path / "run")
    seven = thin_seven(tmp_path / "seven.png")
    completed = run_command("predict", "--checkpoint-dir", tmp_path / "run", seven)
    assert completed.returncode == 0, completed.stderr
    assert completed.stdout.startswith(f"{seven}: ") and "(probability " in completed.stdout
    assert "shrunk from 9000x9000 to 1000x1000 first" in completed.stderr


EPS = b"""%!PS-Adobe-3.0 EPSF-3.0
%%BoundingBox: 0 0 28 28
%%EndComments
newpath 4 4 moveto 24 24 lineto stroke
%%EOF
"""


def test_a_postscript_file_named_png_is_refused_without_reaching_the_eps_reader(tmp_path, monkeypatch):
    opened = []
    monkeypatch.setattr(EpsImagePlugin.EpsImageFile, "_open", lambda image: opened.append(image))
    (tmp_path / "digit.png").write_bytes(EPS)
    with pytest.raises(ImageError) as refused:
        load_digit(tmp_path / "digit.png")
    message = str(refused.value)
    assert "not a readable image" in message and "PNG, JPEG, GIF, BMP, TIFF and WebP" in message
    assert "\n" not in message and opened == []
    completed = run_command("predict", "--checkpoint-dir", tmp_path / "run", tmp_path / "digit.png")
    assert completed.returncode == 1 and one_line_error(completed.stderr) and opened == []


@pytest.mark.parametrize("form", ["JPEG", "GIF", "BMP", "TIFF", "WEBP"])
def test_each_format_the_page_names_is_still_read(tmp_path, form):
    picture = np.full((60, 60), 255, np.uint8)
    picture[10:50, 26:34] = 0  # a "1"
    path = tmp_path / f"one.{form.lower()}"
    Image.fromarray(picture).save(path, format=form)
    pixels, _ = load_digit(path)
    assert pixels.shape == (28, 28) and pixels.max() > 0.9


def test_a_large_jpeg_is_decoded_at_a_fraction_of_its_size(tmp_path, monkeypatch):
    thin_seven(tmp_path / "seven.png", size=8000, stroke=40)
    Image.open(tmp_path / "seven.png").convert("L").save(tmp_path / "seven.jpg", quality=90)
    sizes = []
    real = predict.shrink

    def shrink(image, original):
        sizes.append((image.size, original))
        return real(image, original)

    monkeypatch.setattr(predict, "shrink", shrink)
    pixels, notes = load_digit(tmp_path / "seven.jpg")
    assert sizes == [((1000, 1000), (8000, 8000))]  # decoded at 1/8
    assert notes[0] == "shrunk from 8000x8000 to 1000x1000 first" and pixels.max() > 0.9
