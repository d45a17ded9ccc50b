"""The playground: its JavaScript trainer does TensorFlow's math, and the widget works.

docs/assets/playground/trainer.js runs under Node beside its twin, snippets/playground.py
(tf.Variable in float64, tf.GradientTape, Keras 3's SGD and Adam), on the same setting: the
same data bit for bit, the same initial weights, the same weights after training, the same
decision regions pixel for pixel. The widget (playground.js) is tested in headless Chromium
on tests/playground_page.html, a bare page that needs no site build.

"Show as Keras" prints a setting as Keras 3 code (trainer.js's toKeras): the tests run that
code and check it builds the twin's network, with the twin's loss and first step.
"""

import functools
import gzip
import http.server
import re
import threading
from dataclasses import replace
from urllib.parse import parse_qsl

import markdown
import numpy as np
import pytest
from bs4 import BeautifulSoup
from conftest import csp_violations

from helpers import (
    ROOT,
    Claim,
    check_claims,
    check_no_typed_results,
    run_under_node,
    site_config,
    stated_comparisons,
)
from snippets.playground import (
    EXTENT,
    PAGES,
    PRESETS,
    Setting,
    batches_and_masks,
    cos,
    grid_points,
    log,
    make_data,
    parameters,
    parse_query,
    preset_query,
    query,
    train,
    train_and_test_over_seeds,
)
from snippets.uncertainty import seed_spread, separated

ASSETS = ROOT / "docs" / "assets" / "playground"
TRAINER = ASSETS / "trainer.js"
GRID = 48  # the decision regions are compared on a GRID x GRID grid

# Reads a JSON request on stdin, answers in JSON on stdout.
RUNNER = r"""
const p = require(process.argv[1]);
const request = JSON.parse(require("fs").readFileSync(0, "utf8"));
const flat = (arrays) => arrays.map((a) => Array.from(a));
const answer = {};
if (request.random) answer.random = request.random.map(([seed, stream, n]) => {
  const r = p.random(seed, stream);
  return Array.from({ length: n }, () => r());
});
if (request.cos) answer.cos = request.cos.map(p.cos);
if (request.log) answer.log = request.log.map(p.log);
if (request.queries) answer.queries = request.queries.map((q) => p.toQuery(p.parseQuery(q)));
answer.runs = (request.runs || []).map(({ query, steps, grid }) => {
  const t = new p.Trainer(p.parseQuery(query));
  const initial = flat([...t.net.w, ...t.net.b]);
  for (let k = 0; k < steps; k++) t.trainStep();
  return { train: { x: Array.from(t.data.train.x), y: Array.from(t.data.train.y) },
           test: { x: Array.from(t.data.test.x), y: Array.from(t.data.test.y) },
           initial, final: flat([...t.net.w, ...t.net.b]), regions: Array.from(t.regions(grid)),
           accuracy: t.evaluate("test").accuracy, step: t.step };
});
process.stdout.write(JSON.stringify(answer));
"""


def node(request):
    return run_under_node(RUNNER, TRAINER, request)


def test_prng_cos_log_and_queries_are_the_same_on_both_sides():
    from snippets.playground import Random

    cases = [(0, 1, 300), (1, 4, 300), (4294967295, 3, 50), (123456, 2, 50)]
    angles = [
        -14.1,
        -3.14159,
        -1e-3,
        0.0,
        0.5,
        2.0,
        3.5 * np.pi,
        4.5 * np.pi,
        11.0,
    ]
    values = [1e-12, 0.001, 0.3, 0.5, 0.7, 0.999999, 1.0]
    queries = [preset_query(name) for name in PRESETS]
    answer = node(
        {"random": cases, "cos": angles, "log": values, "queries": queries}
    )
    for (seed, stream, n), js in zip(cases, answer["random"]):
        rand = Random(seed, stream)
        python = [rand() for _ in range(n)]
        assert (
            python == js
        )  # exactly: the same 32-bit integers, divided by 2**32
        assert min(python) >= 0 and max(python) < 1 and len(set(python)) == n
    assert answer["cos"] == [cos(a) for a in angles]
    assert answer["log"] == [log(v) for v in values]
    # and both are the real functions, to float precision
    np.testing.assert_allclose(
        [cos(a) for a in angles], np.cos(angles), atol=1e-14
    )
    np.testing.assert_allclose(
        [log(v) for v in values], np.log(values), rtol=1e-14, atol=1e-15
    )
    assert (
        answer["queries"] == queries
    )  # JS reads and writes the query as Python does


