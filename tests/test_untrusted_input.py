"""What others hand the project, read safely (issue 27): pictures for `predict`
(snippets/predict.py), run folders and their model.json (snippets/checkpoint.py,
snippets/config.py, snippets/finetune.py), and the trusted-network rule of `train --workers`
(snippets/distributed.py, snippets/cli.py, README.md, docs/distributed.md).

No test here times anything: each checks the mechanism (refused before decoding, shrunk before
the NumPy steps, checked before a model is built).
"""

import json
import os
import re
import shlex
import socket
import struct
import zlib

import numpy as np
import pytest
import tensorflow as tf
from PIL import EpsImagePlugin, Image, ImageDraw, ImageFile

from helpers import ROOT, free_ports, one_line_error, run_command
from snippets import checkpoint, distributed, finetune, predict
from snippets.checkpoint import (
    CheckpointError,
    read_architecture,
    restore_model,
    save_model,
)
from snippets.config import Architecture, ArchitectureError
from snippets.distributed import DeviceError, wait_for_workers
from snippets.mlp import MLP
from snippets.predict import SHRINK_TO, ImageError, load_digit

# Pictures ------------------------------------------------------------------------------------


def png_chunk(kind, data):
    return (
        struct.pack(">I", len(data))
        + kind
        + data
        + struct.pack(">I", zlib.crc32(kind + data))
    )


