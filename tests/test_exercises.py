"""`python -m snippets check`: what it does with answers that misbehave, what it tells a
learner, and the worked solutions pasted into the starters (snippets/exercises/).

The answers here run in `check`'s child processes, each of which loads TensorFlow, so the
cases share files: one file holds four misbehaving answers, one per exercise.
"""

import re
import textwrap

import pytest

from helpers import ROOT, paste_solutions, run_command
from snippets.exercises import CHAPTERS, Wrong, check_chapter, check_here

STATUS = re.compile(
    r"^(PASS|TODO|WRONG|ERROR|MISSING|EXITED|TIMEOUT|CRASHED|NOT RUN) +(\w+)"
)


def statuses(stdout):
    """(status, exercise) for each exercise line of check's output."""
    return [
        match.groups()
        for match in map(STATUS.match, stdout.splitlines())
        if match
    ]


def test_answers_that_exit_loop_print_take_all_memory_or_crash_each_get_one_line(
    tmp_path,
):
    answers = tmp_path / "answers.py"
    answers.write_text(
        textwrap.dedent("""\
        import os
        import sys


        def quantise_tensor(weights):
            print("spam\\n" * 1_000_000)
            sys.exit(0)


        def error_bound(weights):
            while True:
                pass


        def centre_of_mass(image):
            return bytearray(6 << 30)  # more than the 4 GiB the child may have


        def ink_box(image):
            os.abort()
        """)
    )
    completed = run_command(
        "check", "try", "--file", answers, "--timeout", "4"
    )  # room on a busy CPU
    output = completed.stdout + completed.stderr
    assert completed.returncode == 1 and "Traceback" not in output
    assert statuses(completed.stdout) == [
        ("EXITED", "quantise_tensor"),
        ("TIMEOUT", "error_bound"),
        ("ERROR", "centre_of_mass"),
        ("CRASHED", "ink_box"),
    ]
    lines = completed.stdout.splitlines()
    assert (
        "EXITED  quantise_tensor: it called exit() or sys.exit(0) at line 7 of answers.py"
        in completed.stdout
    )
    assert "TIMEOUT error_bound: no answer within 4 s" in completed.stdout
    assert "ERROR   centre_of_mass: raised MemoryError" in completed.stdout
    assert (
        "CRASHED ink_box: the process running it crashed (SIGABRT"
        in completed.stdout
    )
    # five million characters and a newline printed: twenty lines of them shown, and how many more
    printed = [line for line in lines if line.startswith("        | ")]
    assert (
        len(printed) == 21
        and printed[-1]
        == "        | ... and 4,999,901 more characters printed"
    )
    assert len(completed.stdout) < 5000
    assert "0 of 4 exercises of try pass" in lines


def test_a_file_that_exits_as_it_loads_runs_no_check_and_fails(tmp_path):
    answers = tmp_path / "answers.py"
    answers.write_text("import numpy as np\n\nexit()\n")
    completed = run_command("check", "linear", "--file", answers)
    assert completed.returncode == 1
    assert completed.stdout.splitlines() == [
        f"error: {answers} does not run: exit() or sys.exit() at line 3 of answers.py",
        "NOT RUN logits: answers.py did not load",
        "NOT RUN cross_entropy: answers.py did not load",
        "NOT RUN largest_change: answers.py did not load",
        "NOT RUN weight_gradients: answers.py did not load",
        "NOT RUN learning_rate_sweep: answers.py did not load",
        "0 of 5 exercises of linear pass",
    ]


def test_the_pasted_worked_solutions_pass_in_the_child_process(tmp_path):
    # finetuning's solutions use tf and softmax_cross_entropy: the starter imports them
    pasted = paste_solutions("finetuning", tmp_path)
    completed = run_command("check", "finetuning", "--file", pasted)
    assert (completed.returncode, completed.stdout.splitlines()) == (
        0,
        [
            "PASS    restore_by_name",
            "PASS    sort_variables",
            "PASS    sgd_step",
            "3 of 3 exercises of finetuning pass",
        ],
    )


def test_every_chapter_test_pastes_its_worked_solutions_into_its_starter():
    # check_exercises (tests/helpers.py) runs the pasted file through every check
    for chapter in CHAPTERS:
        module = ROOT / "tests" / f"test_{chapter.replace('-', '_')}.py"
        assert f'check_exercises("{chapter}")' in module.read_text(), module


def test_ctrl_c_stops_the_checks_cleanly_and_ends_the_child(monkeypatch):
    from snippets import exercises

    children, lines = [], []
    start = exercises.Child.__init__

    def remembered(self, *args):
        start(self, *args)
        children.append(self)

    def interrupted(*args):  # Ctrl-C arrives while check waits for its child
        raise KeyboardInterrupt

    monkeypatch.setattr(exercises.Child, "__init__", remembered)
    monkeypatch.setattr(exercises.select, "select", interrupted)
    assert (
        check_chapter(
            "linear", ROOT / "exercises" / "linear.py", out=lines.append
        )
        == 130
    )
    assert lines == ["interrupted before any check ran"]
    assert len(children) == 1 and children[0].process.returncode is not None


