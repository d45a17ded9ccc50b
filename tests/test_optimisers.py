"""docs/optimisers.md, snippets/optimisers.py and the optimiser widget.

docs/assets/optimisers/paths.js runs under Node beside Keras' optimizers on the same
settings: the same paths (float64 weights, relative 1e-5 over 200 steps) where they
converge, and the same step off the plot where they diverge, for every optimiser. Hostile
links go through its parser; the widget is opened once in the built page in Chromium.
"""

import functools
import json
import re
from dataclasses import replace
from urllib.parse import parse_qsl, urlsplit

import numpy as np
import pytest

from figures import optimisers as optimiser_figures
from helpers import (
    ROOT,
    Claim,
    check_claims,
    check_exercises,
    check_figures,
    page,
    run_under_node,
)
from snippets.optimisers import (
    EXTENT,
    SURFACES,
    Setting,
    from_scratch,
    losses_along,
    query,
    steepest,
    with_keras,
)

PATHS = ROOT / "docs" / "assets" / "optimisers" / "paths.js"

RUNNER = r"""
const p = require(process.argv[1]);
const request = JSON.parse(require("fs").readFileSync(0, "utf8"));
const answer = {};
answer.paths = (request.paths || []).map((q) => {
  const s = p.parseQuery(q), r = p.path(s);
  return { query: p.toQuery(s), x: Array.from(r.x), y: Array.from(r.y), left: r.left };
});
answer.links = (request.links || []).map((q) => {
  const s = p.parseQuery(q), r = p.path(s);
  return { setting: s, query: p.toQuery(s), problem: p.checkSetting(s),
           finite: Array.from(r.x).every(Number.isFinite) || r.left > 0, n: r.x.length };
});
answer.problems = (request.settings || []).map((s) => p.checkSetting(s));
answer.polluted = ({}).x !== undefined;
process.stdout.write(JSON.stringify(answer));
"""


def node(request):
    return run_under_node(RUNNER, PATHS, request)


# Settings that converge: every surface, every optimiser, 200 steps.
CONVERGING = [
    Setting(surface=surface, opt=opt, lr=lr, steps=200)
    for surface in SURFACES
    for opt, lr in (("sgd", 0.09), ("momentum", 0.02), ("adam", 0.3))
] + [
    Setting(surface="bowl", opt="adam", lr=0.05, beta1=0.5, beta2=0.99),
    Setting(surface="tilted", opt="momentum", lr=0.05, momentum=0.5),
]
# And settings that leave the plot, one an optimiser at least.
DIVERGING = [
    Setting(surface="valley", opt="sgd", lr=0.101, steps=200),
    Setting(surface="tilted", opt="sgd", lr=0.11, steps=200),
    Setting(surface="valley", opt="momentum", lr=0.2, steps=200),
    Setting(surface="bowl", opt="adam", lr=4.0, x=0.5, y=0.3, steps=200),
]


@functools.cache
def javascript_paths():
    return node({"paths": [query(s) for s in CONVERGING + DIVERGING]})["paths"]


@pytest.mark.parametrize("index", range(len(CONVERGING)))
def test_javascript_paths_are_keras_paths_where_they_converge(index):
    setting = CONVERGING[index]
    js = javascript_paths()[index]
    assert js["query"] == query(setting)  # the link is read as written
    keras_path = with_keras(setting)
    assert len(keras_path) == setting.steps + 1 and js["left"] == 0
    ours = np.stack([js["x"], js["y"]], axis=1)
    np.testing.assert_allclose(ours, keras_path, rtol=1e-5, atol=1e-300)
    final = losses_along(setting.surface, keras_path)[-1]
    assert final < 1e-2 * losses_along(setting.surface, keras_path)[0]


@pytest.mark.parametrize("index", range(len(DIVERGING)))
def test_javascript_paths_leave_the_plot_at_keras_step(index):
    setting = DIVERGING[index]
    js = javascript_paths()[len(CONVERGING) + index]
    keras_path = with_keras(setting)
    left = len(keras_path) - 1
    assert left < setting.steps and np.abs(keras_path[-1]).max() > EXTENT
    assert js["left"] == left
    np.testing.assert_allclose(
        np.stack([js["x"], js["y"]], axis=1), keras_path, rtol=1e-5
    )


def test_every_optimiser_is_tested_both_ways():
    for cases in (CONVERGING, DIVERGING):
        assert {s.opt for s in cases} == {"sgd", "momentum", "adam"}