# linear; one hidden layer; three hidden layers with dropout and L2; SGD and Adam. The
# last one has a batch size that does not divide the training set, and noise.
CASES = {
    "linear-sgd": Setting(data="xor", seed=3, lr=0.1),
    "one-layer-adam": Setting(data="circles", seed=4, hidden=(3,), opt="adam"),
    "three-layers-dropout-l2-adam": Setting(
        data="spirals",
        seed=5,
        hidden=(8, 6, 4),
        keep=0.8,
        l2=0.01,
        lr=0.01,
        batch=20,
        opt="adam",
    ),
    "three-layers-dropout-l2-sgd": Setting(
        data="gauss",
        seed=6,
        noise=0.1,
        hidden=(5, 4, 3),
        keep=0.5,
        l2=0.001,
        lr=0.1,
        batch=7,
    ),
}
STEPS = 200
# And the regularization and dropout pages' presets, for as many steps as the pages train them:
# what the twin prints there is what the widget shows at that step.
CASES.update(
    {
        name: PRESETS[name][0]
        for name in PAGES["regularization"] + PAGES["dropout"]
    }
)
STEPS_OF = {
    name: PRESETS[name][1] if name in PRESETS else STEPS for name in CASES
}


@pytest.fixture(scope="module")
def javascript_runs():
    """The JavaScript trainer's runs of every case, in one Node process."""
    runs = node(
        {
            "runs": [
                {"query": query(s), "steps": STEPS_OF[name], "grid": GRID}
                for name, s in CASES.items()
            ]
        }
    )["runs"]
    return dict(zip(CASES, runs))


@pytest.mark.parametrize("case", CASES)
def test_the_javascript_trainer_is_its_tensorflow_twin(case, javascript_runs):
    setting, js = CASES[case], javascript_runs[case]
    twin = train(setting, STEPS_OF[case])
    assert js["step"] == STEPS_OF[case]
    # identical data, bit for bit
    for part, (x, y) in (("train", twin.train), ("test", twin.test)):
        assert np.array_equal(np.reshape(js[part]["x"], (-1, 2)), x)
        assert np.array_equal(js[part]["y"], y)
        assert set(y.tolist()) == {0, 1}
    # equal initial weights; then, after training, weights that agree to 1e-4 relative
    sizes = [2, *setting.hidden, 2]
    assert len(js["initial"]) == len(twin.initial) == 2 * (len(sizes) - 1)
    for js_initial, initial, js_final, final in zip(
        js["initial"], twin.initial, js["final"], twin.parameters()
    ):
        assert np.array_equal(js_initial, initial.ravel())
        assert not np.allclose(
            final.ravel(), initial.ravel()
        )  # training moved every tensor
        np.testing.assert_allclose(
            js_final, final.ravel(), rtol=1e-4, atol=1e-12
        )
    assert sum(len(t) for t in js["final"]) == parameters(setting)
    # the same decision regions, pixel for pixel, and the same test accuracy
    regions = twin.regions(GRID)
    assert np.array_equal(js["regions"], regions)
    assert (
        0 < regions.mean() < 1
    )  # both classes appear: the comparison is not trivial
    assert js["accuracy"] == twin.accuracy()


def test_dropout_masks_and_batches_are_drawn_as_specified():
    setting = CASES["three-layers-dropout-l2-sgd"]
    index, masks = batches_and_masks(setting, 200, 60)
    assert index.shape == (60, 7)
    # an epoch is a permutation; the 4 points a batch of 7 cannot take are dropped
    assert len(set(index[:28].ravel().tolist())) == 196
    assert index.max() < 200 and index.min() >= 0
    assert [m.shape for m in masks] == [(60, 7, 5), (60, 7, 4), (60, 7, 3)]
    values = np.concatenate([m.ravel() for m in masks])
    assert set(values.tolist()) == {
        0.0,
        2.0,
    }  # dropped, or kept and scaled by 1 / keep_prob
    assert (
        abs(values.mean() - 1) < 0.1
    )  # so each unit's expected output is unchanged
    assert (
        batches_and_masks(Setting(), 200, 5)[1] == []
    )  # keep_prob 1: no masks drawn


def test_data_sets_and_grid():
    for data in ("xor", "circles", "spirals", "gauss"):
        (x, y), (tx, _) = make_data(Setting(data=data, seed=2))
        assert x.shape == tx.shape == (200, 2) and abs(y.mean() - 0.5) < 0.1
        assert np.abs(x).max() < EXTENT  # the regions show every point
    (x, y), _ = make_data(Setting(data="xor"))
    assert np.array_equal(y, (x[:, 0] * x[:, 1] < 0).astype(int))
    (x, y), _ = make_data(Setting(data="circles"))
    radius = np.hypot(x[:, 0], x[:, 1])
    assert radius[y == 0].max() <= 0.5 and radius[y == 1].min() >= 0.7
    points = grid_points(4)
    assert points[0].tolist() == pytest.approx([-0.975, 0.975]) and points[
        -1
    ].tolist() == pytest.approx([0.975, -0.975])
    with pytest.raises(ValueError, match="unknown data set"):
        make_data(Setting(data="moons"))


def test_presets_round_trip_and_tell_their_story():
    for name, (setting, steps) in PRESETS.items():
        assert parse_query(query(setting)) == setting, name
        assert set(
            dict(parse_qsl(query(setting), keep_blank_values=True))
        ) == set(Setting.__dataclass_fields__)
        assert (
            all(1 <= units <= 8 for units in setting.hidden)
            and len(setting.hidden) <= 3
        )
    assert sorted(
        name for names in PAGES.values() for name in names
    ) == sorted(PRESETS)
    assert PRESETS["linear-xor"][0].hidden == () and PRESETS["relu2-xor"][
        0
    ].hidden == (2,)
    assert parameters(PRESETS["wide"][0]) == parameters(
        PRESETS["deep"][0]
    )  # the same budget
    assert len(PRESETS["deep"][0].hidden) > len(PRESETS["wide"][0].hidden)


