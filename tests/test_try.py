"""docs/try.md: the int8 format (snippets/int8.py), the site's export (snippets/export.py)
and the page in a browser.
"""

import base64
import importlib
import json
import re
import shutil
from decimal import ROUND_HALF_UP, Decimal

import numpy as np
import pytest
import tensorflow as tf
from conftest import csp_violations
from PIL import Image

import snippets.data
from figures._preprocessing import (
    handwritten,
    on_paper,
    uneven_paper,
    with_specks,
)
from helpers import check_figures, one_line_error, page_url, run_command
from snippets.checkpoint import save_model
from snippets.config import Architecture
from snippets.export import (
    BEST_NETWORK,
    best_network,
    compare,
    read_best_network,
    save_best_network,
    tensorflow_probabilities,
)
from snippets.int8 import (
    DIGITS_FILE,
    HEADER_FILE,
    REFERENCE_FILE,
    WEIGHTS_FILE,
    ExportError,
    dequantise,
    forward,
    model_layers,
    quantise,
    read_export,
    write_export,
)
from snippets.mlp import MLP
from snippets.mnist_files import load_mnist
from snippets.predict import (
    INK,
    SPECKS,
    STROKES,
    ImageError,
    digit_box,
    load_digit,
    mnist_style,
    prepare,
    stroke_width,
)
from snippets.train import TrainConfig, train
from snippets.uncertainty import wilson_interval


@pytest.fixture(scope="module")
def trained():
    """784-256-10 trained for 2 epochs on 20,000 images: about the course's network, quickly."""
    from snippets.data import load_dataset

    data = load_dataset(validation_size=2000, limit=20000)
    return train(
        TrainConfig(epochs=2, patience=2), data=data, log=lambda message: None
    ).model, data


def small_export(folder, seed=0, hidden=(16,)):
    model = MLP(hidden=hidden, seed=seed)
    digits = np.arange(3 * 28 * 28, dtype=np.uint8).reshape(3, 28, 28)
    header = write_export(
        folder,
        {"plain": {"layers": model_layers(model), "title": "test"}},
        digits,
        np.array([1, 2, 3], np.uint8),
    )
    return model, header


def test_quantisation_round_trip_is_within_half_a_step():
    rng = np.random.default_rng(0)
    weights = rng.normal(0, 0.05, (784, 256)).astype(np.float32)
    weights[:, 3] *= (
        100  # one unit with much larger weights must not cost the others precision
    )
    weights[:, 7] = 0  # a unit whose weights are all zero
    q, scales = quantise(weights)
    assert (
        q.dtype == np.int8
        and scales.dtype == np.float32
        and scales.shape == (256,)
    )
    assert (
        np.abs(q).max() == 127 and q.min() >= -127
    )  # symmetric: -128 is never used
    error = np.abs(dequantise(q, scales) - weights)
    # half a step, plus the float32 rounding of computing w / scale and q * scale
    assert np.all(
        error <= scales / 2 + np.finfo(np.float32).eps * np.abs(weights)
    )
    assert np.all(q[:, 7] == 0) and np.all(dequantise(q, scales)[:, 7] == 0)
    # per column: every non-zero column uses the full range, including the small ones
    assert np.all(np.abs(q).max(axis=0)[np.arange(256) != 7] == 127)
    # and the scale is the column's largest weight over 127
    np.testing.assert_allclose(
        scales[3], np.abs(weights[:, 3]).max() / 127, rtol=1e-6
    )


def test_hidden_layers_are_int8_and_the_output_layer_float32():
    model = MLP(hidden=(32, 16))
    layers = model_layers(model)
    assert [name for name, *_ in layers] == ["hidden_1", "hidden_2", "out"]
    assert [weights.dtype for _, weights, _, _ in layers] == [
        np.int8,
        np.int8,
        np.float32,
    ]
    _name, weights, scales, _bias = layers[-1]
    assert np.array_equal(weights, model.weights["out"].numpy()) and np.all(
        scales == 1
    )


def test_numpy_forward_is_the_tensorflow_model_on_the_dequantised_weights():
    model = MLP(hidden=(64, 32), seed=3)
    layers = model_layers(model)
    for name, weights, scales, bias in layers:
        model.weights[name].assign(dequantise(weights, scales))
    x = tf.random.stateless_uniform([50, 784], seed=[4, 5]).numpy()
    np.testing.assert_allclose(
        forward(layers, x), tensorflow_probabilities(model, x), atol=1e-6
    )


def test_write_then_read_gives_back_every_tensor(tmp_path):
    model, header = small_export(tmp_path)
    read_header, models, digits, labels = read_export(tmp_path)
    assert (
        read_header
        == header
        == json.loads((tmp_path / HEADER_FILE).read_text())
    )
    assert header["format"] == "deep-nets-tested/mlp-int8" and header[
        "models"
    ]["plain"]["sizes"] == [784, 16, 10]
    for (name, *written), (read_name, *read) in zip(
        model_layers(model), models["plain"]
    ):
        assert name == read_name
        for a, b in zip(written, read):
            assert a.dtype == b.dtype and np.array_equal(a, b)
    assert digits.shape == (3, 28, 28) and labels.tolist() == [1, 2, 3]
    for entries in header["models"]["plain"]["layers"]:
        for entry in (entries["weights"], entries["scales"], entries["bias"]):
            assert (
                entry["offset"] % 4 == 0
            )  # so that the page can view float32 tensors in place
    assert not list(tmp_path.glob(".*.tmp"))  # no temporary file left behind


