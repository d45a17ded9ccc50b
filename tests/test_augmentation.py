"""Augmentation: the held-out digits that are not from MNIST (snippets/other_digits.py).

The set is what an augmented network is judged on, so first it must be what it says it is:
whole and unchanged (SHA-256), balanced, every source named with its licence, each image
made into a network input the way `python -m snippets predict` makes one from a picture
file, and readable: a network trained on a slice of MNIST reads most of it, but fewer of
them than of MNIST's own test digits.
"""

import re
import shutil

import numpy as np
import pytest
from PIL import Image

from helpers import ROOT
from snippets import other_digits
from snippets.config import TrainConfig
from snippets.mnist_files import NUM_CLASSES
from snippets.predict import load_digit

SOURCES_MD = ROOT / "snippets" / "other_digits" / "SOURCES.md"


@pytest.fixture(scope="module")
def loaded():
    return other_digits.load_other_digits()


def test_the_set_is_one_small_committed_file_balanced_over_classes_and_fonts(loaded):
    assert other_digits.DATA_FILE.stat().st_size < 3_000_000
    images, labels, sources = loaded
    fonts = [other_digits.font_name(file) for _, file in other_digits.FONTS]
    per_font = other_digits.VARIANTS * NUM_CLASSES
    assert images.shape == (len(fonts) * per_font, 28, 28) and images.dtype == np.float32
    assert labels.shape == (len(images),) and len(sources) == len(images)
    assert sorted(set(sources)) == sorted(fonts)
    # every font gives every digit VARIANTS times, so every class has the same count
    for font in fonts:
        mine = labels[np.array(sources) == font]
        assert np.bincount(mine, minlength=NUM_CLASSES).tolist() == [other_digits.VARIANTS] * 10
    # the module's docstring says how big the set is
    assert f"{len(images):,} digits drawn from {len(fonts)}" in other_digits.__doc__


def test_the_raw_pages_are_dark_ink_on_white_with_margins_and_not_centred():
    raw = other_digits.read_raw()
    pages = raw["images"]
    assert pages.dtype == np.uint8 and pages.shape[1:] == (other_digits.SIZE,) * 2
    margin = other_digits.MARGIN
    border = np.concatenate([pages[:, :margin].reshape(len(pages), -1),
                             pages[:, -margin:].reshape(len(pages), -1),
                             pages[:, :, :margin].reshape(len(pages), -1),
                             pages[:, :, -margin:].reshape(len(pages), -1)], axis=1)
    assert (border == 255).all()  # white paper all round
    assert (pages.min(axis=(1, 2)) <= 60).all()  # every page has dark ink on it
    rows = np.array([np.nonzero((page < 128).any(axis=1))[0].mean() for page in pages])
    assert rows.std() > 3  # placed anywhere on the page, unlike MNIST


def test_images_are_white_on_black_in_0_1_with_the_ink_centred_as_in_mnist(loaded):
    images, _, _ = loaded
    assert images.min() == 0.0 and 0.0 < images.max() <= 1.0
    grid = np.arange(28)
    for image in images:
        rows, cols = np.nonzero(image > 0.05)
        # fitted into MNIST's 20x20 box, so four black rows and columns or more on each side
        assert max(rows.max() - rows.min(), cols.max() - cols.min()) + 1 == 20
        mass = image.sum()
        centre = (grid @ image.sum(axis=1) / mass, grid @ image.sum(axis=0) / mass)
        assert np.allclose(centre, 14, atol=1.0), centre


def test_each_image_is_what_predict_makes_of_the_same_page_saved_as_a_file(loaded, tmp_path):
    raw = other_digits.read_raw()
    images, _, _ = loaded
    for index in range(0, len(images), 149):
        path = tmp_path / f"page_{index}.png"
        Image.fromarray(raw["images"][index]).save(path)
        pixels, notes = load_digit(path)
        assert "inverted (dark digit on a light background)" in notes
        np.testing.assert_array_equal(pixels, images[index])


def test_a_damaged_copy_is_refused_with_one_line_that_says_so(tmp_path):
    copy = tmp_path / "other_digits.npz"
    shutil.copyfile(other_digits.DATA_FILE, copy)
    assert len(other_digits.load_other_digits(copy)[0]) > 0  # an exact copy is fine
    data = bytearray(copy.read_bytes())
    data[len(data) // 2] ^= 0xFF
    copy.write_bytes(bytes(data))
    with pytest.raises(other_digits.OtherDigitsError) as damaged:
        other_digits.load_other_digits(copy)
    message = str(damaged.value)
    assert "\n" not in message and "SHA-256" in message and "damaged" in message
    with pytest.raises(other_digits.OtherDigitsError) as missing:
        other_digits.load_other_digits(tmp_path / "nowhere.npz")
    assert "\n" not in str(missing.value) and "restore it with git" in str(missing.value)


def test_every_source_and_its_package_version_and_licence_are_in_sources_md(loaded):
    text = SOURCES_MD.read_text(encoding="utf-8")
    table = {row.split("|")[2].strip(): row for row in text.splitlines()
             if row.startswith("| ") and "fonts-" in row}
    for package, file in other_digits.FONTS:
        assert other_digits.font_name(file) in table[package], file
        version, licence = [cell.strip() for cell in table[package].split("|")[3:5]]
        assert re.fullmatch(r"[\w.:+~-]+", version) and licence, package
    assert sorted(set(loaded[2])) == sorted(
        name.strip() for row in table.values() for name in row.split("|")[1].split(","))


def test_the_module_runs_as_a_script_and_counts_the_set(capsys, loaded):
    assert other_digits.main([]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[-1].split() == ["all"] + [str(len(loaded[1]) // NUM_CLASSES)] * NUM_CLASSES
    assert len(lines) == len(other_digits.FONTS) + 2


def test_a_network_trained_on_mnist_reads_most_of_them_but_fewer_than_mnist(small_data):
    from snippets.train import train

    result = train(TrainConfig(epochs=5, limit=3000, validation_size=1000), data=small_data,
                   log=lambda message: None)
    accuracy = other_digits.accuracy_on_other_digits(result.model)
    assert accuracy > 0.5  # far above chance (10 %): the digits are readable
    # ... and yet below MNIST's own test set: the point of holding out other writers
    assert accuracy < result.test_accuracy