def link_query(href):
    assert href.startswith("?") and href.endswith("#playground"), href
    return href[1 : -len("#playground")]


@pytest.mark.parametrize("page", PAGES)
def test_fragment_embeds_the_widget_and_links_every_preset(page):
    """Each page's fragment, rendered with the site's Markdown settings: one widget, a link
    per preset with exactly the preset's query, and the twin's code run on those presets."""
    config = site_config()
    text = (ASSETS / f"{page}.md").read_text()
    html = markdown.Markdown(
        extensions=config["markdown_extensions"],
        extension_configs=config["mdx_configs"],
    ).convert(text)
    soup = BeautifulSoup(html, "html.parser")
    [widget] = soup.select("div.playground")
    assert widget["id"] == "playground"
    assert widget["data-query"] == preset_query(widget["data-preset"])
    assert widget["data-preset"] in PAGES[page]
    links = [link_query(a["href"]) for a in soup.select("a[href^='?']")]
    assert links == [preset_query(name) for name in PAGES[page]]
    code = "\n".join(re.findall(r"```python\n(.*?)```", text, re.DOTALL))
    assert all(f'"{name}"' in code for name in PAGES[page])


# What the regularization and dropout fragments say about their presets over the twin's
# seeds: the pages include the fragments, and these are their comparisons' evidence.


def over_seeds(name):
    """(training accuracy, test accuracy) of preset ``name`` on each seed."""
    return train_and_test_over_seeds(name)  # cached in this process


def gap_shrinks_on_every_seed(plain, regularized, mostly_train=False):
    def check():
        a, b = over_seeds(plain), over_seeds(regularized)
        gaps_a = [train - test for train, test in a]
        gaps_b = [train - test for train, test in b]
        assert all(gb < ga for ga, gb in zip(gaps_a, gaps_b)), (gaps_a, gaps_b)
        assert separated(seed_spread(gaps_a), seed_spread(gaps_b))
        if (
            mostly_train
        ):  # the training accuracy falls more than the test accuracy moves
            train_drop = np.mean([ta - tb for (ta, _), (tb, _) in zip(a, b)])
            test_move = np.mean([tb - ta for (_, ta), (_, tb) in zip(a, b)])
            assert train_drop > abs(test_move)

    return check


def no_test_difference(plain, regularized):
    def check():
        tests = [
            [test for _, test in over_seeds(n)] for n in (plain, regularized)
        ]
        assert not separated(*map(seed_spread, tests))

    return check


FRAGMENT_CLAIMS = {
    "regularization": [
        Claim(
            "The penalty shrinks the gap on every seed.",
            gap_shrinks_on_every_seed("overfit-gauss", "l2-gauss"),
        ),
        Claim(
            "on so few test points, no difference detected at this size",
            no_test_difference("overfit-gauss", "l2-gauss"),
        ),
    ],
    "dropout": [
        Claim(
            "Dropout shrinks the gap on every seed, mostly by lowering the "
            "training accuracy",
            gap_shrinks_on_every_seed(
                "overfit-circles", "dropout-circles", mostly_train=True
            ),
        ),
        Claim(
            "the test accuracy shows no difference detected at this size",
            no_test_difference("overfit-circles", "dropout-circles"),
        ),
    ],
}


@pytest.mark.parametrize("page", FRAGMENT_CLAIMS)
def test_the_fragments_comparisons_are_backed_over_seeds(page):
    """Each comparison in a fragment's prose is a claim whose evidence holds, over the
    twin's five seeds; and its prose types no run's number."""
    name = f"assets/playground/{page}"
    claims = FRAGMENT_CLAIMS[page]
    check_claims(name, claims)
    stated = stated_comparisons(name)
    assert stated
    for sentence in stated:
        assert any(" ".join(c.sentence.split()) in sentence for c in claims), (
            sentence
        )
    check_no_typed_results(name)


def test_mkdocs_loads_the_widget_and_does_not_build_the_fragments():
    config = site_config()
    scripts = [str(s) for s in config["extra_javascript"]]
    # the widget reads links with the trainer's own parseQuery, so trainer.js comes first
    assert scripts.index("assets/playground/trainer.js") < scripts.index(
        "assets/playground/playground.js"
    )
    assert "assets/playground/playground.css" in config["extra_css"]
    for page in PAGES:
        assert config["exclude_docs"].match_file(
            f"assets/playground/{page}.md"
        )
    assert not config["exclude_docs"].match_file(
        "assets/playground/trainer.js"
    )