@pytest.mark.parametrize("opt", ["sgd", "momentum", "adam"])
def test_from_scratch_takes_keras_steps(opt):
    setting = Setting(surface="tilted", opt=opt, lr=0.05)
    ours, keras_path = from_scratch(setting), with_keras(setting)
    assert len(ours) == 101
    np.testing.assert_allclose(ours, keras_path, rtol=0, atol=1e-6)


def test_gradient_descent_diverges_just_past_two_over_l():
    for surface in SURFACES:
        edge = 2 / steepest(surface)
        long = dict(surface=surface, steps=300, x=-2.5, y=1.0)
        below = from_scratch(Setting(lr=0.99 * edge, **long))
        above = from_scratch(Setting(lr=1.01 * edge, **long))
        # just below 2/L every step shrinks the steep direction by a factor
        # |1 - 0.99 * 2| = 0.98: the path stays and ends nearer the minimum
        assert len(below) == 301 and len(above) < 301, surface
        assert np.linalg.norm(below[-1]) < 0.1 * np.linalg.norm(below[0])


# Hostile links ----------------------------------------------------------------------------

DEFAULTS = Setting()
HOSTILE_LINKS = {
    "": {},
    "surface=toString&opt=constructor": {},
    "surface=__proto__&opt=__proto__": {},
    "__proto__[x]=1&__proto__=1&constructor=1&hasOwnProperty=1&valueOf=1": {},
    "lr=NaN&momentum=Infinity&beta1=-Infinity&beta2=nan": {},
    "lr=&x=%20&y=0x10": {"y": 3},  # 0x10 is 16 to Number(): clamped
    "lr=1e999&x=-1e999": {},  # Infinity is no number: ignored
    "lr=1e300&x=-1e300": {"lr": 5, "x": -3},
    "lr=-1&momentum=-5&beta1=2&beta2=1": {
        "lr": 1e-4,
        "momentum": 0,
        "beta1": 0.99,
        "beta2": 0.9999,
    },
    "steps=1.5": {},
    "steps=-3": {},
    "steps=1e3": {},
    "steps=99999999999999999999": {},
    "steps=0": {"steps": 1},
    "steps=100000": {"steps": 500},
    "opt=adam&lr=5&beta1=0.99&beta2=0.5&steps=500": {
        "opt": "adam",
        "lr": 5,
        "beta1": 0.99,
        "beta2": 0.5,
        "steps": 500,
    },
    "opt=momentum&momentum=0.99&lr=5&steps=500": {
        "opt": "momentum",
        "momentum": 0.99,
        "lr": 5,
        "steps": 500,
    },
    "surface=bowl&surface=valley&surface=nope": {"surface": "valley"},
}
MALFORMED = [
    None,
    [],
    "surface=bowl",
    {},
    {**DEFAULTS.__dict__, "extra": 1},
    {**DEFAULTS.__dict__, "surface": "constructor"},
    {**DEFAULTS.__dict__, "lr": "0.1"},
    {**DEFAULTS.__dict__, "steps": 2.5},
    {**DEFAULTS.__dict__, "steps": 10**9},
    {**DEFAULTS.__dict__, "x": None},
]


@functools.cache
def hostile():
    return node(
        {
            "links": list(HOSTILE_LINKS),
            "settings": [*MALFORMED, DEFAULTS.__dict__],
        }
    )


def test_a_hostile_link_is_clamped_and_the_path_stays_finite():
    answer = hostile()
    for (link, expected), run in zip(HOSTILE_LINKS.items(), answer["links"]):
        want = {**DEFAULTS.__dict__, **expected}
        assert run["setting"] == want, link
        assert run["problem"] == "", link  # the worker takes what links give
        assert run["finite"] and 2 <= run["n"] <= 501, link
        assert dict(parse_qsl(run["query"])).keys() == want.keys()
    assert not answer["polluted"]
    *malformed, sound = answer["problems"]
    assert all(malformed) and sound == ""


# The widget in the built page --------------------------------------------------------------


WORKER_MESSAGES = """async (messages) => {
  const url = document.querySelector("script[src$='paths.js']").src;
  const worker = new Worker(url), answers = [];
  const next = () => new Promise((resolve) => {
    worker.onmessage = ({ data }) => resolve(data);
    setTimeout(() => resolve({ type: "no answer" }), 10000);
  });
  const sound = { surface: "bowl", opt: "adam", lr: 0.1, momentum: 0.9,
                  beta1: 0.9, beta2: 0.999, x: 1, y: 1, steps: 10 };
  for (const m of [...messages.map((s) => ({ type: "path", setting: s })),
                   { type: "other", setting: sound }, { type: "path", setting: sound }]) {
    const reply = next();
    worker.postMessage(m);
    answers.push(await reply);
  }
  worker.terminate();
  return answers;
}"""


