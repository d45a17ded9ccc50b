"""The short training run that more than one chapter's figures show, trained once per process.

Apart from figures/__init__.py, so that the chapters that train nothing are not drawn again
when the trainer changes (the build keys each chapter on the modules it imports:
docs/hooks/generated.py)."""

import functools


@functools.cache
def short_run(epochs, limit, validation_size):
    """The course's 784-256-10 with the plain settings, seed 0, trained for ``epochs`` on the
    first ``limit`` training images: the data and ``train``'s result. Cached, so the
    figures (and their tests) that show the same run train it once."""
    from snippets.data import load_dataset
    from snippets.train import TrainConfig, train

    data = load_dataset(validation_size=validation_size, limit=limit)
    result = train(
        TrainConfig(epochs=epochs, patience=epochs, seed=0),
        data=data,
        log=lambda message: None,
    )
    return data, result