def test_the_javascript_is_small_and_self_contained():
    sources = [
        (ASSETS / name).read_text() for name in ("playground.js", "trainer.js")
    ]
    size = sum(len(gzip.compress(s.encode(), 9)) for s in sources)
    # today: about 13.2 kB, of which "Show as Keras" (its code generator and box) is 1.7
    assert size < 13_500, f"{size} bytes gzipped"
    for source in sources:
        assert not re.search(
            r"https?://(?!www\.w3\.org/2000/svg)", source
        )  # nothing from other hosts
        assert not re.search(
            r"\bimport\s*\(|\bimportScripts\b|\brequire\(|\bfetch\(", source
        )


# The widget in a browser --------------------------------------------------------------------


class Quiet(http.server.SimpleHTTPRequestHandler):
    def log_message(self, format, *args):
        pass


@pytest.fixture(scope="module")
def repo_url():
    """The repository served over HTTP, for tests/playground_page.html."""
    server = http.server.ThreadingHTTPServer(
        ("127.0.0.1", 0), functools.partial(Quiet, directory=ROOT)
    )
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}/"
    server.shutdown()
    server.server_close()


def status(page):
    text = page.inner_text(".pg-status")
    step = int(re.search(r"Step (\d+)", text)[1])
    accuracy = float(re.search(r"test accuracy ([\d.]+) %", text)[1])
    return step, accuracy


def test_the_widget_trains_a_preset_in_the_browser(chromium, repo_url):
    name = "relu4-xor"
    page = chromium.new_page()
    page.set_viewport_size({"width": 1280, "height": 900})
    external, errors = [], []
    page.on(
        "request",
        lambda r: (
            not r.url.startswith(repo_url)
            and not r.url.startswith("data:")
            and external.append(r.url)
        ),
    )
    page.on("console", lambda m: m.type == "error" and errors.append(m.text))
    page.on("pageerror", lambda e: errors.append(str(e)))
    # the training runs in a worker, so the page's own thread only draws
    workers = []
    page.on("worker", lambda w: workers.append(w.url))
    try:
        page.goto(
            f"{repo_url}tests/playground_page.html?{preset_query(name)}#playground"
        )
        page.wait_for_function(
            "/Step 0:/.test(document.querySelector('.pg-status').textContent)"
        )
        # the controls show the URL's setting, and the link reproduces it
        assert (
            page.input_value("#pg0-data") == "xor"
            and page.input_value("#pg0-layers") == "1"
        )
        assert (
            page.input_value("#pg0-units0") == "4"
            and page.input_value("#pg0-opt") == "adam"
        )
        assert link_query(
            page.get_attribute(".pg-link", "href")
        ) == preset_query(name)
        units = page.locator(".pg-net canvas.pg-unit")
        assert (
            units.count() == 4
            and page.locator(".pg-net line").count() == 2 * 4 + 4 * 2
        )
        _, before = status(page)
        regions_before = page.eval_on_selector(
            ".pg-regions", "c => c.toDataURL()"
        )
        unit_before = units.nth(0).evaluate("c => c.toDataURL()")
        # Play from the keyboard, then pause the same way
        page.focus(".pg-buttons button:has-text('Play')")
        page.keyboard.press("Enter")
        page.wait_for_function(
            "+(/Step (\\d+)/.exec(document.querySelector('.pg-status').textContent) || [0, 0])[1] >= 300"
        )
        page.keyboard.press("Space")
        page.wait_for_function(
            "document.querySelector('.pg-buttons button').textContent === 'Play'"
        )
        step, after = status(page)
        assert step >= 300 and after > before and after >= 90
        assert (
            page.eval_on_selector(".pg-regions", "c => c.toDataURL()")
            != regions_before
        )
        assert units.nth(0).evaluate("c => c.toDataURL()") != unit_before
        page.wait_for_function(
            "/test accuracy/.test(document.querySelector('[aria-live]').textContent)"
        )
        assert "accuracy" in page.get_attribute(".pg-regions", "aria-label")
        # the dark palette repaints the regions on a dark background
        corner = "c => Array.from(c.getContext('2d').getImageData(1, 1, 1, 1).data.slice(0, 3))"
        light = page.eval_on_selector(".pg-regions", corner)
        page.evaluate(
            "document.body.setAttribute('data-md-color-scheme', 'slate')"
        )
        page.wait_for_function(
            f"({corner})(document.querySelector('.pg-regions')).join() !== '{','.join(map(str, light))}'"
        )
        assert sum(page.eval_on_selector(".pg-regions", corner)) < sum(light)
        # a new setting from the keyboard: the URL follows, training starts again
        page.focus("#pg0-data")
        page.select_option("#pg0-data", "circles")
        page.wait_for_function(
            "/Step 0:/.test(document.querySelector('.pg-status').textContent)"
        )
        assert "data=circles" in page.evaluate(
            "location.search"
        ) and "hidden=4" in page.evaluate("location.search")
        # a phone: no sideways scroll
        page.set_viewport_size({"width": 390, "height": 800})
        page.wait_for_function(
            "document.documentElement.scrollWidth <= document.documentElement.clientWidth"
        )
        assert [url.rsplit("/", 1)[-1] for url in workers] == ["trainer.js"]
        # a hand-edited link with values out of range falls back to sensible ones
        page.goto(
            f"{repo_url}tests/playground_page.html?data=moons&hidden=9,2&keep=0&batch=0&opt=x#playground"
        )
        page.wait_for_function(
            "/Step 0:/.test(document.querySelector('.pg-status').textContent)"
        )
        assert (
            page.input_value("#pg0-data") == "xor"
            and page.input_value("#pg0-layers") == "1"
        )
        assert (
            page.input_value("#pg0-units0") == "2"
            and page.input_value("#pg0-keep") == "1"
        )
        assert (
            page.input_value("#pg0-batch") == "1"
            and page.input_value("#pg0-opt") == "sgd"
        )
        assert errors == [] and external == []
    finally:
        page.close()