def test_the_widget_draws_paths_from_the_link_and_from_a_click(open_page):
    link = "surface=valley&opt=sgd&lr=0.101&steps=100&x=-2.5&y=1"
    page = open_page(f"optimisers/?{link}#optimiser")
    workers = []
    page.on("worker", lambda w: workers.append(w.url))
    page.wait_for_function(
        "() => /left the plot at step 56/"
        ".test(document.querySelector('.pg-status').textContent)"
    )
    assert page.input_value("#optimiser-lr") == "0.101"
    assert page.is_hidden("#optimiser-momentum")
    # choose Adam: its betas appear, the path converges, the URL follows
    page.select_option("#optimiser-opt", "adam")
    page.fill("#optimiser-lr", "0.3")
    page.dispatch_event("#optimiser-lr", "change")
    page.wait_for_function(
        "() => /^Step 100: loss/"
        ".test(document.querySelector('.pg-status').textContent)"
    )
    assert page.is_visible("#optimiser-beta1")
    assert "opt=adam" in urlsplit(page.url).query
    # a click on the plot moves the start
    before = page.eval_on_selector(".opt-plot", "c => c.toDataURL()")
    page.click(".opt-plot", position={"x": 300, "y": 60})
    page.wait_for_function(
        "() => document.querySelector('#optimiser-x').value !== '-2.5'"
    )
    page.wait_for_function(
        "(before) => document.querySelector('.opt-plot').toDataURL() !== before",
        arg=before,
    )
    start = float(page.input_value("#optimiser-x"))
    assert 1 < start < EXTENT
    # the worker, sent what the widget never sends, refuses each
    settings = [None, "path", *MALFORMED[3:]]
    answers = page.evaluate(WORKER_MESSAGES, settings)
    assert len(answers) == len(settings) + 2  # and a wrong type, a sound one
    assert all(a["type"] == "rejected" for a in answers[:-1])
    assert answers[-1]["type"] == "path" and answers[-1]["left"] == 0
    assert page.console_errors == [] and page.external_requests == []


# Figures ----------------------------------------------------------------------------------


def test_figures_are_on_the_page_with_alt_text_and_captions():
    check_figures("optimisers", optimiser_figures)


def test_rates_figure_shows_small_right_and_too_large(drawn):
    data = drawn("optimisers-rates")
    small, right, large = data["paths"]
    assert len(small) == len(right) == 101 and len(large) < 101
    assert losses_along("valley", right)[-1] < 1e-6
    assert losses_along("valley", small)[-1] > 0.1  # still far along
    assert max(data["rates"]) > 2 / steepest("valley") > right_rate(data)


def right_rate(data):
    return data["rates"][1]


def test_paths_figure_is_keras_and_from_scratch_alike(drawn):
    data = drawn("optimisers-paths")
    for keras_path, ours in zip(data["paths"], data["from_scratch"]):
        np.testing.assert_allclose(ours, keras_path, rtol=0, atol=1e-12)
    sgd, momentum, _ = data["settings"]
    assert sgd.lr == momentum.lr  # "at the same small rate"
    sgd_path, momentum_path, adam_path = data["paths"]

    # across the valley is x - y: SGD never crosses its floor, momentum swings
    def crossings(path):
        across = path[:, 0] - path[:, 1]
        return np.count_nonzero(across[:-1] * across[1:] < 0)

    assert crossings(sgd_path) == 0 and crossings(momentum_path) >= 5
    # Adam's first step: both weights by about the rate, across the valley
    first = adam_path[1] - adam_path[0]
    assert np.allclose(np.abs(first), 0.3, rtol=1e-3)
    assert first[0] > 0 > first[1]


# Exercises and claims ----------------------------------------------------------------------


def test_exercises_pass_with_the_worked_solutions_and_give_hints_on_the_starter():
    check_exercises("optimisers")


def momentum_beats_sgd_at_a_small_rate():
    for surface in ("valley", "tilted"):
        small = Setting(surface=surface, lr=0.02)
        sgd = losses_along(surface, from_scratch(small))[-1]
        momentum = losses_along(
            surface, from_scratch(replace(small, opt="momentum"))
        )[-1]
        assert momentum < sgd / 5, surface
    # and the sentence after it: at SGD's best rate, momentum 0.9 overshoots
    best = Setting(surface="valley", lr=0.09)
    assert (
        losses_along("valley", from_scratch(replace(best, opt="momentum")))[-1]
        > losses_along("valley", from_scratch(best))[-1]
    )


