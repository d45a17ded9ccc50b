"""The command line: train, evaluate, finetune, predict and export with the MNIST MLP.

    python -m snippets train                       # the course's 784-256-10 network
    python -m snippets train --preset best         # 784-1024-1024-10, augmented
    python -m snippets train --fast                # the fast trainer's fixed schedule
    python -m snippets train --logdir runs/logs    # logs for TensorBoard
    python -m snippets evaluate                    # test accuracy of the saved model
    python -m snippets finetune --from runs/mnist --checkpoint-dir runs/deeper \\
        --hidden 256 128 --new-head
    python -m snippets predict my_digit.png        # classify pictures of digits
    python -m snippets export --output site-export # the network, int8, for the browser
    python -m snippets check linear                # your answers to a chapter's exercises

``train`` and ``evaluate`` print a readable log, then one JSON object as the last line of
standard output, for scripts. Mistakes in the arguments or the files, and faults of the
machine (a full disk, a folder that is not writable), get one line on standard error and
a non-zero exit status (2 for usage errors), never a traceback. Ctrl-C, SIGTERM and SIGHUP
stop training after the checkpoint being written, if any, is complete; the same command
then resumes.
"""

import ast
import contextlib
import json
import re
import shlex
import sys
import time
from dataclasses import asdict, replace
from functools import partial
from pathlib import Path

from snippets.common import (
    ExplainedError,
    Parser,
    StopRequested,
    describe_os_error,
    device_count,
    non_negative_float,
    non_negative_int,
    positive_float,
    positive_int,
    probability,
    quiet_tensorflow,
    stop_on_signals,
    worker_addresses,
)
from snippets.config import DEFAULT_LEARNING_RATES, PRESETS, FastConfig
from snippets.exercises import CHAPTERS

DEFAULT_CHECKPOINT_DIR = "runs/mnist"
WORKER_TIMEOUT = 60.0  # seconds
FAST_CHECKPOINT_DIR = "runs/fast"


# TensorFlow's server for several machines binds every network the machine is
# on, whatever address --workers gives, and asks for no password.
WORKERS_WARNING = (
    "the workers must be on a private, trusted network: TensorFlow's server "
    "listens on each worker's port on every network the machine is on, with "
    "no authentication, and anyone who can reach that port can run code on "
    "the machine. On one machine, use --devices instead."
)


class UsageError(Exception):
    """Arguments that make no sense together; reported like argparse's own
    errors.
    """


# Every field of TrainConfig but validation_size is a flag: how to read it, and
# what it means. The defaults come from the preset (see --preset); a test
# checks that this table and TrainConfig agree.
TRAINING_FLAGS = {
    "hidden": (
        positive_int,
        "hidden layer widths, e.g. --hidden 256 or --hidden 512 256",
    ),
    "epochs": (positive_int, "most epochs to train"),
    "batch_size": (positive_int, "examples per step"),
    "optimizer": (
        ("adam", "sgd", "momentum"),
        "adam; sgd for plain gradient descent; momentum for SGD with momentum 0.9",
    ),
    "learning_rate": (positive_float, "step size"),
    "schedule": (("constant", "cosine"), "learning-rate schedule"),
    "keep_prob": (
        probability,
        "dropout: probability of keeping a unit (1.0 = off)",
    ),
    "input_keep_prob": (
        probability,
        "dropout on the input pixels (1.0 = off)",
    ),
    "l2": (non_negative_float, "L2 penalty strength (0 = off)"),
    "patience": (
        positive_int,
        "early stopping: epochs without a better validation accuracy",
    ),
    "seed": (
        non_negative_int,
        "seed for the weights, the shuffling and dropout",
    ),
    "limit": (positive_int, "train on the first N training examples only"),
}


def flag(setting):
    """The flag of a setting: the name the library's functions take, said
    the command line's way (checkpoint_dir is --checkpoint-dir)."""
    return f"--{setting.replace('_', '-')}"


def said_as_flags(error):
    """A library error's message with each setting it names (its
    ``settings``: ``checkpoint_dir``, ``new_head=True``, ``hidden=(64, 32)``)
    said as its flag (``--checkpoint-dir``, ``--new-head``, ``--hidden 64
    32``). A name inside a path, a quoted key or another word stays as it
    is."""
    message = str(error)
    for setting in getattr(error, "settings", ()):
        pattern = (
            rf"(?<![\w./\"'-]){re.escape(setting)}"
            r"(?:=(\([^)]*\)|[^\s,;)]+))?(?![\w/\"'-])"
        )
        message = re.sub(pattern, partial(flag_with, setting), message)
    return message