# Links and messages from others (issue 27) ---------------------------------------------------

# A link anyone can write, and the setting the playground makes of it: a key that is not the
# widget's own (inherited names included) is ignored, a count or a width that is not a whole
# number is refused (its default stays), a number that is not finite likewise, and the rest is
# clamped to the ranges the trainer stays finite in.
HOSTILE_LINKS = {
    "hidden=1.5": {"hidden": []},  # made the loss NaN before
    "hidden=1e9": {"hidden": []},
    "hidden=2,1.5,-3,0,9,3,4,5": {"hidden": [2, 3, 4]},
    "hidden=0x4": {"hidden": []},
    "lr=NaN": {"lr": 0.03},
    "lr=Infinity": {"lr": 0.03},
    "lr=-1": {"lr": 0.03},
    "lr=": {"lr": 0.03},
    "lr=1e9&l2=1e9&opt=sgd&hidden=8,8,8&batch=1": {
        "lr": 1,
        "l2": 0.1,
        "hidden": [8, 8, 8],
        "batch": 1,
    },
    "constructor=1": {},
    "__proto__[x]=1&__proto__=1&toString=1&hasOwnProperty=1&valueOf=1": {},
    "data=constructor&opt=__proto__": {"data": "xor", "opt": "sgd"},
    "points=-5": {"points": 200},
    "points=5": {"points": 10},
    "points=99999999": {"points": 1000},
    "points=1e3": {"points": 200},
    "batch=1e9": {"batch": 10},
    "batch=2.5": {"batch": 10},
    "batch=99999999999": {"batch": 200},
    "seed=-1&noise=NaN": {"seed": 0, "noise": 0},
    "seed=99999999999999999999&noise=5": {"seed": 4294967295, "noise": 1},
    "keep=0.001&l2=Infinity": {"keep": 0.1, "l2": 0},
    "keep=0&l2=-1": {"keep": 1, "l2": 0},
}
HOSTILE_STEPS = 300

HOSTILE_RUNNER = r"""
const p = require(process.argv[1]);
const request = JSON.parse(require("fs").readFileSync(0, "utf8"));
const answer = { links: request.links.map((query) => {
  const setting = p.parseQuery(query);
  const t = new p.Trainer(setting), losses = [];
  for (let k = 0; k < request.steps; k++) losses.push(t.trainStep());
  return { setting, query: p.toQuery(setting), problem: p.checkSetting(setting), losses,
           train: t.evaluate("train").loss, test: t.evaluate("test").loss };
}) };
answer.polluted = Object.prototype.x !== undefined || {}.constructor !== Object;
answer.problems = request.settings.map(p.checkSetting);
process.stdout.write(JSON.stringify(answer));
"""

# Settings the worker must reject (and, last, ones it must take).
MALFORMED_SETTINGS = [
    None,
    [],
    "data=xor",
    {"hidden": [1.5]},
    {"hidden": [9]},
    {"hidden": [1, 1, 1, 1]},
    {"hidden": "12"},
    {"lr": None},
    {"lr": 0},
    {"lr": 2},
    {"keep": 0},
    {"l2": 1},
    {"points": 10.5},
    {"points": 5},
    {"batch": 0},
    {"batch": 300},
    {"seed": -1},
    {"seed": 2**32},
    {"data": "moons"},
    {"opt": "rmsprop"},
    {"noise": "0"},
    {"constructor": 1},
    {"extra": 1},
]
SOUND_SETTINGS = [
    {},
    {
        "hidden": [8, 8, 8],
        "lr": 1,
        "l2": 0.1,
        "keep": 0.1,
        "batch": 200,
        "opt": "adam",
    },
]


@functools.cache
def hostile_runs():
    """Every hostile link and worker message run through trainer.js under Node, once."""
    request = {
        "links": list(HOSTILE_LINKS),
        "steps": HOSTILE_STEPS,
        "settings": MALFORMED_SETTINGS + SOUND_SETTINGS,
    }
    return run_under_node(HOSTILE_RUNNER, TRAINER, request, timeout=120)


