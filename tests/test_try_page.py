"""The "Try it" page in headless Chromium: the network in the browser is TensorFlow's network.

The page's pure functions are on ``window.DeepNetsTry``; ``classify(grey, width, height)`` is
what the canvas calls with its own pixels, so feeding MNIST digits to it tests the code path
of a drawing. TensorFlow's answers come from ``reference.json``, which ``snippets.export``
writes with the float32 model it exported; Python's preprocessing is ``snippets.predict``.
"""

import base64
import json
import re

import numpy as np
import pytest
from PIL import Image

from site_fixtures import page_url
from snippets.data import load_mnist
from snippets.export import DIGITS_FILE, HEADER_FILE, REFERENCE_FILE, WEIGHTS_FILE, forward, read_export
from snippets.predict import mnist_style

PAGE = page_url("try.md")
EXPORT = "generated/try"


@pytest.fixture(scope="module")
def export(built_site):
    folder = built_site / EXPORT
    if not (folder / HEADER_FILE).is_file():
        pytest.fail(f"the built site has no {EXPORT}/{HEADER_FILE}: run `python -m snippets.export --output "
                    f"docs/{EXPORT}` before `mkdocs build`", pytrace=False)
    header, models, digits, labels = read_export(folder)  # also checks every SHA-256
    reference = json.loads((folder / REFERENCE_FILE).read_text())
    return header, models, digits, labels, {key: np.array(p) for key, p in reference["models"].items()}


def open_try_page(open_page):
    page = open_page(PAGE)
    page.evaluate("DeepNetsTry.ready")  # fails here if the export did not load
    assert page.get_attribute("#try-app", "data-state") == "ready"
    return page


def loaded_cleanly(page):
    assert page.external_requests == [], f"requests to other hosts: {page.external_requests}"
    assert page.console_errors == [], f"console errors: {page.console_errors}"
    return True


def classify(page, images):
    """Run uint8 grey images through the page's canvas path (sent as base64: long lists are slow)."""
    return page.evaluate("""(images) => images.map(({pixels, width, height}) => {
        const bytes = Uint8Array.from(atob(pixels), (c) => c.charCodeAt(0));
        const grey = Float32Array.from(bytes, (v) => v / 255);  // as the canvas does with its alpha
        return DeepNetsTry.classify(grey, width, height);
    })""", [{"pixels": base64.b64encode(np.ascontiguousarray(image, np.uint8).tobytes()).decode(),
             "width": image.shape[1], "height": image.shape[0]} for image in images])


def test_the_page_loads_the_export_and_nothing_from_elsewhere(open_page, export):
    header, *_ = export
    page = open_try_page(open_page)
    captions = page.locator(".try-chart figcaption").all_inner_texts()
    assert len(captions) == len(header["models"]) == 2
    for caption, model in zip(captions, header["models"].values()):
        assert caption.startswith(model["title"])
        assert f"{100 * model['test_accuracy']:.1f} %" in caption  # the measured accuracy, not a typed one
    sizes = page.evaluate("""() => Object.fromEntries(performance.getEntriesByType("resource")
        .concat(performance.getEntriesByType("navigation")).map((e) => [e.name, e.encodedBodySize]))""")
    weights = [size for url, size in sizes.items() if url.endswith(f"{EXPORT}/{WEIGHTS_FILE}")]
    assert weights == [header["files"][WEIGHTS_FILE]["bytes"]] and weights[0] < 500_000
    assert not any(url.endswith(DIGITS_FILE) for url in sizes)  # fetched only when a test digit is asked for
    print(f"\n{PAGE}: {len(sizes)} files, {sum(sizes.values()):,} bytes in all; weights {weights[0]:,} bytes")
    assert loaded_cleanly(page)