def flag_with(setting, found):
    """``--setting`` and its value on the command line, from the Python
    literal ``found`` after "=": True is the flag alone, a tuple its items."""
    value = found[1]
    if value is None:
        return flag(setting)
    try:
        value = ast.literal_eval(value)
    except (ValueError, SyntaxError):  # a word such as FOLDER: as it is
        pass
    if value is True:
        return flag(setting)
    if isinstance(value, (tuple, list)):
        return " ".join([flag(setting), *(str(item) for item in value)])
    return f"{flag(setting)} {shlex.quote(str(value))}"


def train_command(directory):
    """The command that trains a network into ``directory``."""
    folder = shlex.quote(str(directory))
    return f"python -m snippets train {flag('checkpoint_dir')} {folder}"


def add_training_flags(parser):
    """Flags for every field of TrainConfig. Unset flags take the preset's
    value.
    """
    course = PRESETS["course"]
    group = parser.add_argument_group(
        "training (defaults: the course preset's)"
    )
    group.add_argument(
        "--preset",
        choices=sorted(PRESETS),
        default="course",
        help="starting settings: course (784-256-10, the chapter's trainer) "
        "or best (784-1024-1024-10 on augmented digits, the fast trainer)",
    )
    for name, (kind, text) in TRAINING_FLAGS.items():
        default = getattr(course, name)
        if name == "learning_rate":
            default = ", ".join(
                f"{rate:g} for {optimizer}"
                for optimizer, rate in DEFAULT_LEARNING_RATES.items()
            )
        elif name == "hidden":
            default = " ".join(str(width) for width in default)
        elif default is None:
            default = "all"
        options = (
            {"choices": kind} if isinstance(kind, tuple) else {"type": kind}
        )
        if name == "hidden":
            options.update(nargs="+", metavar="WIDTH")
        group.add_argument(
            flag(name),
            help=f"{text} (default {default})",
            **options,
        )


def add_logdir_flag(parser):
    """--logdir: where this run's logs for TensorBoard go. A place, not a
    setting: it is not in the config, so a run resumed with another --logdir
    is the same run.
    """
    parser.add_argument(
        "--logdir",
        metavar="DIR",
        help="also write each epoch's losses, accuracies, learning rate and "
        "weight histograms for TensorBoard into DIR (see them with "
        "`tensorboard --logdir DIR`; default: no logs)",
    )


def check_logdir_flag(args):
    """A --logdir that cannot be written is one line before any training."""
    if args.logdir is not None:
        from snippets.summaries import check_logdir

        check_logdir(args.logdir)


def config_from_args(args, trainer="train"):
    """The preset with the flags given applied. A FastConfig preset (best)
    takes only the flags the fast trainer has a setting for.
    """
    config = PRESETS[args.preset]
    changes = {
        name: getattr(args, name)
        for name in TRAINING_FLAGS
        if getattr(args, name) is not None
    }
    if "hidden" in changes:
        changes["hidden"] = tuple(changes["hidden"])
    if isinstance(config, FastConfig):
        if trainer != "train":
            raise UsageError(
                f"--preset {args.preset} is the fast trainer's; {trainer} "
                "trains with the chapter's trainer"
            )
        foreign = [flag(name) for name in changes if not hasattr(config, name)]
        if foreign:
            raise UsageError(
                f"--preset {args.preset} runs the fast trainer, which has no "
                f"{', '.join(foreign)}"
            )
        return replace(config, **changes)
    if args.learning_rate is None and args.optimizer not in (
        None,
        config.optimizer,
    ):
        changes["learning_rate"] = DEFAULT_LEARNING_RATES[args.optimizer]
    return replace(config, **changes)