def test_a_missing_file_is_named_as_given(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    completed = run_command("check", "linear", "--file", "answers/linear.py")
    assert completed.returncode == 1 and "--file" not in completed.stdout
    assert completed.stdout == (
        f"error: answers/linear.py: no such file (looked for "
        f"{tmp_path / 'answers' / 'linear.py'})\n"
    )
    completed = run_command("check", "linear")
    assert completed.returncode == 1
    assert completed.stdout.startswith(
        "error: no file exercises/linear.py in "
    )
    completed = run_command("check", "linear", "--timeout", "0")
    assert completed.returncode == 2 and "--timeout" in completed.stderr


# What the learner is told ------------------------------------------------------------------

FORMULAS = {
    "linear": ["x @ weights + bias", "np.linalg.norm(weights, 2)"],
    "dropout": ["np.where(keep, h / keep_prob, 0.0)"],
    "backprop": ["dw2 = h.T dz2", "(softmax(z) - y) / batch"],
}


@pytest.mark.parametrize("chapter", sorted(FORMULAS))
def test_an_untouched_starter_shows_no_formula_until_asked(chapter):
    starter = ROOT / "exercises" / f"{chapter}.py"
    for hint in (False, True):
        lines = []
        assert check_here(chapter, starter, out=lines.append, hint=hint) == 1
        text = "\n".join(lines)
        assert (
            all(line.endswith(": not written yet.") for line in lines[:-1])
            != hint
        )
        assert ("np.where(" in text or "np.linalg" in text) == (
            hint and chapter != "backprop"
        )
        for formula in FORMULAS[chapter]:
            assert (formula in text) == hint, (formula, hint)


def wrong_lines(chapter, source, tmp_path):
    answers = tmp_path / f"{chapter}.py"
    answers.write_text(textwrap.dedent(source))
    lines = []
    check_here(chapter, answers, out=lines.append)
    return {line.split()[1].rstrip(":"): line for line in lines[:-1]}


def test_wrong_answers_are_told_what_differs_and_by_how_much(tmp_path):
    lines = wrong_lines(
        "linear",
        """\
        import numpy as np

        def logits(x, weights, bias):
            return (x @ weights).T + 0.0 * bias[:, None]

        def cross_entropy(logits, labels):  # a sum where the mean is wanted
            shifted = logits - logits.max(axis=1, keepdims=True)
            log_softmax = shifted - np.log(np.exp(shifted).sum(axis=1, keepdims=True))
            return -(labels * log_softmax).sum()

        def largest_change(weights, size):
            return np.linalg.norm(weights) * size
        """,
        tmp_path,
    )
    assert lines["logits"].startswith(
        "WRONG   logits: the logits (6, 10): expected shape (6, 10), got (10, 6) (the transpose?)."
    )
    assert (
        "the loss of a batch of 6: got 6 times the expected value: the batch size, a sum where "
        "a mean is wanted?"
    ) in lines["cross_entropy"]
    assert re.match(
        r"WRONG   largest_change: the largest change for a 20x5 matrix of scale 0.01: "
        r"expected [\d.e-]+, got [\d.e-]+\.",
        lines["largest_change"],
    ), lines["largest_change"]
    assert "TensorFlow computes" not in " ".join(lines.values())


def test_a_one_sided_difference_is_named_and_a_wrong_shape_is_not_blamed_on_it(
    tmp_path,
):
    lines = wrong_lines(
        "backprop",
        """\
        import numpy as np

        def numerical_gradient(f, theta, eps):
            gradient = np.zeros_like(theta)
            for i in np.ndindex(theta.shape):
                bumped = theta.copy()
                bumped[i] += eps
                gradient[i] = (f(bumped) - f(theta)) / eps
            return gradient
        """,
        tmp_path,
    )
    assert (
        "as a difference on one side of theta gives"
        in lines["numerical_gradient"]
    )
    lines = wrong_lines(
        "backprop",
        """\
        import numpy as np

        def numerical_gradient(f, theta, eps):
            return np.zeros(theta.size)
        """,
        tmp_path,
    )
    assert "expected shape (3, 4), got (12,)" in lines["numerical_gradient"]
    assert (
        "one side" not in lines["numerical_gradient"]
        and "central" not in lines["numerical_gradient"]
    )


def test_the_regularization_messages_name_the_missing_l1_and_a_list_of_penalties(
    tmp_path,
):
    lines = wrong_lines(
        "regularization",
        """\
        import numpy as np

        def l2_penalty_and_gradients(matrices, l2):
            return [l2 * np.sum(m**2) / 2 for m in matrices], [l2 * m for m in matrices]

        def l1_gradient(weights, l1):
            return np.sign(weights)
        """,
        tmp_path,
    )
    assert lines["l2_penalty_and_gradients"].startswith(
        "WRONG   l2_penalty_and_gradients: with 2 matrices the penalty should be one number, their "
        "total; got 2 numbers."
    )
    assert lines["l1_gradient"].startswith(
        "WRONG   l1_gradient: with l1 = 0.001, the gradient (GradientTape on l1_penalty): got 1/l1 = "
        "1000 times the expected value: where does l1 come in?"
    )
    assert "should not depend" not in lines["l1_gradient"]


# A false pass: sort_variables on a network that shrinks ---------------------------------------


def test_sort_variables_fails_a_name_that_only_the_checkpoint_has():
    from snippets.exercises.finetuning import (
        check_sort_variables,
        sort_expected,
    )

    def also_saved_only(
        saved, wanted
    ):  # lists checkpoint-only names as mismatched
        report = sort_expected(saved, wanted)
        report["mismatched"] += [name for name in saved if name not in wanted]
        return report

    check_sort_variables(sort_expected)
    with pytest.raises(
        Wrong,
        match=r"from 5-4-3-2 saved to 5-4-2 wanted, mismatched should be "
        r"\['weights/out'\], got \['biases/hidden_2', 'weights/hidden_2', 'weights/out'\] "
        r"\(biases/hidden_2, weights/hidden_2: only in the checkpoint",
    ):
        check_sort_variables(also_saved_only)