def test_a_hostile_link_is_refused_or_clamped_and_the_trainer_stays_finite():
    answer = hostile_runs()
    defaults = parse_query("")
    for (link, expected), run in zip(HOSTILE_LINKS.items(), answer["links"]):
        setting = run["setting"]
        assert set(setting) == set(Setting.__dataclass_fields__), (
            link
        )  # no key of the link's own
        for key, value in {**defaults.__dict__, **expected}.items():
            want = list(value) if isinstance(value, tuple) else value
            assert setting[key] == want, (
                f"{link}: {key} is {setting[key]}, not {want}"
            )
        assert run["problem"] == "", (
            f"{link}: the worker would refuse {run['query']}: {run['problem']}"
        )
        # it trains, and the losses stay numbers
        assert len(run["losses"]) == HOSTILE_STEPS and all(
            np.isfinite(run["losses"])
        ), link
        assert np.isfinite(run["train"]) and np.isfinite(run["test"]), link
    assert not answer["polluted"]  # __proto__[x]=1 reached no prototype
    problems = answer["problems"]
    for setting, problem in zip(MALFORMED_SETTINGS, problems):
        assert problem, f"the worker would take {setting!r}"
    assert problems[len(MALFORMED_SETTINGS) :] == [""] * len(SOUND_SETTINGS)
    # and the links the site itself makes are taken unchanged
    assert all(query(parse_query(q)) == q for q in map(preset_query, PRESETS))


# The worker, sent what the widget never sends: each is answered "rejected", and a sound
# reset after them still trains.
WORKER_MESSAGES = """async (messages) => {
  const worker = new Worker("../docs/assets/playground/trainer.js");
  const answers = [];
  // a worker that says nothing fails the test (after 10 s) instead of hanging it
  const next = () => new Promise((resolve) => {
    worker.onmessage = ({ data }) => resolve(data);
    setTimeout(() => resolve({ type: "no answer" }), 10000);
  });
  for (const message of messages) {
    const reply = next();
    worker.postMessage(message);
    answers.push(await reply);
  }
  let reply = next();
  worker.postMessage({ type: "reset", setting: { hidden: [2] } });
  answers.push((await reply).type);  // "data", then a frame
  await next();
  reply = next();
  worker.postMessage({ type: "step" });
  const frame = await reply;
  answers.push([frame.type, frame.step, Number.isFinite(frame.train.loss)]);
  worker.terminate();
  return answers;
}"""


def test_the_worker_rejects_malformed_messages(chromium, repo_url):
    page = chromium.new_page()
    try:
        page.goto(f"{repo_url}tests/playground_page.html")
        messages = [
            None,
            "reset",
            {"type": "step"},
            {"type": "play"},
            {"type": "constructor"},
            {"type": "reset"},
            *({"type": "reset", "setting": s} for s in MALFORMED_SETTINGS),
        ]
        answers = page.evaluate(WORKER_MESSAGES, messages)
        for message, answer in zip(messages, answers):
            assert answer["type"] == "rejected" and answer["problem"], message
        assert answers[len(messages) :] == ["data", ["frame", 1, True]]
    finally:
        page.close()


def test_the_widget_reads_a_hostile_link_as_the_trainer_does_and_keeps_training(
    chromium, repo_url
):
    expected = hostile_runs()["links"]
    page = chromium.new_page()
    errors = []
    page.on("console", lambda m: m.type == "error" and errors.append(m.text))
    page.on("pageerror", lambda e: errors.append(str(e)))
    try:
        # The page reads links with trainer.js's own parseQuery (the test above runs every
        # link through it); in the page, three kinds: a fraction, inherited names, a huge value.
        shown = [
            "hidden=1.5",
            "__proto__[x]=1&__proto__=1&toString=1&hasOwnProperty=1&valueOf=1",
            "batch=99999999999",
        ]
        for link, run in zip(HOSTILE_LINKS, expected):
            if link not in shown:
                continue
            page.goto(
                f"{repo_url}tests/playground_page.html?data=xor&{link}#playground"
            )
            page.wait_for_function(
                "() => /Step 0:/.test(document.querySelector('.pg-status').textContent)"
            )
            # the widget's own reading of the link, as its "Link to this setting" writes it
            assert (
                link_query(page.get_attribute(".pg-link", "href"))
                == run["query"]
            ), link
            for _ in range(3):
                page.click(".pg-buttons button:has-text('Step')")
            page.wait_for_function(
                "() => /Step 3:/.test(document.querySelector('.pg-status').textContent)"
            )
            losses = re.findall(r"loss (\S+),", page.inner_text(".pg-status"))
            assert len(losses) == 2 and all(
                np.isfinite(float(v)) for v in losses
            ), link
        assert errors == []
    finally:
        page.close()


# "Show as Keras" ------------------------------------------------------------------------------

KERAS_RUNNER = r"""
const p = require(process.argv[1]);
const request = JSON.parse(require("fs").readFileSync(0, "utf8"));
process.stdout.write(JSON.stringify(request.map(([query, steps]) => {
  const setting = p.parseQuery(query);
  return { query: p.toQuery(setting), code: p.toKeras(setting, steps) };
})));
"""