def build_parser():
    parser = Parser(
        prog="python -m snippets", description="Train and use an MLP on MNIST."
    )
    commands = parser.add_subparsers(
        dest="command", required=True, parser_class=Parser
    )

    train = commands.add_parser(
        "train",
        help="train a network and save it",
        description="Train an MLP on MNIST.",
    )
    add_training_flags(train)
    train.add_argument(
        "--fast",
        action="store_true",
        help="the fast trainer's fixed schedule for 784-256-10 (see "
        "snippets/fast.py); takes only --seed, --checkpoint-dir "
        f"(default {FAST_CHECKPOINT_DIR}) and --logdir",
    )
    train.add_argument(
        "--checkpoint-dir",
        help="where checkpoints go; an existing run there is resumed "
        f"(default {DEFAULT_CHECKPOINT_DIR})",
    )
    add_logdir_flag(train)
    devices = train.add_argument_group(
        "more than one device (see snippets/distributed.py)"
    )
    devices.add_argument(
        "--devices",
        type=device_count,
        metavar="N",
        help="train on N devices at once, or all: N GPUs, or on a machine "
        "without GPU the CPU split into N logical devices; --batch-size "
        "stays the global batch, split among them (default: one device, "
        "the GPU if there is one)",
    )
    devices.add_argument(
        "--workers",
        type=worker_addresses,
        metavar="HOST:PORT,...",
        help="train on several machines: every one runs the same command "
        "with this same list and its own --worker-index; worker 0 writes "
        f"the checkpoints; {WORKERS_WARNING}",
    )
    devices.add_argument(
        "--worker-index",
        type=non_negative_int,
        metavar="I",
        help="this machine's place in --workers, from 0",
    )
    devices.add_argument(
        "--worker-timeout",
        type=positive_float,
        metavar="SECONDS",
        help="how long to wait for the other workers (default "
        f"{WORKER_TIMEOUT:g})",
    )

    evaluate = commands.add_parser(
        "evaluate", help="test accuracy of a saved network"
    )
    evaluate.add_argument("--checkpoint-dir", default=DEFAULT_CHECKPOINT_DIR)

    finetune = commands.add_parser(
        "finetune",
        help="start a changed network from a trained one",
        description="Load trained layers into a new architecture, then train it.",
    )
    finetune.add_argument(
        "--from",
        dest="source",
        required=True,
        metavar="DIR",
        help="checkpoint directory of the trained network",
    )
    finetune.add_argument(
        "--new-head",
        action="store_true",
        help="start the output layer from scratch",
    )
    finetune.add_argument(
        "--allow-partial",
        action="store_true",
        help="start saved variables whose shape changed from scratch "
        "instead of refusing",
    )
    add_training_flags(finetune)
    finetune.add_argument(
        "--checkpoint-dir",
        default=DEFAULT_CHECKPOINT_DIR,
        help="where the finetuned network's checkpoints go",
    )
    add_logdir_flag(finetune)

    predict = commands.add_parser(
        "predict",
        help="classify pictures of digits (PNG, JPEG, GIF, BMP, TIFF or WebP)",
    )
    predict.add_argument("images", nargs="+", metavar="IMAGE")
    predict.add_argument("--checkpoint-dir", default=DEFAULT_CHECKPOINT_DIR)

    export = commands.add_parser(
        "export",
        help="write the network for the Try it page, or for Keras and serving",
        description="--format site (the default): train the Try it page's "
        "small networks (or take one from a checkpoint), add the committed best "
        "network, export them with int8 weights and check them against "
        "TensorFlow. --format keras or saved-model: write the network of "
        "--checkpoint-dir as a Keras 3 model file (.keras) or a TensorFlow "
        "SavedModel folder, which Keras or TensorFlow load without this project.",
    )
    export.add_argument(
        "--output",
        type=Path,
        required=True,
        help="folder to write into (a .keras file for --format keras)",
    )
    export.add_argument(
        "--format",
        choices=("site", "keras", "saved-model"),
        default="site",
        help="site: int8 weights for the browser (default); keras: a .keras "
        "file; saved-model: a SavedModel with a serving signature",
    )
    export.add_argument(
        "--checkpoint-dir",
        default=DEFAULT_CHECKPOINT_DIR,
        help="the trained network for --format keras or saved-model "
        f"(default {DEFAULT_CHECKPOINT_DIR})",
    )
    export.add_argument(
        "--overwrite",
        action="store_true",
        help="replace --output if it exists (keras and saved-model)",
    )
    export.add_argument(
        "--epochs",
        type=positive_int,
        default=4,
        help="epochs to train each model (default 4)",
    )
    export.add_argument(
        "--limit",
        type=positive_int,
        help="train on the first N training images only",
    )
    export.add_argument(
        "--from",
        dest="source",
        type=Path,
        metavar="DIR",
        help="take the plain model from this checkpoint directory instead "
        "of training it",
    )
    export.add_argument(
        "--no-dropout",
        action="store_true",
        help="leave out the model trained with dropout",
    )
    export.add_argument(
        "--no-best",
        action="store_true",
        help="leave out the best network (committed in "
        "snippets/best_network by `make best-network`)",
    )
    check = commands.add_parser(
        "check",
        help="check your answers to a chapter's exercises",
        description="Run a chapter's checks on your answers in "
        "exercises/<chapter>.py, in a separate process with a time limit per "
        "exercise: one line for each, saying what passed and what differs "
        "where an answer is wrong.",
    )
    check.add_argument("chapter", choices=CHAPTERS)
    check.add_argument(
        "--file",
        type=Path,
        help="check this file instead of exercises/<chapter>.py",
    )
    check.add_argument(
        "--hint",
        action="store_true",
        help="show the formula or recipe behind each exercise that does not "
        "pass",
    )
    check.add_argument(
        "--timeout",
        type=positive_float,
        default=30.0,
        metavar="SECONDS",
        help="how long one exercise may run before it is stopped (default 30)",
    )
    return parser