def white_strip(path, width=2, height=44_700_000):
    """A 1-bit PNG of width x height white pixels, written a million rows at a time: each row
    is a filter byte (0) and one byte holding the two white pixels."""
    rows, block = b"\x00\xc0", 1_000_000
    packer = zlib.compressobj(9)
    body = b"".join(
        packer.compress(rows * block) for _ in range(height // block)
    )
    body += packer.compress(rows * (height % block)) + packer.flush()
    header = struct.pack(
        ">IIBBBBB", width, height, 1, 0, 0, 0, 0
    )  # 1 bit, grey
    path.write_bytes(
        b"\x89PNG\r\n\x1a\n"
        + png_chunk(b"IHDR", header)
        + png_chunk(b"IDAT", body)
        + png_chunk(b"IEND", b"")
    )
    return path


def thin_seven(path, size=9000, stroke=12):
    """A black 7 drawn with a fine pen on a white size x size page (1-bit, so it is quick to
    write)."""
    page = Image.new("1", (size, size), 1)
    draw = ImageDraw.Draw(page)
    top, left, right = size * 2 // 10, size * 3 // 10, size * 7 // 10
    draw.line(
        [(left, top), (right, top), (size * 45 // 100, size * 8 // 10)],
        fill=0,
        width=stroke,
    )
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


def test_a_small_file_of_a_huge_picture_is_refused_before_it_is_decoded(
    tmp_path, no_decoding
):
    strip = white_strip(tmp_path / "strip.png")
    assert strip.stat().st_size < 200_000  # compresses a thousandfold
    with Image.open(strip) as image:
        assert image.size == (2, 44_700_000)
    with pytest.raises(ImageError) as refused:
        load_digit(strip)
    message = str(refused.value)
    assert (
        "2x44700000 pixels is too large for a picture of one digit" in message
        and "\n" not in message
    )
    assert no_decoding == []


def test_the_command_refuses_the_huge_picture_in_one_line(tmp_path):
    strip = white_strip(tmp_path / "strip.png")
    completed = run_command(
        "predict", "--checkpoint-dir", tmp_path / "run", strip
    )
    assert completed.returncode == 1 and one_line_error(completed.stderr)
    assert (
        "too large for a picture of one digit" in completed.stderr
        and completed.stdout == ""
    )


def test_a_picture_over_the_pixel_count_is_refused_before_decoding(
    tmp_path, no_decoding
):
    # within the side's limit, over the count; Pillow itself warns from 89.5 million
    Image.new("1", (9_400, 9_400), 1).save(tmp_path / "page.png")
    with pytest.raises(ImageError, match="9400x9400 pixels is too large"):
        load_digit(tmp_path / "page.png")
    Image.new("1", (12_000, 12_000), 1).save(tmp_path / "larger.png")
    with pytest.raises(
        ImageError, match="too many pixels for a picture of one digit"
    ):
        load_digit(tmp_path / "larger.png")
    assert no_decoding == []


def test_a_large_picture_with_a_thin_stroke_is_shrunk_before_the_numpy_steps(
    tmp_path, monkeypatch
):
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
    assert (
        max(rows.max() - rows.min(), cols.max() - cols.min()) + 1 == 20
        and pixels.max() > 0.9
    )
    centre = np.array(
        [
            (np.indices(pixels.shape)[axis] * pixels).sum() / pixels.sum()
            for axis in (0, 1)
        ]
    )
    assert np.allclose(centre, [14, 14], atol=1.0)
    # And it looks like the same 7 drawn at a tenth of the size.
    small, _ = load_digit(
        thin_seven(tmp_path / "small.png", size=900, stroke=2)
    )
    assert np.abs(pixels - small).mean() < 0.05


def test_the_command_predicts_on_the_large_thin_picture(tmp_path):
    from snippets.checkpoint import save_model
    from snippets.mlp import MLP

    save_model(MLP(hidden=(8,)), tmp_path / "run")
    seven = thin_seven(tmp_path / "seven.png")
    completed = run_command(
        "predict", "--checkpoint-dir", tmp_path / "run", seven
    )
    assert completed.returncode == 0, completed.stderr
    assert (
        completed.stdout.startswith(f"{seven}: ")
        and "(probability " in completed.stdout
    )
    assert "shrunk from 9000x9000 to 1000x1000 first" in completed.stderr


EPS = b"""%!PS-Adobe-3.0 EPSF-3.0
%%BoundingBox: 0 0 28 28
%%EndComments
newpath 4 4 moveto 24 24 lineto stroke
%%EOF
"""


def test_a_postscript_file_named_png_is_refused_without_reaching_the_eps_reader(
    tmp_path, monkeypatch
):
    opened = []
    monkeypatch.setattr(
        EpsImagePlugin.EpsImageFile,
        "_open",
        lambda image: opened.append(image),
    )
    (tmp_path / "digit.png").write_bytes(EPS)
    with pytest.raises(ImageError) as refused:
        load_digit(tmp_path / "digit.png")
    message = str(refused.value)
    assert (
        "not a readable image" in message
        and "PNG, JPEG, GIF, BMP, TIFF and WebP" in message
    )
    assert "\n" not in message and opened == []
    completed = run_command(
        "predict", "--checkpoint-dir", tmp_path / "run", tmp_path / "digit.png"
    )
    assert (
        completed.returncode == 1
        and one_line_error(completed.stderr)
        and opened == []
    )


@pytest.mark.parametrize("form", ["JPEG", "GIF", "BMP", "TIFF", "WEBP"])
def test_each_format_the_page_names_is_still_read(tmp_path, form):
    picture = np.full((60, 60), 255, np.uint8)
    picture[10:50, 26:34] = 0  # a "1"
    path = tmp_path / f"one.{form.lower()}"
    Image.fromarray(picture).save(path, format=form)
    pixels, _ = load_digit(path)
    assert pixels.shape == (28, 28) and pixels.max() > 0.9


def test_a_large_jpeg_is_decoded_at_a_fraction_of_its_size(
    tmp_path, monkeypatch
):
    thin_seven(tmp_path / "seven.png", size=8000, stroke=40)
    Image.open(tmp_path / "seven.png").convert("L").save(
        tmp_path / "seven.jpg", quality=90
    )
    sizes = []
    real = predict.shrink

    def shrink(image, original):
        sizes.append((image.size, original))
        return real(image, original)

    monkeypatch.setattr(predict, "shrink", shrink)
    pixels, notes = load_digit(tmp_path / "seven.jpg")
    assert sizes == [((1000, 1000), (8000, 8000))]  # decoded at 1/8
    assert (
        notes[0] == "shrunk from 8000x8000 to 1000x1000 first"
        and pixels.max() > 0.9
    )


# Run folders -----------------------------------------------------------------------------------


IMAGES = tf.random.stateless_uniform([4, 784], seed=[5, 6])


@pytest.fixture
def saved(tmp_path):
    """A run folder holding a 784-16-10 network and its model.json."""
    model = MLP(hidden=(16,), seed=3)
    save_model(model, tmp_path / "run")
    return model, tmp_path / "run"


@pytest.fixture
def nothing_built(monkeypatch):
    """Record every model the run-folder code builds."""
    built = []

    def recording(*args, **kwargs):
        built.append((args, kwargs))
        return MLP(*args, **kwargs)

    monkeypatch.setattr(checkpoint, "MLP", recording)
    monkeypatch.setattr(finetune, "MLP", recording)
    return built


def snapshot(folder):
    return {path.name: path.read_bytes() for path in sorted(folder.iterdir())}


GOOD = {
    "hidden": [16],
    "n_inputs": 784,
    "n_classes": 10,
    "keep_prob": 1.0,
    "input_keep_prob": 1.0,
}  # of before
TODAY = {
    "architecture": {"hidden": [16], "n_inputs": 784, "n_classes": 10},
    "training": {"keep_prob": 1.0, "input_keep_prob": 1.0},
}
HOSTILE = [
    (
        dict(GOOD, hidden=[100000, 100000]),
        '"hidden" must be a list of 1 to 8 whole numbers from 1 to 8192',
    ),
    (dict(GOOD, hidden="12"), '"hidden" must be a list'),
    (dict(GOOD, hidden=[]), '"hidden" must be a list'),
    (dict(GOOD, hidden=[16] * 9), '"hidden" must be a list'),
    (dict(GOOD, hidden=[0]), '"hidden" must be a list'),
    (dict(GOOD, hidden=[16.5]), '"hidden" must be a list'),
    (dict(GOOD, hidden=[True]), '"hidden" must be a list'),
    (dict(GOOD, n_inputs=100), '"n_inputs" must be 784'),
    (dict(GOOD, n_classes="10"), '"n_classes" must be 10'),
    (
        dict(GOOD, keep_prob=0),
        '"keep_prob" must be a number above 0 and at most 1',
    ),
    (
        dict(GOOD, input_keep_prob=float("nan")),
        '"input_keep_prob" must be a number',
    ),
    (dict(GOOD, training=[1, 2]), '"training" must be a JSON object'),
    (dict(GOOD, layers=3), 'unknown key "layers"'),
    (
        {key: value for key, value in GOOD.items() if key != "n_classes"},
        '"n_classes" is missing',
    ),
    ([16], "must be a JSON object"),
    ("{not json", "is damaged: not JSON"),
    (
        "[" * 50_000 + "]" * 50_000,
        "is damaged: not JSON",
    ),  # nested past Python's recursion limit
    (
        '{"hidden": [16], "pad": "' + "x" * 200_000 + '"}',
        "is damaged: larger than 100,000 bytes",
    ),
    (
        dict(GOOD, hidden=[32]),
        '"hidden" says [32], but ckpt-1 beside it holds a 784-16-10 network',
    ),
    # model.json as it is written today: the architecture, the training settings beside it
    (
        dict(TODAY, architecture=dict(TODAY["architecture"], hidden=[100000])),
        '"hidden" must be a list of 1 to 8',
    ),
    (
        dict(TODAY, architecture=dict(TODAY["architecture"], n_inputs=100)),
        '"n_inputs" must be 784',
    ),
    (dict(TODAY, architecture=[16]), '"architecture" must be a JSON object'),
    (
        dict(TODAY, architecture={"hidden": [16], "n_inputs": 784}),
        '"n_classes" is missing from "architecture"',
    ),
    (
        dict(TODAY, architecture=dict(TODAY["architecture"], depth=2)),
        'unknown key "depth" in "architecture"',
    ),
    (
        dict(TODAY, training={"keep_prob": 2}),
        '"keep_prob" must be a number above 0 and at most 1',
    ),
    (dict(TODAY, training="fast"), '"training" must be a JSON object'),
    (dict(TODAY, hidden=[16]), 'unknown key "hidden"'),
    (
        dict(TODAY, architecture=dict(TODAY["architecture"], hidden=[32])),
        '"hidden" says [32], but ckpt-1 beside it holds a 784-16-10 network',
    ),
]


def write_model_file(folder, content):
    path = folder / "model.json"
    path.write_text(
        content if isinstance(content, str) else json.dumps(content)
    )
    return path


@pytest.mark.parametrize("content, fragment", HOSTILE)
def test_a_hostile_model_json_is_one_line_naming_the_file_and_builds_nothing(
    saved, nothing_built, content, fragment
):
    _, folder = saved
    path = write_model_file(folder, content)
    before = snapshot(folder)
    with pytest.raises(CheckpointError) as refused:
        restore_model(folder)
    message = str(refused.value)
    assert fragment in message and str(path) in message and "\n" not in message
    assert (
        "delete" not in message and "784-16-10" in message
    )  # what the checkpoint holds
    assert nothing_built == [] and snapshot(folder) == before


def test_following_the_advice_restores_the_trained_weights(
    saved, nothing_built
):
    model, folder = saved
    write_model_file(folder, dict(GOOD, hidden=[100000, 100000]))
    with pytest.raises(CheckpointError) as refused:
        restore_model(folder)
    command = shlex.split(
        re.search(r"\(mv (.*?)\)", str(refused.value)).group(1)
    )
    os.rename(*command)  # what `mv` does
    notes = []
    restored = restore_model(folder, log=notes.append)
    assert np.array_equal(restored(IMAGES).numpy(), model(IMAGES).numpy())
    assert (
        len(notes) == 1
        and "holds no model.json; read the network 784-16-10 back from"
        in notes[0]
    )
    assert [kwargs["hidden"] for _, kwargs in nothing_built] == [(16,)]


def test_without_model_json_the_network_is_read_back_from_the_checkpoint(
    saved,
):
    _model, folder = saved
    (folder / "model.json").unlink()
    assert read_architecture(folder) == Architecture((16,))
    completed = run_command("evaluate", "--checkpoint-dir", folder)
    assert completed.returncode == 0, completed.stderr
    assert (
        "read the network 784-16-10 back from the variables of ckpt-1"
        in completed.stderr
    )


def test_a_model_json_of_today_and_of_before_its_last_keys_is_read(saved):
    model, folder = saved
    for record in (
        TODAY,
        dict(TODAY, training={"epochs": 3}),
        dict(GOOD, training={"epochs": 3}),
        {k: GOOD[k] for k in ("hidden", "n_inputs", "n_classes", "keep_prob")},
    ):
        write_model_file(folder, record)
        restored = restore_model(folder)
        assert np.array_equal(restored(IMAGES).numpy(), model(IMAGES).numpy())


@pytest.mark.parametrize(
    "hidden, fragment", [((8193,), "8193"), ((2,) * 9, "[2, 2, 2, 2, 2")]
)
def test_a_checkpoint_of_a_network_too_large_is_refused_from_its_index(
    tmp_path, nothing_built, hidden, fragment
):
    save_model(MLP(hidden=hidden), tmp_path)
    (tmp_path / "model.json").unlink()
    with pytest.raises(CheckpointError) as refused:
        restore_model(tmp_path)
    message = str(refused.value)
    assert (
        "ckpt-1" in message
        and '"hidden" must be a list' in message
        and fragment in message
    )
    assert "\n" not in message and nothing_built == []


def test_the_command_line_refuses_a_hostile_model_json_in_one_line(
    saved, tmp_path
):
    _, folder = saved
    write_model_file(folder, dict(GOOD, hidden=[100000, 100000]))
    before = snapshot(folder)
    for argv in (
        ["evaluate", "--checkpoint-dir", folder],
        [
            "finetune",
            "--from",
            folder,
            "--checkpoint-dir",
            tmp_path / "finetuned",
            "--epochs",
            "1",
        ],
        [
            "train",
            "--hidden",
            "16",
            "--epochs",
            "1",
            "--limit",
            "100",
            "--checkpoint-dir",
            folder,
        ],
    ):
        completed = run_command(*argv)
        assert completed.returncode == 1 and one_line_error(
            completed.stderr
        ), argv
        assert (
            f'{folder / "model.json"}: "hidden" must be a list'
            in completed.stderr
        )
        assert "delete" not in completed.stderr
    assert snapshot(folder) == before and not (tmp_path / "finetuned").exists()


def test_finetune_checks_the_folder_before_it_builds_anything(
    saved, nothing_built
):
    _, folder = saved
    write_model_file(folder, dict(GOOD, hidden="12"))
    with pytest.raises(
        CheckpointError, match='"hidden" must be a list .* not "12"'
    ):
        finetune.finetune_model(folder, hidden=(16, 8), new_head=True)
    assert nothing_built == []


def test_train_leaves_a_folder_with_a_damaged_model_json_untouched_and_the_advice_resumes(
    tmp_path,
):
    folder = tmp_path / "run"
    argv = [
        "train",
        "--hidden",
        "16",
        "--limit",
        "200",
        "--checkpoint-dir",
        folder,
    ]
    assert run_command(*argv, "--epochs", "1").returncode == 0
    write_model_file(folder, "{not json")
    (
        folder / "ckpt-2_temp"
    ).mkdir()  # an unfinished save, which a resumed run would remove
    before = sorted(path.name for path in folder.iterdir())
    completed = run_command(*argv, "--epochs", "2")
    assert completed.returncode == 1 and one_line_error(completed.stderr)
    message = completed.stderr
    assert (
        "model.json is damaged: not JSON" in message
        and "the same command resumes from ckpt-1" in message
    )
    assert message.endswith(", or use another --checkpoint-dir\n")
    wider = run_command(
        *argv[:2], "8", *argv[3:], "--epochs", "2"
    )  # --hidden 8 where 16 was trained
    assert (
        wider.returncode == 1
        and "and --hidden 16 resumes from ckpt-1, or use" in wider.stderr
    )
    assert sorted(path.name for path in folder.iterdir()) == before
    os.rename(*shlex.split(re.search(r"\(mv (.*?)\)", message).group(1)))
    resumed = run_command(*argv, "--epochs", "2")
    assert resumed.returncode == 0, resumed.stderr
    assert "resuming from ckpt-1" in resumed.stdout + resumed.stderr
    record = json.loads((folder / "model.json").read_text())  # written again
    assert record["architecture"] == {
        "hidden": [16],
        "n_inputs": 784,
        "n_classes": 10,
    }
    # the training settings beside the architecture, not repeating it
    assert (
        record["training"]["epochs"] == 2
        and "hidden" not in record["training"]
    )


def test_train_never_writes_a_folder_its_reader_would_refuse(tmp_path):
    completed = run_command(
        "train",
        "--hidden",
        *["4"] * 9,
        "--epochs",
        "1",
        "--limit",
        "100",
        "--checkpoint-dir",
        tmp_path / "run",
    )
    assert completed.returncode == 1 and one_line_error(completed.stderr)
    assert (
        'cannot be kept in a run folder: "hidden" must be a list of 1 to 8'
        in completed.stderr
    )
    assert not (tmp_path / "run").exists()


def test_the_architecture_read_from_shapes_is_the_models_own():
    for hidden in [(16,), (64, 32), (8,) * 8]:
        assert Architecture.from_shapes(
            checkpoint.model_shapes(MLP(hidden=hidden))
        ) == Architecture(hidden)
    shapes = checkpoint.model_shapes(MLP(hidden=(16, 8)))
    for broken in (
        {**shapes, "weights/hidden_2": (15, 8)},
        {k: v for k, v in shapes.items() if k != "biases/out"},
        {k: v for k, v in shapes.items() if "hidden_1" not in k},
    ):
        with pytest.raises(ArchitectureError, match="do not make a network"):
            Architecture.from_shapes(broken)


def test_a_string_of_widths_is_not_read_as_digits():
    with pytest.raises(ArchitectureError, match='not "12"'):
        MLP(hidden="12")


# Several machines --------------------------------------------------------------------------------


@pytest.fixture
def listening(monkeypatch):
    """The address of every socket the handshake listens on."""
    addresses = []
    real = socket.create_server

    def create_server(*args, **kwargs):
        server = real(*args, **kwargs)
        addresses.append(server.getsockname()[:2])
        return server

    monkeypatch.setattr(distributed.socket, "create_server", create_server)
    return addresses


@pytest.mark.parametrize("host", ["127.0.0.1", "localhost"])
def test_the_handshake_listens_only_on_this_workers_address(listening, host):
    ports = free_ports(2)
    with pytest.raises(
        DeviceError, match=f"127.0.0.1:{ports[1]} did not answer"
    ):
        wait_for_workers(
            [f"{host}:{ports[0]}", f"127.0.0.1:{ports[1]}"], 0, timeout=0.3
        )
    assert listening == [
        ("127.0.0.1", ports[0])
    ]  # not ("0.0.0.0", port): every network


def test_a_worker_address_that_is_not_this_machines_is_one_line(listening):
    port = free_ports(1)[0]
    with pytest.raises(
        DeviceError
    ) as refused:  # 192.0.2.0/24 is for documentation: nobody's
        wait_for_workers(
            [f"192.0.2.7:{port}", f"127.0.0.1:{port}"], 0, timeout=0.3
        )
    message = str(refused.value)
    assert (
        message.startswith(f"cannot listen on 192.0.2.7:{port} (")
        and "\n" not in message
    )
    assert "this machine's own address" in message and listening == []
    assert message.endswith(
        "workers must give this machine's own address and a free port at worker_index=0"
    )


def test_a_loopback_name_among_network_addresses_is_one_line(listening):
    ports = free_ports(2)
    with pytest.raises(
        DeviceError
    ) as refused:  # as a hostname mapped to 127.0.1.1 would be
        wait_for_workers(
            [f"localhost:{ports[0]}", f"192.0.2.7:{ports[1]}"], 0, timeout=0.3
        )
    message = str(refused.value)
    assert message.startswith(
        f"localhost:{ports[0]} is a loopback address on this machine"
    )
    assert message.endswith(
        "; give its network address in workers"
    )  # make_strategy's argument, not a flag
    assert "\n" not in message and listening == []


def plain(text):
    """Text with its line breaks and indents as single spaces (--help wraps its lines)."""
    return " ".join(text.split())


TRUSTED = "must be on a private, trusted network"


def test_help_and_the_first_line_of_a_workers_run_say_the_network_must_be_trusted(
    tmp_path,
):
    helped = plain(run_command("train", "--help").stdout)
    assert (
        TRUSTED in helped
        and "anyone who can reach that port can run code" in helped
    )
    assert "On one machine, use --devices instead" in helped
    ports = free_ports(2)
    completed = run_command(
        "train",
        "--workers",
        f"127.0.0.1:{ports[0]},127.0.0.1:{ports[1]}",
        "--worker-index",
        "0",
        "--worker-timeout",
        "0.3",
        "--limit",
        "100",
        "--checkpoint-dir",
        tmp_path / "run",
    )
    assert completed.returncode == 1 and one_line_error(
        completed.stderr
    )  # nobody answered
    first = completed.stdout.splitlines()[0]
    assert (
        first.startswith(f"warning: the workers {TRUSTED}")
        and "use --devices" in first
    )


def test_the_page_and_the_readme_say_it_too():
    page = (ROOT / "docs" / "distributed.md").read_text(encoding="utf-8")
    warning = page.index('!!! warning "Only on a private, trusted network"')
    assert warning < page.index(
        "python -m snippets train --workers"
    )  # before the example
    admonition = plain(page[warning:].split("\n\n")[0])
    assert (
        "anyone who can reach that port can run code" in admonition
        and "`--devices`" in admonition
    )
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    security = plain(readme.split("\n## Security\n")[1].split("\n## ")[0])
    for topic in (
        "**Pictures**",
        "**Run folders**",
        "**Exercise answers**",
        "**Links to the playground**",
        "**Several machines**",
        TRUSTED,
        "`--devices`",
    ):
        assert topic in security, topic