# A link and the steps taken: the new presets after their steps; the linear model before any
# step; dropout, L2 and SGD with a batch that leaves a remainder; the largest values a link
# may hold; the smallest L2 and keep_prob the controls offer; and a hostile link.
KERAS_SETTINGS = {
    **{
        name: (preset_query(name), PRESETS[name][1])
        for name in PAGES["regularization"] + PAGES["dropout"]
    },
    "linear-no-step": ("data=xor&seed=3&lr=0.1", 0),
    "dropout-l2-sgd": (query(CASES["three-layers-dropout-l2-sgd"]), 200),
    "largest": (
        "hidden=8,8,8&lr=1&l2=0.1&keep=0.1&points=10&batch=10&opt=adam",
        5,
    ),
    "smallest": (
        "data=circles&points=13&batch=1&l2=0.0001&keep=0.9&hidden=1",
        1,
    ),
    "hostile": (
        "data=constructor&hidden=2,1.5,-3,0,9,3,4,5&lr=1e9&l2=1e9"
        "&keep=0.001&batch=1e9&seed=99999999999999999999&noise=5",
        7,
    ),
}


@pytest.fixture(scope="module")
def keras_code():
    """trainer.js's toKeras for every setting above, in one Node process."""
    answers = run_under_node(
        KERAS_RUNNER, TRAINER, list(KERAS_SETTINGS.values())
    )
    return dict(zip(KERAS_SETTINGS, answers))


def keras_layout(setting):
    """(layer class, units or rate, activation) of the network the twin trains."""
    layers = []
    for units in setting.hidden:
        layers.append(("Dense", units, "relu"))
        if setting.keep < 1:
            layers.append(("Dropout", 1 - setting.keep, None))
    return [*layers, ("Dense", 2, "linear")]


def twin_order(tensors, layers):
    """The twin's [weights..., biases...] as Keras lists them: kernel, bias, kernel, ..."""
    return [
        t for pair in zip(tensors[:layers], tensors[layers:]) for t in pair
    ]