def log(message):
    print(message, flush=True)


def warn(message):
    print(message, file=sys.stderr, flush=True)


def report(result, config, checkpoint_dir):
    """The last line of stdout: the results as one JSON object."""
    return {
        "test_accuracy": round(result.test_accuracy, 6),
        "test_loss": round(result.test_loss, 6),
        "epochs": len(result.history),
        "best_epoch": result.best_epoch,
        "seconds": round(result.seconds, 2),
        "resumed_from_epoch": result.resumed_from_epoch,
        "checkpoint_dir": str(checkpoint_dir),
        "config": asdict(config),
    }


def fast_config_from_args(args):
    """--fast: the fixed schedule FAST, with only the seed to choose."""
    from snippets.config import FAST

    given = ["--preset"] if args.preset != "course" else []
    given += [
        flag(name)
        for name in TRAINING_FLAGS
        if name != "seed" and getattr(args, name) is not None
    ]
    if given:
        raise UsageError(
            "--fast uses a fixed schedule and takes only --seed and "
            f"--checkpoint-dir, not {', '.join(given)}"
        )
    return replace(FAST, seed=args.seed or 0)


def run_fast(args, config, checkpoint_dir):
    from snippets.fast import resolve_compute_dtype, train_fast

    if config.limit is not None and config.limit < config.batch_size:
        raise UsageError(
            f"--limit {config.limit} is less than one batch of "
            f"{config.batch_size}; the fast trainer takes only full batches"
        )
    check_logdir_flag(args)
    sizes = "-".join(str(size) for size in (784, *config.hidden, 10))
    log(
        f"training {sizes} with the fast trainer: {config.epochs} epochs, "
        f"batch {config.batch_size}, seed {config.seed}"
    )
    result = train_fast(
        config, checkpoint_dir=checkpoint_dir, log=log, logdir=args.logdir
    )
    log(
        f"test accuracy {result.test_accuracy:.4f}, "
        f"test loss {result.test_loss:.4f} (saved in {checkpoint_dir})"
    )
    line = report(result, config, checkpoint_dir)
    # what "auto" became on this machine (measured once per process, so
    # asking again costs nothing)
    chosen = resolve_compute_dtype(config, 784, 10, log=lambda _: None)
    line["compute_dtype"] = chosen.compute_dtype
    print(json.dumps(line))
    return 0


def strategy_from_args(args, config):
    """The tf.distribute strategy that --devices and --workers ask for, or
    None for one device. Made before anything else runs on TensorFlow."""
    if args.worker_index is not None and not args.workers:
        raise UsageError("--worker-index goes with --workers")
    if args.workers and args.worker_index is None:
        raise UsageError("--workers needs this machine's --worker-index")
    if args.workers and args.worker_index >= len(args.workers):
        raise UsageError(
            f"--worker-index {args.worker_index} is not a place in "
            f"--workers, which names {len(args.workers)} (0 to "
            f"{len(args.workers) - 1})"
        )
    if args.workers and args.devices is not None:
        raise UsageError(
            "--devices goes without --workers: each worker trains on all its "
            "GPUs, or on its CPU"
        )
    if args.worker_timeout is not None and not args.workers:
        raise UsageError("--worker-timeout goes with --workers")
    if args.devices is None and not args.workers:
        return None
    from snippets.distributed import make_strategy

    strategy = make_strategy(
        args.devices,
        args.workers,
        args.worker_index or 0,
        args.worker_timeout or WORKER_TIMEOUT,
    )
    replicas = strategy.num_replicas_in_sync if strategy else 1
    if config.batch_size % replicas:
        raise UsageError(
            f"--batch-size {config.batch_size} does not split evenly among "
            f"{replicas} replicas; use a multiple of {replicas}"
        )
    return strategy