@pytest.mark.parametrize(
    "damage", ["flip a byte", "truncate", "delete", "other export"]
)
def test_a_damaged_binary_is_refused(tmp_path, damage):
    small_export(tmp_path / "a")
    path = tmp_path / "a" / WEIGHTS_FILE
    data = bytearray(path.read_bytes())
    if damage == "flip a byte":
        data[len(data) // 2] ^= 1
        path.write_bytes(bytes(data))
    elif damage == "truncate":
        path.write_bytes(bytes(data[:-4]))
    elif damage == "delete":
        path.unlink()
    else:  # a binary of another export next to this header: what a half-finished overwrite looks like
        small_export(tmp_path / "b", seed=1)
        shutil.copy(tmp_path / "b" / WEIGHTS_FILE, path)
    with pytest.raises(ExportError, match="damaged|missing"):
        read_export(tmp_path / "a")


def test_a_missing_or_foreign_header_is_refused(tmp_path):
    with pytest.raises(ExportError, match="holds no export.json"):
        read_export(tmp_path)
    small_export(tmp_path)
    header = json.loads((tmp_path / HEADER_FILE).read_text())
    (tmp_path / HEADER_FILE).write_text(json.dumps(dict(header, version=99)))
    with pytest.raises(ExportError, match="version 1"):
        read_export(tmp_path)
    (tmp_path / HEADER_FILE).write_text("{not json")
    with pytest.raises(ExportError, match="not valid JSON"):
        read_export(tmp_path)


def test_the_export_agrees_with_tensorflow_on_the_whole_test_set(trained):
    model, data = trained
    layers = model_layers(model)
    scores = compare(layers, model, data.test_x, data.test_y)
    print(
        f"export accuracy {scores['test_accuracy']:.4f}, TensorFlow {scores['tensorflow_test_accuracy']:.4f}, "
        f"agreement {scores['agreement_with_tensorflow']:.4%}, "
        f"largest probability difference {scores['max_probability_difference']:.4f}"
    )
    assert scores["test_images"] == 10000
    assert scores["agreement_with_tensorflow"] >= 0.995
    assert scores["max_probability_difference"] < 0.02
    assert (
        abs(scores["test_accuracy"] - scores["tensorflow_test_accuracy"])
        <= 0.005
    )
    assert scores["test_accuracy"] > 0.9
    # the reported accuracy is the accuracy of what was exported
    labels = np.argmax(data.test_y, axis=1)
    assert scores["test_accuracy"] == np.mean(
        np.argmax(forward(layers, data.test_x), axis=1) == labels
    )


def test_the_command_exports_both_models_and_reports_their_accuracy(tmp_path):
    result = run_command(
        "export", "--output", str(tmp_path), "--epochs", "1", "--limit", "5000"
    )
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout.strip().splitlines()[-1])
    header, models, digits, labels = read_export(tmp_path)
    assert (
        list(models) == list(report["models"]) == ["best", "plain", "dropout"]
    )  # the best one first
    # the committed best network's int8 weights and the two small ones, under the page's budget
    assert report["files"][WEIGHTS_FILE] < 2_500_000
    assert (
        header["models"]["best"]["title"]
        == "784-1024-1024-10, the best preset"
    )
    assert (
        header["models"]["best"]["training"]["read_from"]
        == "snippets/best_network"
    )
    assert header["models"]["best"]["other_digits"] == 1500
    assert (
        header["models"]["best"]["other_digits_accuracy"]
        > header["models"]["plain"]["other_digits_accuracy"]
    )
    assert digits.shape == (200, 28, 28) and labels.shape == (200,)
    from snippets.data import load_dataset
    from snippets.mnist_files import load_mnist

    _, (test_images, test_labels) = load_mnist()
    assert np.array_equal(digits, test_images[:200]) and np.array_equal(
        labels, test_labels[:200]
    )
    data = load_dataset(limit=1)
    for key, layers in models.items():
        accuracy = np.mean(
            np.argmax(forward(layers, data.test_x), 1)
            == np.argmax(data.test_y, 1)
        )
        assert (
            report["models"][key]["test_accuracy"]
            == header["models"][key]["test_accuracy"]
            == accuracy
        )
        assert report["models"][key]["agreement_with_tensorflow"] >= 0.995
        assert f"export accuracy {accuracy:.4f}" in result.stdout
    assert (
        header["models"]["dropout"]["title"]
        == "784-256-10 with dropout (keep_prob 0.5)"
    )
    reference = json.loads((tmp_path / REFERENCE_FILE).read_text())
    assert np.array(reference["models"]["plain"]).shape == (200, 10)
    assert (tmp_path / DIGITS_FILE).stat().st_size == header["files"][
        DIGITS_FILE
    ]["bytes"]