SCALE_RUN = ROOT / "benchmarks" / "optimisers_scale.json"


def a_hundredfold_gradient_wrecks_sgd_and_not_adam():
    """benchmarks/optimisers_scale.json: SGD with the loss times 100 no better
    than always guessing the commonest validation digit, on every seed, and far
    apart from SGD as it is; Adam's two scales not apart."""
    from snippets.data import load_dataset
    from snippets.uncertainty import seed_spread, separated

    report = json.loads(SCALE_RUN.read_text())
    runs = {k: seed_spread(v) for k, v in report["valid_accuracy"].items()}
    valid = load_dataset(validation_size=1000, limit=10).valid_y.argmax(axis=1)
    commonest = np.bincount(valid).max() / len(valid)
    assert max(report["valid_accuracy"]["sgd x100"]) <= commonest
    assert separated(runs["sgd x1"], runs["sgd x100"])
    assert not separated(runs["adam x1"], runs["adam x100"])
    assert report["seeds"] == list(range(5))


CLAIMS = [
    Claim(
        "With its gradient a hundred times too large, SGD ends no better than "
        "guessing on every seed; for Adam, no difference is detected at this "
        "size between the two scales",
        a_hundredfold_gradient_wrecks_sgd_and_not_adam,
    ),
    Claim(
        "At a small learning rate, momentum does better than plain gradient "
        "descent at the same rate on both valleys",
        momentum_beats_sgd_at_a_small_rate,
    ),
]


def test_the_claims_on_the_page_hold():
    check_claims("optimisers", CLAIMS)


def test_presets_on_the_page_are_sound_links():
    text = page("optimisers")
    links = re.findall(r"\]\(\?([^)#]+)#optimiser\)", text)
    assert len(links) >= 5
    runs = node({"links": links})["links"]
    for link, run in zip(links, runs):
        assert run["query"] == link, link  # taken unchanged
    # "just past 2/L": leaves the plot; "ten times too small": does not
    by_rate = {dict(parse_qsl(q))["lr"]: r for q, r in zip(links, runs)}
    assert by_rate["0.101"]["n"] < 101 and by_rate["0.009"]["n"] == 101


def test_schedules_figure_follows_the_schedule_and_smoothing_floors_the_loss(
    drawn,
):
    from snippets.fast import learning_rate_at

    data = drawn("optimisers-schedules")
    runs = {run["label"]: run for run in data["runs"]}
    assert len(runs) == 3
    for run in runs.values():
        total = len(run["rates"])
        expected = [
            float(
                learning_rate_at(k, total, data["peak"], 0.15, run["schedule"])
            )
            for k in range(total)
        ]
        np.testing.assert_allclose(run["rates"], expected)
        assert np.all(np.isfinite(run["losses"]))
        # every run learns: the last batches' loss is well under the first's
        assert run["losses"][-10:].mean() < run["losses"][:3].mean() / 2
    smoothed = [run for run in runs.values() if run["smoothing"] == 0.1]
    assert len(smoothed) == 1
    # cross-entropy is never below its target's entropy, batch by batch
    assert np.all(smoothed[0]["losses"] >= data["floor"] - 1e-6)
    # and the runs without smoothing go below that floor
    plain = [run for run in runs.values() if run["smoothing"] == 0]
    assert all(run["losses"].min() < data["floor"] for run in plain)


def test_the_smoothed_floor_is_keras_loss_at_the_target():
    import keras

    from snippets.optimisers import smoothed_floor

    target = np.full((1, 10), 0.01)
    target[0, 0] = 0.91
    loss = keras.losses.CategoricalCrossentropy(
        from_logits=True, label_smoothing=0.1
    )
    at_target = float(loss(np.eye(10)[:1], np.log(target)))
    assert at_target == pytest.approx(smoothed_floor(0.1), rel=1e-6)
    assert smoothed_floor(0.0) == 0.0


def test_the_real_slice_is_a_bowl_around_the_trained_weights(drawn):
    data = drawn("optimisers-slice")
    loss = data["loss"]
    middle = len(data["steps"]) // 2
    assert data["steps"][middle] == 0  # the trained weights themselves
    assert np.unravel_index(loss.argmin(), loss.shape) == (middle, middle)
    # rising in every direction: each edge of the plane well above the centre
    edges = np.concatenate([loss[0], loss[-1], loss[:, 0], loss[:, -1]])
    assert edges.min() > 3 * loss[middle, middle]
    # "steeper one way than the other": the plane's four edge midpoints
    across = loss[middle, [0, -1]].max(), loss[[0, -1], middle].max()
    assert max(across) > 1.5 * min(across)