def run_train(args):
    from snippets.distributed import train_on_devices

    fast_trainer = args.fast or isinstance(PRESETS[args.preset], FastConfig)
    if fast_trainer and (args.devices is not None or args.workers):
        # checked first: no other flag would make this command line right
        asked = "--fast" if args.fast else f"--preset {args.preset}"
        raise UsageError(
            f"{asked} trains on one device, with the fast trainer; "
            "leave out --devices and --workers"
        )
    if args.fast:
        checkpoint_dir = args.checkpoint_dir or FAST_CHECKPOINT_DIR
        return run_fast(args, fast_config_from_args(args), checkpoint_dir)
    checkpoint_dir = args.checkpoint_dir or DEFAULT_CHECKPOINT_DIR
    config = config_from_args(args)
    if isinstance(config, FastConfig):
        return run_fast(args, config, checkpoint_dir)
    check_logdir_flag(args)
    if args.workers:
        log(f"warning: {WORKERS_WARNING}")
    strategy = strategy_from_args(args, config)
    sizes = "-".join(str(size) for size in (784, *config.hidden, 10))
    log(
        f"training {sizes} with {config.optimizer} "
        f"(learning rate {config.learning_rate}, "
        f"{config.schedule} schedule, keep_prob {config.keep_prob}, "
        f"l2 {config.l2}) for up to {config.epochs} epochs, seed {config.seed}"
    )
    if strategy is not None:
        log(
            f"on {strategy.num_replicas_in_sync} replicas, "
            f"{config.batch_size // strategy.num_replicas_in_sync} examples "
            f"each per step"
        )
    if args.workers:
        from snippets.distributed import lost_workers_reported

        reporting = lost_workers_reported()
    else:
        reporting = contextlib.nullcontext()
    with reporting:
        result = train_on_devices(
            strategy,
            config,
            checkpoint_dir=checkpoint_dir,
            log=log,
            logdir=args.logdir,
        )
    if args.workers and args.worker_index > 0:
        saved = "worker 0 saves them"
    else:
        saved = f"saved in {checkpoint_dir}"
    log(
        f"test accuracy {result.test_accuracy:.4f}, "
        f"test loss {result.test_loss:.4f} "
        f"(weights of epoch {result.best_epoch}, {saved})"
    )
    print(json.dumps(report(result, config, checkpoint_dir)))
    return 0


def run_evaluate(args):
    from snippets.checkpoint import restore_model, trained_epochs
    from snippets.data import load_dataset
    from snippets.train import evaluate

    model = restore_model(args.checkpoint_dir, log=warn)
    data = load_dataset()
    started = time.perf_counter()
    test_loss, test_accuracy = evaluate(model, data.test_x, data.test_y)
    seconds = time.perf_counter() - started
    log(
        f"{args.checkpoint_dir}: test accuracy {test_accuracy:.4f}, test loss "
        f"{test_loss:.4f} on 10,000 images"
    )
    print(
        json.dumps(
            {
                "test_accuracy": round(test_accuracy, 6),
                "test_loss": round(test_loss, 6),
                "epochs": trained_epochs(args.checkpoint_dir),
                "seconds": round(seconds, 3),
                "checkpoint_dir": args.checkpoint_dir,
            }
        )
    )
    return 0


def run_finetune(args):
    from snippets.finetune import finetune_model
    from snippets.train import train

    config = config_from_args(args, trainer="finetune")
    check_logdir_flag(args)
    model, loaded = finetune_model(
        args.source,
        hidden=config.hidden if args.hidden else None,
        new_head=args.new_head,
        allow_partial=args.allow_partial,
        seed=config.seed,
        log=warn,
    )
    config = replace(config, hidden=model.hidden)
    log(
        f"restored from {args.source}: "
        f"{', '.join(loaded['restored']) or 'nothing'}"
    )
    log(f"new: {', '.join(loaded['new']) or 'nothing'}")
    result = train(
        config,
        checkpoint_dir=args.checkpoint_dir,
        log=log,
        init_from=model,
        logdir=args.logdir,
    )
    log(
        f"test accuracy {result.test_accuracy:.4f}, test loss "
        f"{result.test_loss:.4f}"
    )
    print(
        json.dumps(
            dict(
                report(result, config, args.checkpoint_dir),
                restored=loaded["restored"],
                new=loaded["new"],
            )
        )
    )
    return 0