def test_the_committed_best_network_is_todays_best_preset_and_a_changed_one_is_refused(
    tmp_path,
):
    entry, layers, model = read_best_network()
    assert (
        Architecture(**entry["architecture"]),
        entry["training"],
    ) == best_network()
    assert model.hidden == (1024, 1024) and [name for name, *_ in layers] == [
        "hidden_1",
        "hidden_2",
        "out",
    ]
    assert (
        "hidden" not in entry["training"]
    )  # the widths are the architecture's alone
    for name in (HEADER_FILE, WEIGHTS_FILE, DIGITS_FILE):
        shutil.copy(BEST_NETWORK / name, tmp_path / name)
    header = json.loads((tmp_path / HEADER_FILE).read_text())
    best = header["models"]["best"]
    for changed, fragment in [
        (
            dict(best, architecture=dict(best["architecture"], hidden=[1024])),
            "other settings",
        ),
        (
            dict(best, training=dict(best["training"], epochs=1)),
            "other settings",
        ),
        (
            {
                key: value
                for key, value in best.items()
                if key != "architecture"
            },
            "records no architecture",
        ),
        (
            dict(
                best, architecture=dict(best["architecture"], hidden=[10**6])
            ),
            "records no architecture",
        ),
    ]:
        (tmp_path / HEADER_FILE).write_text(
            json.dumps(dict(header, models={"best": changed}))
        )
        with pytest.raises(ExportError, match=fragment) as refused:
            read_best_network(tmp_path)
        assert "\n" not in str(refused.value)


def test_only_a_run_of_todays_best_preset_becomes_the_best_network(tmp_path):
    save_model(MLP(hidden=(8,)), tmp_path / "run")
    with pytest.raises(
        ExportError, match="not trained with today's best preset and seed 0"
    ):
        save_best_network(tmp_path / "run", tmp_path / "best")
    assert not (tmp_path / "best").exists()


@pytest.mark.parametrize(
    "arguments, message",
    [
        (["--epochs", "0"], "--epochs: must be at least 1"),
        (["--limit", "many"], "--limit: expected a whole number"),
        (["--output", "/dev/null/export"], "Not a directory"),
        (["--from", "no/such/run", "--output", "unused"], "does not exist"),
        ([], "the following arguments are required: --output"),
    ],
)
def test_bad_input_gets_one_line_and_a_non_zero_exit(
    tmp_path, monkeypatch, arguments, message
):
    monkeypatch.chdir(tmp_path)
    refuse_to_load_data(monkeypatch)  # refused first, not after a wait
    completed = run_command("export", *arguments)
    assert completed.returncode != 0
    assert message in completed.stderr and one_line_error(completed.stderr)


def test_the_plain_model_can_come_from_a_saved_run(tmp_path):
    model = MLP(hidden=(8,), seed=5)
    save_model(model, tmp_path / "run")
    completed = run_command(
        "export",
        "--from",
        tmp_path / "run",
        "--no-best",
        "--no-dropout",
        "--output",
        tmp_path / "out",
    )
    assert completed.returncode == 0, completed.stderr
    header, models, _, _ = read_export(tmp_path / "out")
    assert list(models) == ["plain"]
    assert header["models"]["plain"]["training"] == {
        "restored_from": str(tmp_path / "run")
    }
    # the saved network's own weights, not one trained here
    expected = model_layers(model)
    assert [layer[0] for layer in models["plain"]] == [
        layer[0] for layer in expected
    ]
    for exported, saved in zip(models["plain"], expected, strict=True):
        for got, want in zip(exported[1:], saved[1:], strict=True):
            np.testing.assert_array_equal(got, want)


def refuse_to_load_data(monkeypatch):
    def load_dataset(*args, **kwargs):
        raise AssertionError("the export loaded MNIST before it refused")

    monkeypatch.setattr(snippets.data, "load_dataset", load_dataset)


def test_a_run_the_page_cannot_show_is_refused_before_any_data_is_loaded(
    tmp_path, monkeypatch
):
    save_model(MLP(hidden=(8,), n_inputs=4, n_classes=3), tmp_path / "run")
    refuse_to_load_data(monkeypatch)
    completed = run_command(
        "export", "--from", tmp_path / "run", "--output", tmp_path / "out"
    )
    assert completed.returncode != 0 and one_line_error(completed.stderr)
    assert '"n_inputs" must be 784' in completed.stderr


PAGE = page_url("try.md")


EXPORT = "generated/try"


@pytest.fixture(scope="module")
def export(built_site):
    folder = built_site / EXPORT
    if not (folder / HEADER_FILE).is_file():
        pytest.fail(
            f"the built site has no {EXPORT}/{HEADER_FILE}: run `python -m snippets export --output "
            f"docs/{EXPORT}` before `mkdocs build`",
            pytrace=False,
        )
    header, models, digits, labels = read_export(
        folder
    )  # also checks every SHA-256
    reference = json.loads((folder / REFERENCE_FILE).read_text())
    return (
        header,
        models,
        digits,
        labels,
        {key: np.array(p) for key, p in reference["models"].items()},
    )


