import numpy as np
import pytest
from PIL import Image

from snippets.data import load_mnist
from snippets.predict import ImageError, load_digit, mnist_style


def test_a_28x28_grey_digit_is_used_as_it_is(tmp_path):
    _, (images, _) = load_mnist()
    Image.fromarray(images[3]).save(tmp_path / "d.png")
    pixels, notes = load_digit(tmp_path / "d.png")
    assert notes == [] and pixels.shape == (28, 28)
    assert np.allclose(pixels, images[3] / 255.0)


def test_a_large_dark_on_light_colour_scan_is_converted_and_explained(tmp_path):
    canvas = np.full((120, 90, 3), 255, np.uint8)
    canvas[20:100, 40:50] = 0  # a black vertical stroke, like a "1"
    Image.fromarray(canvas).save(tmp_path / "scan.png")
    pixels, notes = load_digit(tmp_path / "scan.png")
    assert pixels.shape == (28, 28) and pixels.max() <= 1.0
    assert notes[0] == "converted RGB to grey" and notes[1].startswith("inverted")
    assert notes[2].startswith("resized from 90x120")
    rows, cols = np.nonzero(pixels > 0.05)
    assert rows.max() - rows.min() + 1 == 20  # the ink fills a 20-pixel box, as in MNIST
    mass = np.array(np.nonzero(pixels >= 0)).T.reshape(28, 28, 2) * pixels[..., None]
    centre = mass.sum(axis=(0, 1)) / pixels.sum()
    assert np.allclose(centre, [14, 14], atol=1.0)


def test_mnist_style_keeps_a_blank_image_blank():
    assert mnist_style(np.zeros((50, 50), np.float32)).sum() == 0


@pytest.mark.parametrize("content, fragment", [(None, "no such file"), (b"GIF89a broken", "not a readable image")])
def test_bad_files_raise_a_clear_error(tmp_path, content, fragment):
    path = tmp_path / "x.png"
    if content is not None:
        path.write_bytes(content)
    with pytest.raises(ImageError, match=fragment):
        load_digit(path)
