# ---
# jupyter:
#   jupytext:
#     text_representation:
#       extension: .py
#       format_name: percent
#   kernelspec:
#     display_name: Python 3
#     language: python
#     name: python3
# ---

# %% [markdown]
# # The complete system, end to end
#
# The command line of [the complete system](../../system/) driven from Python: the same
# `train`, `evaluate`, `finetune` and `predict` commands, run the way `python -m snippets ...`
# runs them (with `runpy`, in this kernel, which saves starting TensorFlow four more times). Each
# command prints its log and, last, one line of JSON; this notebook reads that line the
# way a script would. Training uses the first 3,000 images for a few epochs so the whole
# notebook runs in seconds; drop `--limit` and `--epochs` for the real thing. Each test
# accuracy is printed with its 95 % Wilson interval over the 10,000 test digits
# ([how sure is a number?](../../system/#how-sure-is-a-number)).

# %%
from snippets.common import quiet_tensorflow

quiet_tensorflow()  # first: TensorFlow's start-up notes stay off the page

import contextlib
import io
import json
import os
import runpy
import sys
import tempfile

import matplotlib.pyplot as plt
import numpy as np
from PIL import Image

from snippets.mnist_files import load_mnist
from snippets.uncertainty import accuracy_of

TEST_DIGITS = 10_000  # MNIST's test set: each test accuracy below is on it
scratch = tempfile.TemporaryDirectory()  # removed when the kernel exits
# runs/ and digit.png go to this scratch folder, not into the project
os.chdir(scratch.name)


def run(*arguments):
    """`python -m snippets ARGUMENTS`: returns what it printed to stdout and to
    stderr.
    """
    sys.argv = ["python -m snippets", *map(str, arguments)]
    stdout, stderr = io.StringIO(), io.StringIO()
    with (
        contextlib.redirect_stdout(stdout),
        contextlib.redirect_stderr(stderr),
    ):
        try:
            runpy.run_module("snippets", run_name="__main__")
        # `python -m snippets` ends with sys.exit(status)
        except SystemExit as exit:
            assert exit.code == 0, (
                f"exit status {exit.code}: {stderr.getvalue()}"
            )
    return stdout.getvalue(), stderr.getvalue()


def command(*arguments):
    """Run a command; show its log, and return its last line, the JSON, as a
    dict.
    """
    lines = run(*arguments)[0].splitlines()
    print("\n".join(lines[:-1]))
    return json.loads(lines[-1])


# %% [markdown]
# ## Train
#
# The course's network, 784-256-10 with Adam. Checkpoints go to `runs/mnist` (here in a
# scratch folder) after every epoch; the model kept is the epoch with the best validation
# accuracy.

# %%
trained = command("train", "--limit", 3000, "--epochs", 3)
print(
    "\nJSON: test accuracy "
    f"{accuracy_of(trained['test_accuracy'], TEST_DIGITS)} after "
    f"{trained['epochs']} epochs "
    f"(best epoch {trained['best_epoch']}, {trained['seconds']:.1f} s)"
)
assert 0.85 < trained["test_accuracy"] < 1.0

# %% [markdown]
# ## Evaluate
#
# A fresh process would know nothing of the model above: `evaluate` rebuilds it from
# `model.json` and the newest checkpoint, then scores it on the 10,000 test images.
# It must agree with what `train` reported.

# %%
evaluated = command("evaluate")
print(
    "\nJSON: test accuracy "
    f"{accuracy_of(evaluated['test_accuracy'], TEST_DIGITS)}, "
    f"{evaluated['epochs']} epochs trained"
)
assert abs(evaluated["test_accuracy"] - trained["test_accuracy"]) < 1e-6

# %% [markdown]
# ## Finetune
#
# A deeper network, 784-256-128-10, that starts from the trained first layer. The second
# hidden layer is new, and so is the output layer, whose shape changes from $256 \times 10$
# to $128 \times 10$: `--new-head` says that is intended.

# %%
finetuned = command(
    "finetune",
    "--from",
    "runs/mnist",
    "--checkpoint-dir",
    "runs/deeper",
    "--hidden",
    256,
    128,
    "--new-head",
    "--limit",
    3000,
    "--epochs",
    2,
)
print(f"\nJSON: restored {finetuned['restored']}")
print(f"      new {finetuned['new']}")
print(
    "      test accuracy "
    f"{accuracy_of(finetuned['test_accuracy'], TEST_DIGITS)}"
)
assert finetuned["restored"] == ["weights/hidden_1", "biases/hidden_1"]
assert [name.split()[0] for name in finetuned["new"]] == [
    "weights/hidden_2",
    "weights/out",
    "biases/hidden_2",
    "biases/out",
]
assert 0.85 < finetuned["test_accuracy"] < 1.0

# %% [markdown]
# ## Predict
#
# `predict` reads PNG files. To make one that looks like a reader's drawing rather than an
# MNIST sample, take a test digit, make it dark on white and four times larger. `predict`
# notices both, says so on standard error, and turns the picture back into MNIST's form:
# light on dark, the digit fitted into a $20 \times 20$ box in the middle of $28 \times 28$.

# %%
(_, _), (test_images, test_labels) = load_mnist()
picture = Image.fromarray(255 - test_images[0]).resize((112, 112))
picture.save("digit.png")

answer, notes = run("predict", "digit.png")
answer = answer.strip()
print(f"standard error:\n{notes}")
print(f"standard output:\n{answer}")
predicted = int(answer.split(": ")[1].split()[0])
print(f"the test set's label for this image: {test_labels[0]}")
assert predicted == test_labels[0]

# %%
from snippets.checkpoint import restore_model
from snippets.predict import load_digit, predict

pixels, _ = load_digit("digit.png")
probabilities = predict(restore_model("runs/mnist"), pixels[None])[0]

fig, (left, middle, right) = plt.subplots(
    1, 3, figsize=(10, 3), gridspec_kw={"width_ratios": [1, 1, 2]}
)
left.imshow(picture, cmap="gray")
left.set_title("digit.png, as drawn")
middle.imshow(pixels, cmap="gray")
middle.set_title("what the network sees")
for ax in (left, middle):
    ax.axis("off")
right.bar(range(10), probabilities)
right.set_xticks(range(10))
right.set_xlabel("digit")
right.set_ylabel("probability")
right.set_title("the network's answer")
plt.tight_layout()
plt.show()
assert int(np.argmax(probabilities)) == predicted