def open_try_page(open_page):
    page = open_page(PAGE)
    # fails here if the export did not load; `true`, not the ready API itself, comes
    # back: Playwright would copy every weight of the networks into Python
    page.evaluate("() => DeepNetsTry.ready.then(() => true)")
    assert page.get_attribute("#try-app", "data-state") == "ready"
    return page


def loaded_cleanly(page):
    assert page.external_requests == [], (
        f"requests to other hosts: {page.external_requests}"
    )
    assert page.console_errors == [], f"console errors: {page.console_errors}"
    assert csp_violations(page) == [], (
        "the page's Content-Security-Policy was violated"
    )
    return True


def classify(page, images):
    """Run uint8 grey images through the page's canvas path (sent as base64: long lists are slow)."""
    return page.evaluate(
        """(images) => images.map(({pixels, width, height}) => {
        const bytes = Uint8Array.from(atob(pixels), (c) => c.charCodeAt(0));
        const grey = Float32Array.from(bytes, (v) => v / 255);  // as the canvas does with its alpha
        return DeepNetsTry.classify(grey, width, height);
    })""",
        [
            {
                "pixels": base64.b64encode(
                    np.ascontiguousarray(image, np.uint8).tobytes()
                ).decode(),
                "width": image.shape[1],
                "height": image.shape[0],
            }
            for image in images
        ],
    )


def as_try_js_writes(fraction):
    """A fraction as a percentage with one decimal, as try.js's toFixed(1) writes it: an exact
    tie (0.9925 becomes 99.25) rounds up there, where Python's format rounds it to even."""
    return str(
        Decimal(100 * fraction).quantize(
            Decimal("0.1"), rounding=ROUND_HALF_UP
        )
    )


def test_the_page_loads_the_export_and_nothing_from_elsewhere(
    open_page, export
):
    header, *_ = export
    page = open_try_page(open_page)
    captions = page.locator(".try-chart figcaption").all_inner_texts()
    assert len(captions) == len(header["models"]) == 3
    for caption, model in zip(captions, header["models"].values()):
        assert caption.startswith(model["title"])
        # measured, not typed, each with its Wilson interval as snippets/uncertainty.py computes it
        for accuracy, n, what in [
            (
                model["test_accuracy"],
                10_000,
                "of the 10,000 MNIST test digits right",
            ),
            (
                model["other_digits_accuracy"],
                1_500,
                "of 1,500 digits from handwriting fonts",
            ),
        ]:
            shown = re.search(
                rf"([\d.]+) % \(([\d.]+)-([\d.]+) %\) {what}", caption
            )
            assert shown, caption
            assert shown.group(1) == as_try_js_writes(accuracy)
            low, high = wilson_interval(round(accuracy * n), n)
            assert (
                abs(float(shown.group(2)) - 100 * low) <= 0.051
                and abs(float(shown.group(3)) - 100 * high) <= 0.051
            )
    sizes = page.evaluate("""() => Object.fromEntries(performance.getEntriesByType("resource")
        .concat(performance.getEntriesByType("navigation")).map((e) => [e.name, e.encodedBodySize]))""")
    weights = [
        size
        for url, size in sizes.items()
        if url.endswith(f"{EXPORT}/{WEIGHTS_FILE}")
    ]
    assert (
        weights == [header["files"][WEIGHTS_FILE]["bytes"]]
        and weights[0] < 2_500_000
    )
    assert not any(
        url.endswith(DIGITS_FILE) for url in sizes
    )  # fetched only when a test digit is asked for
    print(
        f"\n{PAGE}: {len(sizes)} files, {sum(sizes.values()):,} bytes in all; weights {weights[0]:,} bytes"
    )
    assert loaded_cleanly(page)