def test_the_page_prepares_images_exactly_as_mnist_style(open_page, export):
    _, _, digits, _, _ = export
    _, (test_images, _) = load_mnist()
    rng = np.random.default_rng(0)
    images = list(digits)  # 28x28 MNIST digits: mostly no resampling at all
    # Drawing-sized images (the digit enlarged, shifted, stretched), small ones that must be
    # enlarged, and tall ones, which Pillow resamples column first.
    for index, digit in enumerate(test_images[200:260]):
        if index % 3 == 0:
            height, width = int(rng.integers(60, 280)), int(rng.integers(40, 280))
        elif index % 3 == 1:
            height, width = int(rng.integers(4, 18)), int(rng.integers(4, 18))
        else:
            height, width = int(rng.integers(120, 280)), int(rng.integers(20, 60))
        stretched = np.asarray(Image.fromarray(digit).resize((width, height), Image.BILINEAR))
        canvas = np.zeros((height + 30, width + 30), np.uint8)
        top, left = rng.integers(0, 30, 2)
        canvas[top : top + height, left : left + width] = stretched
        images.append(canvas)
    images.append(np.zeros((50, 50), np.uint8))  # blank stays blank
    page = open_try_page(open_page)
    results = classify(page, images)
    for number, (image, result) in enumerate(zip(images, results)):
        expected = mnist_style(image.astype(np.float32) / 255).ravel()
        assert np.array_equal(np.array(result["input"], np.float32), expected), (
            f"image {number} ({image.shape[1]}x{image.shape[0]}): the page's 28x28 input differs from mnist_style's")
    assert loaded_cleanly(page)


def test_the_page_predicts_what_tensorflow_predicts(open_page, export):
    _, models, digits, _, reference = export
    page = open_try_page(open_page)
    results = classify(page, digits)
    styled = np.stack([mnist_style(digit.astype(np.float32) / 255) for digit in digits])
    assert len(results) == len(digits) >= 200
    for key, tensorflow in reference.items():
        browser = np.array([result["probabilities"][key] for result in results])
        same_digit = np.mean(browser.argmax(1) == tensorflow.argmax(1))
        largest_difference = np.abs(browser - tensorflow).max()
        print(f"\n{key}: the page's digit is TensorFlow's for {same_digit:.1%} of {len(digits)} test digits; "
              f"probabilities within {largest_difference:.5f}")
        assert same_digit >= 0.99
        assert largest_difference <= 0.01
        # and the page computes exactly the documented format (snippets.export.forward)
        np.testing.assert_allclose(browser, forward(models[key], styled), atol=1e-5)
    assert loaded_cleanly(page)


def stroke_points(box, points):
    """Canvas-relative points (0..1) in page coordinates."""
    return [(box["x"] + x * box["width"], box["y"] + y * box["height"]) for x, y in points]


def test_drawing_with_pointer_events_shows_a_prediction_while_drawing(open_page):
    page = open_try_page(open_page)
    app, status = page.locator("#try-app"), page.locator(".try-status")
    box = page.locator(".try-canvas").bounding_box()
    # A mouse: a vertical stroke, a 1. The prediction appears before the button is released.
    points = stroke_points(box, [(0.5, 0.15 + 0.05 * i) for i in range(15)])
    page.mouse.move(*points[0])
    page.mouse.down()
    for point in points[1:]:
        page.mouse.move(*point, steps=2)
    page.wait_for_function("document.getElementById('try-app').dataset.prediction !== ''")
    page.mouse.up()
    assert app.get_attribute("data-prediction") == "1"
    assert status.inner_text().startswith("The network reads a 1")
    assert page.locator(".try-answer").inner_text() == "1"
    seen = page.evaluate("""() => { const c = document.querySelector('.try-input');
        return Array.from(c.getContext('2d').getImageData(0, 0, 28, 28).data).filter((v, i) => i % 4 === 0); }""")
    assert max(seen) == 255 and sum(v > 0 for v in seen) > 20  # the 28x28 input is shown
    page.click("[data-action=clear]")
    assert app.get_attribute("data-prediction") == "" and status.inner_text() == "Nothing drawn yet."
    # A pen and a finger, as synthetic pointer events: a horizontal stroke then a vertical one.
    for kind, path in (("pen", [(0.2 + 0.04 * i, 0.5) for i in range(15)]),
                       ("touch", [(0.5, 0.2 + 0.04 * i) for i in range(15)])):
        page.evaluate("""([kind, points]) => {
            const canvas = document.querySelector('.try-canvas');
            const send = (type, [x, y]) => canvas.dispatchEvent(new PointerEvent(type, {pointerId: 7,
                pointerType: kind, isPrimary: true, clientX: x, clientY: y, button: 0, buttons: 1, bubbles: true}));
            send('pointerdown', points[0]);
            points.slice(1).forEach((point) => send('pointermove', point));
            send('pointerup', points[points.length - 1]);
        }""", [kind, stroke_points(box, path)])
        assert app.get_attribute("data-prediction") != ""
    assert re.match(r"The network reads an? \d ", status.inner_text())
    assert page.evaluate("getComputedStyle(document.querySelector('.try-canvas')).touchAction") == "none"
    assert loaded_cleanly(page)


