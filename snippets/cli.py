"""The command line: train, evaluate, finetune and predict with the MNIST MLP.

    python -m snippets train                       # the course's 784-256-10 network
    python -m snippets train --preset best         # deeper, wider, with dropout
    python -m snippets evaluate                    # test accuracy of the saved model
    python -m snippets finetune --from runs/mnist --checkpoint-dir runs/deeper --hidden 256 128 --new-head
    python -m snippets predict my_digit.png        # classify PNG pictures of digits

``train`` and ``evaluate`` print a readable log, then one JSON object as the last line of
standard output, for scripts. Mistakes in the arguments or the files get one line on
standard error and a non-zero exit status (2 for usage errors), never a traceback.
"""

import argparse
import json
import sys
import time
from dataclasses import asdict, replace

from snippets.checkpoint import CheckpointError
from snippets.data import DataError

DEFAULT_CHECKPOINT_DIR = "runs/mnist"


class UsageError(Exception):
    """Arguments that make no sense together; reported like argparse's own errors."""


class Parser(argparse.ArgumentParser):
    """argparse, but an error is one line (argparse prints the usage block first)."""

    def error(self, message):
        self.exit(2, f"{self.prog}: error: {message} (see --help)\n")


# --8<-- [start:validators]
def parse_number(text, convert, what):
    try:
        return convert(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected {what}, got {text!r}") from None


def positive_int(text):
    value = parse_number(text, int, "a whole number")
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be at least 1, got {value}")
    return value


def positive_float(text):
    value = parse_number(text, float, "a number")
    if not 0.0 < value < float("inf"):  # also refuses nan, for which every comparison is false
        raise argparse.ArgumentTypeError(f"must be a positive number, got {text}")
    return value


def probability(text):
    value = parse_number(text, float, "a number")
    if not 0.0 < value <= 1.0:
        raise argparse.ArgumentTypeError(f"must be in (0, 1], got {text}: 1.0 keeps every unit, "
                                         "0.5 keeps half (TF2's dropout rate is 1 - keep_prob)")
    return value


def non_negative_float(text):
    value = parse_number(text, float, "a number")
    if not 0.0 <= value < float("inf"):
        raise argparse.ArgumentTypeError(f"must be zero or positive, got {text}")
    return value
# --8<-- [end:validators]


def add_training_flags(parser):
    """Flags shared by train and finetune. Unset flags take the preset's value."""
    from snippets.train import PRESETS

    group = parser.add_argument_group("training")
    group.add_argument("--preset", choices=sorted(PRESETS), default="course",
                       help="starting settings: course (784-256-10, default) or best (deeper, dropout)")
    group.add_argument("--hidden", type=positive_int, nargs="+", metavar="WIDTH",
                       help="hidden layer widths, e.g. --hidden 256 or --hidden 512 256")
    group.add_argument("--epochs", type=positive_int, help="most epochs to train (default 20)")
    group.add_argument("--batch-size", type=positive_int, help="examples per step (default 128)")
    group.add_argument("--learning-rate", type=positive_float,
                       help="step size (default 0.001 for adam, 0.1 for sgd)")
    group.add_argument("--optimizer", choices=["adam", "sgd"], help="adam (default) or plain gradient descent")
    group.add_argument("--schedule", choices=["constant", "cosine"], help="learning-rate schedule")
    group.add_argument("--keep-prob", type=probability, help="dropout: probability of keeping a unit (1.0 = off)")
    group.add_argument("--input-keep-prob", type=probability, help="dropout on the input pixels (1.0 = off)")
    group.add_argument("--l2", type=non_negative_float, help="L2 penalty strength (0 = off)")
    group.add_argument("--patience", type=positive_int, help="early stopping: epochs without improvement")
    group.add_argument("--seed", type=int, help="seed for weights, shuffling and dropout (default 0)")
    group.add_argument("--limit", type=positive_int, help="train on the first N examples only")
    parser.add_argument("--checkpoint-dir", default=DEFAULT_CHECKPOINT_DIR,
                        help=f"where checkpoints go; an existing run there is resumed (default {DEFAULT_CHECKPOINT_DIR})")


def config_from_args(args):
    from snippets.train import DEFAULT_LEARNING_RATES, PRESETS

    config = PRESETS[args.preset]
    changes = {name: getattr(args, name) for name in
               ("epochs", "batch_size", "optimizer", "schedule", "keep_prob", "input_keep_prob", "l2", "patience", "seed", "limit")
               if getattr(args, name) is not None}
    if args.hidden is not None:
        changes["hidden"] = tuple(args.hidden)
    if args.learning_rate is not None:
        changes["learning_rate"] = args.learning_rate
    elif args.optimizer is not None and args.optimizer != config.optimizer:
        changes["learning_rate"] = DEFAULT_LEARNING_RATES[args.optimizer]
    return replace(config, **changes)


def build_parser():
    parser = Parser(prog="python -m snippets", description="Train and use an MLP on MNIST.")
    commands = parser.add_subparsers(dest="command", required=True, parser_class=Parser)

    train = commands.add_parser("train", help="train a network and save it", description="Train an MLP on MNIST.")
    add_training_flags(train)
    train.add_argument("--fast", action="store_true",
                       help="the fast trainer's fixed schedule for 784-256-10 (see snippets/fast.py); "
                            "takes only --seed and --checkpoint-dir (default runs/fast)")

    evaluate = commands.add_parser("evaluate", help="test accuracy of a saved network")
    evaluate.add_argument("--checkpoint-dir", default=DEFAULT_CHECKPOINT_DIR)

    finetune = commands.add_parser("finetune", help="start a changed network from a trained one",
                                   description="Load trained layers into a new architecture, then train it.")
    finetune.add_argument("--from", dest="source", required=True, metavar="DIR",
                          help="checkpoint directory of the trained network")
    finetune.add_argument("--new-head", action="store_true", help="start the output layer from scratch")
    finetune.add_argument("--allow-partial", action="store_true",
                          help="start saved variables whose shape changed from scratch instead of refusing")
    add_training_flags(finetune)

    predict = commands.add_parser("predict", help="classify PNG pictures of digits")
    predict.add_argument("images", nargs="+", metavar="IMAGE")
    predict.add_argument("--checkpoint-dir", default=DEFAULT_CHECKPOINT_DIR)
    return parser


def log(message):
    print(message, flush=True)


def warn(message):
    print(message, file=sys.stderr, flush=True)


def report(result, config, checkpoint_dir):
    """The last line of stdout: the results as one JSON object."""
    return {"test_accuracy": round(result.test_accuracy, 6), "test_loss": round(result.test_loss, 6),
            "epochs": len(result.history), "best_epoch": result.best_epoch, "seconds": round(result.seconds, 2),
            "resumed_from_epoch": result.resumed_from_epoch, "checkpoint_dir": str(checkpoint_dir),
            "config": asdict(config)}


TRAINING_FLAGS = ("preset", "hidden", "epochs", "batch_size", "learning_rate", "optimizer", "schedule", "keep_prob",
                  "input_keep_prob", "l2", "patience", "limit")


def run_fast(args):
    from snippets.checkpoint import save_model
    from snippets.fast import FAST, train_fast

    given = [f"--{name.replace('_', '-')}" for name in TRAINING_FLAGS
             if getattr(args, name) is not None and not (name == "preset" and args.preset == "course")]
    if given:
        raise UsageError(f"--fast uses a fixed schedule and takes only --seed and --checkpoint-dir, not {', '.join(given)}")
    checkpoint_dir = args.checkpoint_dir if args.checkpoint_dir != DEFAULT_CHECKPOINT_DIR else "runs/fast"
    config = replace(FAST, seed=args.seed or 0)
    result = train_fast(seed=config.seed, log=log)
    save_model(result.model, checkpoint_dir)
    log(f"test accuracy {result.test_accuracy:.4f}, test loss {result.test_loss:.4f} (saved in {checkpoint_dir})")
    print(json.dumps(report(result, config, checkpoint_dir)))
    return 0


def run_train(args):
    from snippets.train import train

    if args.fast:
        return run_fast(args)
    config = config_from_args(args)
    sizes = "-".join(str(size) for size in (784, *config.hidden, 10))
    log(f"training {sizes} with {config.optimizer} (learning rate {config.learning_rate}, "
        f"keep_prob {config.keep_prob}, l2 {config.l2}) for up to {config.epochs} epochs, seed {config.seed}")
    result = train(config, checkpoint_dir=args.checkpoint_dir, log=log)
    log(f"test accuracy {result.test_accuracy:.4f}, test loss {result.test_loss:.4f} "
        f"(weights of epoch {result.best_epoch}, saved in {args.checkpoint_dir})")
    print(json.dumps(report(result, config, args.checkpoint_dir)))
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
    log(f"{args.checkpoint_dir}: test accuracy {test_accuracy:.4f}, test loss {test_loss:.4f} on 10,000 images")
    print(json.dumps({"test_accuracy": round(test_accuracy, 6), "test_loss": round(test_loss, 6),
                      "epochs": trained_epochs(args.checkpoint_dir), "seconds": round(seconds, 3),
                      "checkpoint_dir": args.checkpoint_dir}))
    return 0


def run_finetune(args):
    from snippets.finetune import finetune_model
    from snippets.train import train

    config = config_from_args(args)
    model, loaded = finetune_model(args.source, hidden=config.hidden if args.hidden else None,
                                   new_head=args.new_head, allow_partial=args.allow_partial, seed=config.seed)
    config = replace(config, hidden=model.hidden)
    log(f"restored from {args.source}: {', '.join(loaded['restored']) or 'nothing'}")
    log(f"new: {', '.join(loaded['new']) or 'nothing'}")
    result = train(config, checkpoint_dir=args.checkpoint_dir, log=log, init_from=model)
    log(f"test accuracy {result.test_accuracy:.4f}, test loss {result.test_loss:.4f}")
    print(json.dumps(dict(report(result, config, args.checkpoint_dir), restored=loaded["restored"], new=loaded["new"])))
    return 0


def run_predict(args):
    import numpy as np

    from snippets.checkpoint import restore_model
    from snippets.predict import load_digit, predict

    loaded = [(path, *load_digit(path)) for path in args.images]  # check every file before any work
    model = restore_model(args.checkpoint_dir, log=warn)
    probabilities = predict(model, np.stack([pixels for _, pixels, _ in loaded]))
    for (path, _, notes), row in zip(loaded, probabilities):
        digit = int(np.argmax(row))
        for note in notes:
            print(f"note: {path}: {note}", file=sys.stderr)
        print(f"{path}: {digit} (probability {row[digit]:.3f})")
    return 0


COMMANDS = {"train": run_train, "evaluate": run_evaluate, "finetune": run_finetune, "predict": run_predict}


def main(argv=None):
    from snippets.predict import ImageError
    from snippets.train import TrainingDiverged

    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        return COMMANDS[args.command](args)
    except UsageError as error:
        parser.exit(2, f"{parser.prog} {args.command}: error: {error} (see --help)\n")
    except (DataError, CheckpointError, ImageError, TrainingDiverged) as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("interrupted; the last completed epoch is kept in the checkpoint directory", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