@pytest.mark.parametrize("case", KERAS_SETTINGS)
def test_show_as_keras_prints_code_that_builds_the_twins_network(
    case, keras_code, monkeypatch
):
    """The printed Python runs (its model.fit recorded, not run) and builds the twin's
    network: the same layers, initialiser, dropout rate, L2 factor (the playground's
    l2 / 2 * sum(w**2) is Keras' L2(l2 / 2)), optimiser, learning rate and batches; with the
    twin's initial weights it has the twin's loss on the first batch, and (without dropout,
    whose masks Keras draws itself) takes the twin's first step."""
    import keras

    js = keras_code[case]
    steps = KERAS_SETTINGS[case][1]
    setting = parse_query(js["query"])
    code = js["code"]
    assert max(len(line) for line in code.splitlines()) <= 79
    assert f"?{js['query']}" in code.replace("\n# &", "&")
    fits = []
    monkeypatch.setattr(
        keras.Model, "fit", lambda *args, **kwargs: fits.append((args, kwargs))
    )
    names = {}
    # the code trainer.js printed for the settings above, which is what is tested
    exec(compile(code, f"show-as-keras-{case}.py", "exec"), names)  # noqa: S102
    model = names["model"]
    # the playground's own points, to 3 decimals
    (x, y), (test_x, test_y) = make_data(setting)
    for got, want in ((names["x_train"], x), (names["x_test"], test_x)):
        np.testing.assert_allclose(got, want, rtol=0, atol=5e-4 + 1e-12)
    assert np.array_equal(names["y_train"], y)
    assert np.array_equal(names["y_test"], test_y)
    # the batches: as many epochs as the steps make
    [(args, kwargs)] = fits
    batch = min(setting.batch, len(y))
    epochs = max(1, -(-steps // (len(y) // batch)))
    assert args[1:] == (names["x_train"], names["y_train"])
    assert kwargs == {
        "batch_size": batch,
        "epochs": epochs,
        "validation_data": (names["x_test"], names["y_test"]),
    }
    # the network
    assert model.input_shape == (None, 2)
    layout = []
    for layer in model.layers:
        if isinstance(layer, keras.layers.Dropout):
            layout.append(("Dropout", layer.rate, None))
            continue
        config = layer.get_config()
        layout.append(("Dense", layer.units, config["activation"]))
        initializer = config["kernel_initializer"]
        assert initializer["class_name"] == "VarianceScaling"
        he = {
            "scale": 2.0,
            "mode": "fan_in",
            "distribution": "untruncated_normal",
        }
        assert he.items() <= initializer["config"].items()
        assert config["bias_initializer"]["class_name"] == "Zeros"
        regularizer = layer.kernel_regularizer
        if setting.l2 == 0:
            assert regularizer is None
        else:
            assert isinstance(regularizer, keras.regularizers.L2)
            assert regularizer.l2 == pytest.approx(setting.l2 / 2, rel=1e-12)
        assert (
            layer.bias_regularizer is None
        )  # the playground's L2: weights only
    want = keras_layout(setting)
    assert [(k, a) for k, _, a in layout] == [(k, a) for k, _, a in want]
    assert [u for _, u, _ in layout] == pytest.approx([u for _, u, _ in want])
    # the loss and the optimiser
    loss = model.loss
    assert isinstance(loss, keras.losses.SparseCategoricalCrossentropy)
    assert loss.get_config()["from_logits"] is True
    optimizer = model.optimizer
    learning_rate = float(np.asarray(optimizer.learning_rate))
    assert learning_rate == np.float32(setting.lr)
    if setting.opt == "adam":
        assert type(optimizer) is keras.optimizers.Adam
        assert (optimizer.beta_1, optimizer.beta_2) == (0.9, 0.999)
        assert optimizer.epsilon == 1e-7 and not optimizer.amsgrad
    else:
        assert type(optimizer) is keras.optimizers.SGD
        assert optimizer.momentum == 0 and not optimizer.nesterov
    # the same numbers: the twin's first batch, from the twin's initial weights
    layers = len(setting.hidden) + 1
    plain = replace(setting, keep=1)  # Keras' Dropout is off outside training
    twin = train(plain, 1)
    model.set_weights(twin_order(twin.initial, layers))
    index, _ = batches_and_masks(setting, len(y), 1)
    batch_x, batch_y = x[index[0]], y[index[0]]
    logits = model(batch_x, training=False)
    value = model.compute_loss(
        x=batch_x, y=batch_y, y_pred=logits, training=False
    )
    assert float(value) == pytest.approx(twin.loss, rel=1e-5)
    if setting.keep == 1:
        model.train_on_batch(batch_x, batch_y)
        for got, want in zip(
            model.get_weights(), twin_order(twin.parameters(), layers)
        ):
            np.testing.assert_allclose(got, want, rtol=1e-4, atol=1e-6)


def test_show_as_keras_in_the_browser(chromium, repo_url):
    """The button opens a box with toKeras' code for the widget's setting and step, which
    follows the steps and copies to the clipboard; it adds nothing to the URL."""
    link = query(CASES["three-layers-dropout-l2-sgd"])
    expected = [
        answer["code"]
        for answer in run_under_node(
            KERAS_RUNNER, TRAINER, [[link, 0], [link, 3]]
        )
    ]
    chromium.grant_permissions(
        ["clipboard-read", "clipboard-write"], origin=repo_url.rstrip("/")
    )
    page = chromium.new_page()
    errors = []
    page.on("console", lambda m: m.type == "error" and errors.append(m.text))
    page.on("pageerror", lambda e: errors.append(str(e)))
    code = ".pg-keras code"
    try:
        page.goto(f"{repo_url}tests/playground_page.html?{link}#playground")
        page.wait_for_function(
            "() => /Step 0:/.test(document.querySelector('.pg-status').textContent)"
        )
        button = page.locator(".pg-buttons button[aria-controls='pg0-keras']")
        assert page.is_hidden(".pg-keras")
        assert button.get_attribute("aria-expanded") == "false"
        button.click()
        page.wait_for_function(
            "() => /model\\.fit/.test(document.querySelector('.pg-keras code').textContent)"
        )
        assert page.is_visible(code)
        assert page.text_content(code) == expected[0]
        assert button.get_attribute("aria-expanded") == "true"
        assert button.text_content() == "Hide Keras"
        for _ in range(3):
            page.click(".pg-buttons button:has-text('Step')")
        page.wait_for_function(
            "() => /# 3 steps of/.test(document.querySelector('.pg-keras code').textContent)"
        )
        assert page.text_content(code) == expected[1]
        # on a phone the code scrolls in its box, not the page sideways
        page.set_viewport_size({"width": 390, "height": 800})
        page.wait_for_function(
            "() => document.documentElement.scrollWidth <= document.documentElement.clientWidth"
        )
        page.click(".pg-keras button:has-text('Copy')")
        page.wait_for_function(
            "() => document.querySelector('.pg-keras button').textContent === 'Copied'"
        )
        assert (
            page.evaluate("() => navigator.clipboard.readText()")
            == expected[1]
        )
        # the button is not part of the setting: the URL and the link stay as they were
        assert page.evaluate("() => location.search") == f"?{link}"
        assert link_query(page.get_attribute(".pg-link", "href")) == link
        button.click()
        assert page.is_hidden(".pg-keras")
        assert button.text_content() == "Show as Keras"
        assert errors == []
    finally:
        page.close()


def test_show_as_keras_on_the_built_site_under_its_policy(open_page):
    """On a chapter of the built site (relu: its fragment's preset), under the pages'
    Content-Security-Policy: the button shows the code of the page's own setting."""
    [expected] = [
        answer["code"]
        for answer in run_under_node(
            KERAS_RUNNER, TRAINER, [[preset_query("relu2-xor"), 0]]
        )
    ]
    page = open_page("relu/")
    page.wait_for_function(
        "() => /Step 0:/.test(document.querySelector('.pg-status').textContent)"
    )
    page.click(".pg-buttons button:has-text('Show as Keras')")
    page.wait_for_function(
        "() => /model\\.fit/.test(document.querySelector('.pg-keras code').textContent)"
    )
    assert page.text_content(".pg-keras code") == expected
    assert csp_violations(page) == [] and page.console_errors == []