def test_keyboard_and_the_test_digit_button(open_page, export):
    _, _, _, labels, _ = export
    page = open_try_page(open_page)
    app, status, note = page.locator("#try-app"), page.locator(".try-status"), page.locator(".try-note")
    assert page.locator(".try-status").get_attribute("role") == "status"  # a live region
    for selector in ("[data-action=digit]", "[data-action=clear]"):
        assert page.locator(selector).is_enabled()
    page.focus(".try-canvas")
    page.keyboard.press("t")
    page.wait_for_function("document.querySelector('.try-note').textContent !== ''")
    assert f"labelled {labels[0]}" in note.inner_text()
    assert re.match(f"The network reads an? {app.get_attribute('data-prediction')} ", status.inner_text())
    assert f"MNIST labels this test digit {labels[0]}" in status.inner_text()
    page.keyboard.press("c")
    assert app.get_attribute("data-prediction") == "" and note.inner_text() == ""
    # Tab reaches the buttons; Enter presses them.
    page.focus(".try-canvas")
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.dataset.action") == "digit"
    page.keyboard.press("Enter")
    page.wait_for_function("document.querySelector('.try-note').textContent.includes('image 2 ')")
    assert f"labelled {labels[1]}" in note.inner_text()
    # Most test digits, enlarged onto the canvas, are still read as their label.
    correct = 0
    for index in range(2, 22):
        page.click("[data-action=digit]")
        page.wait_for_function("(n) => document.querySelector('.try-note').textContent.includes(`image ${n} `)",
                               arg=index + 1)
        correct += app.get_attribute("data-prediction") == str(labels[index])
    assert correct >= 17
    assert loaded_cleanly(page)


def test_phone_screen_and_dark_mode(open_page):
    page = open_try_page(open_page)
    page.set_viewport_size({"width": 360, "height": 740})
    assert page.evaluate("document.documentElement.scrollWidth <= innerWidth")  # no sideways scrolling
    box = page.locator(".try-canvas").bounding_box()
    assert box["x"] >= 0 and box["x"] + box["width"] <= 360 and box["width"] >= 200
    ink = """() => { const c = document.querySelector('.try-canvas'), d = c.getContext('2d')
        .getImageData(0, 0, c.width, c.height).data; for (let i = 3; i < d.length; i += 4)
        if (d[i] === 255) return [d[i - 3], d[i - 2], d[i - 1]]; return null; }"""
    theme_ink = """() => getComputedStyle(document.querySelector('.try-canvas')).color.match(/[\\d.]+/g)
        .slice(0, 3).map(Number)"""
    page.evaluate("document.body.setAttribute('data-md-color-scheme', 'default')")
    page.click("[data-action=digit]")
    page.wait_for_function("document.querySelector('.try-note').textContent !== ''")
    light = page.evaluate(ink)
    assert np.abs(np.subtract(light, page.evaluate(theme_ink))).max() <= 1
    page.evaluate("document.body.setAttribute('data-md-color-scheme', 'slate')")
    page.wait_for_function(f"JSON.stringify(({ink})()) !== JSON.stringify({light})")
    dark = page.evaluate(ink)
    assert np.abs(np.subtract(dark, page.evaluate(theme_ink))).max() <= 1  # the ink follows the theme
    assert np.abs(np.subtract(dark, light)).max() > 100
    assert loaded_cleanly(page)