def unlike_mnist():
    """White-on-black uint8 drawings that take every step of mnist_style: strokes widened
    (a fine pen on a large picture, more than a hundred pixels of reach) and thinned (a
    marker), specks left out of the crop, and two dots whose centre of mass is a tie
    that only exact sums settle."""
    rng = np.random.default_rng(1)
    images = [
        handwritten(2, (900, 900), (100, 60, 700, 780), 1.2),
        handwritten(8, (300, 300), (50, 40, 200, 220), 46),
        1
        - with_specks(1 - handwritten(0, (300, 300), (80, 60, 150, 190), 16)),
    ]
    for seed in range(24):
        height, width = (int(n) for n in rng.integers(20, 400, 2))
        box = (
            int(rng.integers(-5, width // 3)),
            int(rng.integers(-5, height // 3)),
            int(rng.integers(5, width)),
            int(rng.integers(5, height)),
        )
        drawn = handwritten(
            int(rng.choice([0, 2, 3, 4, 5, 7, 8, 9])),
            (height, width),
            box,
            float(rng.choice([0.7, 1.5, 4, 12, 40])),
            turn=float(rng.normal(0, 20)),
            seed=seed,
        ) * rng.uniform(0.3, 1)
        images.append(
            1
            - with_specks(1 - drawn, seed=seed, count=int(rng.integers(0, 4)))
        )
    images = [np.round(image * 255).astype(np.uint8) for image in images]
    tie = np.zeros((3, 2), np.uint8)
    tie[0, 0] = tie[2, 1] = 25
    return images + [tie]


def test_the_page_prepares_images_exactly_as_mnist_style(open_page, export):
    _, _, digits, _, _ = export
    _, (test_images, _) = load_mnist()
    rng = np.random.default_rng(0)
    images = list(digits)  # 28x28 MNIST digits: mostly no resampling at all
    # Drawing-sized images (the digit enlarged, shifted, stretched), small ones that must be
    # enlarged, and tall ones, which Pillow resamples column first.
    for index, digit in enumerate(test_images[200:260]):
        if index % 3 == 0:
            height, width = (
                int(rng.integers(60, 280)),
                int(rng.integers(40, 280)),
            )
        elif index % 3 == 1:
            height, width = int(rng.integers(4, 18)), int(rng.integers(4, 18))
        else:
            height, width = (
                int(rng.integers(120, 280)),
                int(rng.integers(20, 60)),
            )
        stretched = np.asarray(
            Image.fromarray(digit).resize((width, height), Image.BILINEAR)
        )
        canvas = np.zeros((height + 30, width + 30), np.uint8)
        top, left = rng.integers(0, 30, 2)
        canvas[top : top + height, left : left + width] = stretched
        images.append(canvas)
    images.append(np.zeros((50, 50), np.uint8))  # blank stays blank
    images += unlike_mnist()
    page = open_try_page(open_page)
    assert page.evaluate("[DeepNetsTry.SPECKS, DeepNetsTry.STROKES]") == [
        SPECKS,
        list(STROKES),
    ]
    results = classify(page, images)
    for number, (image, result) in enumerate(zip(images, results)):
        expected = mnist_style(image.astype(np.float32) / 255).ravel()
        assert np.array_equal(
            np.array(result["input"], np.float32), expected
        ), (
            f"image {number} ({image.shape[1]}x{image.shape[0]}): the page's 28x28 input differs from mnist_style's"
        )
    assert loaded_cleanly(page)


def test_the_page_predicts_what_tensorflow_predicts(open_page, export):
    _, models, digits, _, reference = export
    page = open_try_page(open_page)
    results = classify(page, digits)
    styled = np.stack(
        [mnist_style(digit.astype(np.float32) / 255) for digit in digits]
    )
    assert len(results) == len(digits) >= 200
    for key, tensorflow in reference.items():
        browser = np.array(
            [result["probabilities"][key] for result in results]
        )
        same_digit = np.mean(browser.argmax(1) == tensorflow.argmax(1))
        largest_difference = np.abs(browser - tensorflow).max()
        print(
            f"\n{key}: the page's digit is TensorFlow's for {same_digit:.1%} of {len(digits)} test digits; "
            f"probabilities within {largest_difference:.5f}"
        )
        assert same_digit >= 0.99
        assert largest_difference <= 0.01
        # and the page computes exactly the documented format (snippets.int8.forward)
        np.testing.assert_allclose(
            browser, forward(models[key], styled), atol=1e-5
        )
    assert loaded_cleanly(page)


def stroke_points(box, points):
    """Canvas-relative points (0..1) in page coordinates."""
    return [
        (box["x"] + x * box["width"], box["y"] + y * box["height"])
        for x, y in points
    ]


def test_drawing_with_pointer_events_shows_a_prediction_while_drawing(
    open_page,
):
    page = open_try_page(open_page)
    app, status = page.locator("#try-app"), page.locator(".try-status")
    box = page.locator(".try-canvas").bounding_box()
    # A mouse: a vertical stroke, a 1. The prediction appears before the button is released.
    points = stroke_points(box, [(0.5, 0.15 + 0.05 * i) for i in range(15)])
    page.mouse.move(*points[0])
    page.mouse.down()
    for point in points[1:]:
        page.mouse.move(*point, steps=2)
    page.wait_for_function(
        "() => document.getElementById('try-app').dataset.prediction !== ''"
    )
    page.mouse.up()
    assert app.get_attribute("data-prediction") == "1"
    assert status.inner_text().startswith("The network reads a 1")
    assert page.locator(".try-answer").inner_text() == "1"
    seen = page.evaluate("""() => { const c = document.querySelector('.try-input');
        return Array.from(c.getContext('2d').getImageData(0, 0, 28, 28).data).filter((v, i) => i % 4 === 0); }""")
    assert (
        max(seen) == 255 and sum(v > 0 for v in seen) > 20
    )  # the 28x28 input is shown
    page.click("[data-action=clear]")
    assert (
        app.get_attribute("data-prediction") == ""
        and status.inner_text() == "Nothing drawn yet."
    )
    # Clicking the button may have scrolled the page: the canvas's place on screen is read again.
    box = page.locator(".try-canvas").bounding_box()
    # A pen and a finger, as synthetic pointer events: a horizontal stroke then a vertical one.
    for kind, path in (
        ("pen", [(0.2 + 0.04 * i, 0.5) for i in range(15)]),
        ("touch", [(0.5, 0.2 + 0.04 * i) for i in range(15)]),
    ):
        page.evaluate(
            """([kind, points]) => {
            const canvas = document.querySelector('.try-canvas');
            const send = (type, [x, y]) => canvas.dispatchEvent(new PointerEvent(type, {pointerId: 7,
                pointerType: kind, isPrimary: true, clientX: x, clientY: y, button: 0, buttons: 1, bubbles: true}));
            send('pointerdown', points[0]);
            points.slice(1).forEach((point) => send('pointermove', point));
            send('pointerup', points[points.length - 1]);
        }""",
            [kind, stroke_points(box, path)],
        )
        assert app.get_attribute("data-prediction") != ""
    assert re.match(r"The network reads an? \d ", status.inner_text())
    assert (
        page.evaluate(
            "getComputedStyle(document.querySelector('.try-canvas')).touchAction"
        )
        == "none"
    )
    assert loaded_cleanly(page)


def test_keyboard_and_the_test_digit_button(open_page, export):
    _, _, _, labels, _ = export
    page = open_try_page(open_page)
    app, status, note = (
        page.locator("#try-app"),
        page.locator(".try-status"),
        page.locator(".try-note"),
    )
    assert (
        page.locator(".try-status").get_attribute("role") == "status"
    )  # a live region
    for selector in ("[data-action=digit]", "[data-action=clear]"):
        assert page.locator(selector).is_enabled()
    page.focus(".try-canvas")
    page.keyboard.press("t")
    page.wait_for_function(
        "() => document.querySelector('.try-note').textContent !== ''"
    )
    assert f"labelled {labels[0]}" in note.inner_text()
    assert re.match(
        f"The network reads an? {app.get_attribute('data-prediction')} ",
        status.inner_text(),
    )
    assert f"MNIST labels this test digit {labels[0]}" in status.inner_text()
    page.keyboard.press("c")
    assert (
        app.get_attribute("data-prediction") == "" and note.inner_text() == ""
    )
    # Tab reaches the buttons; Enter presses them.
    page.focus(".try-canvas")
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.dataset.action") == "digit"
    page.keyboard.press("Enter")
    page.wait_for_function(
        "() => document.querySelector('.try-note').textContent.includes('image 2 ')"
    )
    assert f"labelled {labels[1]}" in note.inner_text()
    # Most test digits, enlarged onto the canvas, are still read as their label.
    correct = 0
    for index in range(2, 22):
        page.click("[data-action=digit]")
        page.wait_for_function(
            "(n) => document.querySelector('.try-note').textContent.includes(`image ${n} `)",
            arg=index + 1,
        )
        correct += app.get_attribute("data-prediction") == str(labels[index])
    assert correct >= 17
    assert loaded_cleanly(page)


def test_phone_screen_and_dark_mode(open_page):
    page = open_try_page(open_page)
    page.set_viewport_size({"width": 360, "height": 740})
    assert page.evaluate(
        "document.documentElement.scrollWidth <= innerWidth"
    )  # no sideways scrolling
    box = page.locator(".try-canvas").bounding_box()
    assert (
        box["x"] >= 0
        and box["x"] + box["width"] <= 360
        and box["width"] >= 200
    )
    ink = """() => { const c = document.querySelector('.try-canvas'), d = c.getContext('2d')
        .getImageData(0, 0, c.width, c.height).data; for (let i = 3; i < d.length; i += 4)
        if (d[i] === 255) return [d[i - 3], d[i - 2], d[i - 1]]; return null; }"""
    theme_ink = """() => getComputedStyle(document.querySelector('.try-canvas')).color.match(/[\\d.]+/g)
        .slice(0, 3).map(Number)"""
    page.evaluate(
        "document.body.setAttribute('data-md-color-scheme', 'default')"
    )
    page.click("[data-action=digit]")
    page.wait_for_function(
        "() => document.querySelector('.try-note').textContent !== ''"
    )
    light = page.evaluate(ink)
    assert np.abs(np.subtract(light, page.evaluate(theme_ink))).max() <= 1
    page.evaluate(
        "document.body.setAttribute('data-md-color-scheme', 'slate')"
    )
    page.wait_for_function(
        f"() => JSON.stringify(({ink})()) !== JSON.stringify({light})"
    )
    dark = page.evaluate(ink)
    assert (
        np.abs(np.subtract(dark, page.evaluate(theme_ink))).max() <= 1
    )  # the ink follows the theme
    assert np.abs(np.subtract(dark, light)).max() > 100
    assert loaded_cleanly(page)


# Preparing a picture (snippets/predict.py) ----------------------------------------------------


def digit_size(pixels):
    """Rows and columns of the box around the ink of a 28x28 input."""
    rows, cols = np.nonzero(pixels > INK)
    return rows.max() - rows.min() + 1, cols.max() - cols.min() + 1


def centre(pixels):
    return (np.indices(pixels.shape) * pixels).reshape(2, -1).sum(
        axis=1
    ) / pixels.sum()


def fitted_width(pixels):
    """The strokes' mean width in a 28x28 input, in pixels of MNIST's 20x20 box."""
    return stroke_width(np.round(pixels * 255).astype(np.uint8))


def looks_like_mnist(pixels):
    """Fitted into 20x20 and centred by mass, as far as whole pixels allow."""
    return (
        max(digit_size(pixels)) == 20
        and np.abs(centre(pixels) - 14).max() <= 0.51
    )


def test_a_picture_already_28x28_is_fitted_and_centred_too(tmp_path):
    """A 28x28 file used to go to the network as it was: a 7 in a corner was read as a 6."""
    Image.fromarray(
        np.uint8(255 * handwritten(7, (28, 28), (1, 1, 12, 14), 2.0))
    ).save(tmp_path / "7.png")
    pixels, notes = load_digit(tmp_path / "7.png")
    assert looks_like_mnist(pixels)
    assert notes == ["digit fitted in 20x20 and centred, as in MNIST"]


def test_grey_uneven_paper_is_taken_away():
    """A phone's photo: the paper grey and brighter on one side, with the camera's noise.
    Everything above INK used to be ink, the whole page with it."""
    written = handwritten(9, (400, 300), (70, 90, 160, 220), 12)
    on_grey, notes = prepare(
        on_paper(written, uneven_paper(written.shape), darkness=0.7)
    )
    on_white, _ = prepare(on_paper(written, darkness=0.7))
    assert "took away the paper's own shade" in notes
    assert looks_like_mnist(on_grey) and digit_size(on_grey) == digit_size(
        on_white
    )
    assert np.count_nonzero(on_grey) <= 1.1 * np.count_nonzero(
        on_white
    )  # no paper left


def test_dark_ink_on_dim_paper_is_found():
    """Paper in dim light is darker than mid-grey: the ink is the shade furthest from the
    paper's, not whatever is darker than a fixed level."""
    written = handwritten(5, (300, 300), (70, 50, 160, 200), 18)
    dim, notes = prepare(on_paper(written, paper=0.4, darkness=0.8))
    white, _ = prepare(on_paper(written))
    assert notes[0] == "inverted (dark digit on a light background)"
    assert np.abs(dim - white).max() <= 2 / 255


def test_specks_are_left_out_of_the_crop():
    """Specks of dust near the page's edges used to stretch the crop, and the digit shrank."""
    clean = on_paper(handwritten(0, (300, 300), (80, 60, 150, 190), 16))
    specked = with_specks(clean)
    assert digit_box(1 - specked) == digit_box(1 - clean)
    assert np.array_equal(prepare(specked)[0], prepare(clean)[0])


def test_a_fine_pen_on_a_large_picture_keeps_its_strokes():
    """A 1-pixel line, shrunk 40 times, faded to nearly nothing; it is widened first."""
    box = (100, 60, 700, 780)
    fine, _ = prepare(on_paper(handwritten(2, (900, 900), box, 1.2)))
    marker, _ = prepare(on_paper(handwritten(2, (900, 900), box, 60)))
    assert looks_like_mnist(fine)
    assert fitted_width(fine) >= STROKES[0] - 0.2
    assert fine.sum() >= 0.8 * marker.sum()


def test_a_thick_marker_is_thinned_to_mnists_width():
    pixels, _ = prepare(handwritten(8, (300, 300), (50, 40, 200, 220), 46))
    assert looks_like_mnist(pixels)
    assert STROKES[0] <= fitted_width(pixels) <= STROKES[1] + 0.2


def test_strokes_are_the_10th_to_90th_percentile_of_mnists():
    (train_images, _), _ = load_mnist()
    ink = np.pad(train_images.astype(np.int64), ((0, 0), (1, 1), (1, 1)))
    edges = sum(
        np.abs(np.diff(ink, axis=axis)).sum(axis=(1, 2)) for axis in (1, 2)
    )
    widths = (
        2 * ink.sum(axis=(1, 2)) / edges
    )  # stroke_width of every training digit at once
    assert widths[7] == stroke_width(train_images[7])
    assert tuple(np.percentile(widths, [10, 90]).round(2)) == STROKES


def test_mnist_digits_are_left_nearly_as_they_are():
    """The steps only move a picture towards MNIST: most of MNIST's own digits come out
    unchanged, and none by much."""
    _, (test_images, _) = load_mnist()
    digits = test_images[:1000].astype(np.float32) / 255
    styled = np.stack([mnist_style(digit) for digit in digits])
    assert (
        np.mean([np.array_equal(a, b) for a, b in zip(styled, digits)]) > 0.8
    )
    assert all(
        looks_like_mnist(pixels) or max(digit_size(pixels)) < 20
        for pixels in styled
    )


def test_a_transparent_drawing_is_read_from_its_opacity(tmp_path):
    """A drawing app's PNG: black ink on transparent black pixels, one shade once grey."""
    written = np.uint8(255 * handwritten(3, (120, 100), (20, 15, 60, 90), 6))
    drawing = np.zeros((120, 100, 4), np.uint8)
    drawing[..., 3] = written
    Image.fromarray(drawing).save(tmp_path / "drawing.png")
    Image.fromarray(written).save(tmp_path / "grey.png")
    pixels, notes = load_digit(tmp_path / "drawing.png")
    assert notes[0] == "took the opaque pixels as ink"
    assert np.array_equal(pixels, load_digit(tmp_path / "grey.png")[0])


def test_a_16_bit_scan_is_read_in_full(tmp_path):
    """Pillow's conversion to 8-bit grey clips 16-bit levels at 255: a white page."""
    _, (test_images, _) = load_mnist()
    Image.fromarray(65535 - test_images[0].astype(np.uint16) * 257).save(
        tmp_path / "scan.png"
    )
    assert Image.open(tmp_path / "scan.png").mode == "I;16"
    pixels, notes = load_digit(tmp_path / "scan.png")
    assert notes[0].startswith("inverted")
    assert np.abs(pixels - test_images[0] / 255).max() <= 1 / 255


@pytest.mark.parametrize(
    "picture, fragment",
    [
        (np.full((40, 30), 0.6), "no digit found"),
        (np.ones((1, 1)), "no digit found"),
        (
            np.clip(uneven_paper((300, 400)), 0, 1),
            "no digit found",
        ),  # a photo of blank paper
        (None, "too many pixels"),
    ],
)
def test_a_picture_without_a_digit_gets_one_line(
    tmp_path, monkeypatch, picture, fragment
):
    path = tmp_path / "picture.png"
    if (
        picture is None
    ):  # what a 200-megapixel file would raise, from a small one
        monkeypatch.setattr(Image, "MAX_IMAGE_PIXELS", 100)
        picture = handwritten(7, (60, 60), (10, 10, 40, 40), 4)
    Image.fromarray(np.uint8(255 * picture)).save(path)
    with pytest.raises(ImageError) as error:
        load_digit(path)
    message = str(error.value)
    assert (
        message.startswith(f"{path}: ")
        and fragment in message
        and "\n" not in message
    )


# Figures ------------------------------------------------------------------------------------

try_figures = importlib.import_module("figures.try")  # "try" is a keyword


def test_figures_are_on_the_page_with_alt_text_and_captions():
    figures = check_figures("try", try_figures)
    _, caption = figures["try-weight-errors"]
    epochs = f"{try_figures.EPOCHS} epoch" + (
        "s" if try_figures.EPOCHS > 1 else ""
    )
    assert f"trained for {epochs} on {try_figures.LIMIT:,} images" in caption
    _, caption = figures["try-probabilities"]
    from snippets.export import SHIPPED_DIGITS

    assert (
        f"the first {SHIPPED_DIGITS} test digits, the ones the page ships"
        in caption
    )
    alt, _ = figures["try-probabilities"]
    assert "first two hundred test digits" in alt and SHIPPED_DIGITS == 200


def test_weight_errors_stay_within_half_a_step_spread_evenly_and_tiny_next_to_the_weights(
    drawn,
):
    data = drawn("try-weight-errors")
    weights, errors, steps = data["weights"], data["errors"], data["steps"]
    assert weights.shape == (784, 256) and errors.shape == weights.shape
    assert np.abs(steps).max() <= 0.5 + 1e-4  # "within half a step"
    # "spread evenly": each tenth of the step holds about a tenth of the errors
    counts, _ = np.histogram(steps, bins=10, range=(-0.5, 0.5))
    assert (
        counts.min() > 0.8 * steps.size / 10
        and counts.max() < 1.2 * steps.size / 10
    )
    assert np.abs(errors).max() < 0.01 * np.abs(weights).max()  # "tiny"
    assert data["levels"] > 200  # the columns use nearly all 255 levels


def test_exported_probabilities_follow_tensorflow_within_a_hundredth_and_give_the_same_digits(
    drawn,
):
    data = drawn("try-probabilities")
    exported, original = data["exported"], data["original"]
    assert exported.shape == original.shape == (200, 10)
    assert np.allclose(exported.sum(axis=1), 1, atol=1e-5)
    assert (
        np.abs(exported - original).max() < 0.01 / 2
    )  # "nothing near a hundredth"
    assert np.array_equal(
        exported.argmax(axis=1), original.argmax(axis=1)
    )  # "the same answer"
    assert not np.array_equal(
        exported, original
    )  # the int8 rounding does change them
    assert (
        np.mean(original.argmax(axis=1) == data["labels"]) > 0.7
    )  # a trained network


def test_every_kind_of_picture_comes_out_like_an_mnist_digit(drawn):
    rows = drawn("try-preprocessing")
    assert list(rows) == [
        "thick",
        "thin",
        "off-centre",
        "tilted",
        "tiny",
        "dark on light",
        "grey paper",
        "specks",
    ]  # the kinds the page's prose goes through
    for kind, row in rows.items():
        assert looks_like_mnist(row["pixels"]), kind
        assert (
            STROKES[0] - 0.2 <= fitted_width(row["pixels"]) <= STROKES[1] + 0.2
        ), kind
    assert "took away the paper's own shade" in rows["grey paper"]["notes"]
    assert rows["thin"]["picture"].shape == (900, 900) and rows["tiny"][
        "picture"
    ].shape == (12, 10)
    assert rows["off-centre"]["picture"].shape == (28, 28)


def test_exercises_pass_with_the_worked_solutions_and_give_hints_on_the_starter():
    from helpers import check_exercises

    check_exercises("try")