def run_predict(args):
    import numpy as np

    from snippets.checkpoint import restore_model
    from snippets.predict import load_digit, predict

    # Check every file before any work.
    loaded = [(path, *load_digit(path)) for path in args.images]
    model = restore_model(args.checkpoint_dir, log=warn)
    probabilities = predict(
        model, np.stack([pixels for _, pixels, _ in loaded])
    )
    for (path, _, notes), row in zip(loaded, probabilities):
        digit = int(np.argmax(row))
        for note in notes:
            print(f"note: {path}: {note}", file=sys.stderr)
        print(f"{path}: {digit} (probability {row[digit]:.3f})")
    return 0


def run_export(args):
    if args.format != "site":
        return run_portable_export(args)
    from snippets.export import export, summary
    from snippets.int8 import read_export

    started = time.perf_counter()
    models = ("best",) if not args.no_best else ()
    models += ("plain",) if args.no_dropout else ("plain", "dropout")
    header = export(
        args.output,
        epochs=args.epochs,
        source=args.source,
        models=models,
        limit=args.limit,
        log=log,
    )
    read_export(args.output)  # read back: checks every SHA-256
    log(f"exported to {args.output} in {time.perf_counter() - started:.0f} s")
    print(json.dumps(summary(header)))
    return 0


def run_portable_export(args):
    from snippets.checkpoint import restore_model
    from snippets.portable import write_portable

    if args.output.exists() and not args.overwrite:
        raise UsageError(
            f"{args.output} already exists; pass --overwrite to replace it"
        )
    model = restore_model(args.checkpoint_dir, log=warn)
    written = write_portable(model, args.output, args.format, args.overwrite)
    log(f"wrote {args.checkpoint_dir}'s network as {args.format} to {written}")
    return 0


def run_check(args):
    from snippets.exercises import check_chapter, default_file

    path = args.file or default_file(args.chapter)
    if args.file is None and not path.is_file():
        print(
            f"error: no file {path} in {Path.cwd()}: run from the project's "
            "folder, or pass --file"
        )
        return 1
    return check_chapter(
        args.chapter,
        path,
        timeout=args.timeout,
        hint=args.hint,
        hint_advice=f"python -m snippets check {args.chapter} --hint",
    )


COMMANDS = {
    "train": run_train,
    "evaluate": run_evaluate,
    "finetune": run_finetune,
    "predict": run_predict,
    "export": run_export,
    "check": run_check,
}


def main(argv=None):
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        with stop_on_signals():
            # check runs the reader's answers in a child process: this one needs no
            # TensorFlow, and skipping it saves seconds.
            if args.command != "check":
                quiet_tensorflow()
            return COMMANDS[args.command](args)
    except UsageError as error:
        parser.exit(
            2, f"{parser.prog} {args.command}: error: {error} (see --help)\n"
        )
    # missing data, a damaged checkpoint, a bad image...
    except ExplainedError as error:
        message = said_as_flags(error)
        untrained = getattr(error, "untrained", None)
        if untrained is not None:  # "...; train a model first"
            message = f"{message} with: {train_command(untrained)}"
        print(f"error: {message}", file=sys.stderr)
        return 1
    # a full disk, a read-only folder, a file where a folder should be
    except OSError as error:
        print(f"error: {describe_os_error(error)}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print(
            "interrupted; the last completed epoch is kept in the checkpoint "
            "directory",
            file=sys.stderr,
        )
        return 130
    except StopRequested as stop:
        print(
            f"stopped by {stop.signal_name}; the last completed epoch is "
            "kept in the checkpoint directory, and the same command resumes "
            "from it",
            file=sys.stderr,
        )
        return stop.status


def started_as_the_command(arguments=None):
    """True when Python itself was started to run the command line, as
    ``python [options] -m snippets ...``. False when another program runs it
    inside a process that goes on (``python -m cProfile -m snippets``,
    ``coverage run -m snippets``, a test calling it with runpy), and when in
    doubt. ``arguments``: Python's own command line, sys.orig_argv."""
    if arguments is None:
        arguments = getattr(sys, "orig_argv", [])
    rest = iter(arguments[1:])
    for argument in rest:
        if argument == "-m":
            return next(rest, None) == "snippets"
        if argument in ("-W", "-X"):  # an option whose value comes apart
            next(rest, None)
        elif argument in ("-c", "-") or not argument.startswith("-"):
            return False  # code, standard input or a script: no -m
    return False


if __name__ == "__main__":
    sys.exit(main())
