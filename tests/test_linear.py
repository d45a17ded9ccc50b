import numpy as np

from snippets.linear import LinearClassifier, accuracy, fit, parameter_count, softmax_cross_entropy, xor_data


def test_parameter_count_is_n_plus_one_times_k():
    assert parameter_count(784, 10) == 7850
    model = LinearClassifier(784, 10)
    assert sum(int(np.prod(v.shape)) for v in model.trainable_variables) == 7850


def test_cross_entropy_of_uniform_logits_is_log_k():
    loss = softmax_cross_entropy(np.zeros((4, 10), np.float32), np.eye(10, dtype=np.float32)[:4])
    assert abs(float(loss) - np.log(10)) < 1e-6


def test_linear_model_learns_mnist_but_cannot_learn_xor(small_data):
    model = fit(LinearClassifier(784, 10), small_data.train_x, small_data.train_y, epochs=3, batch_size=100)
    assert accuracy(model(small_data.test_x), small_data.test_y) > 0.85
    points, labels = xor_data()
    xor_model = fit(LinearClassifier(2, 2), points, labels, epochs=300)
    assert accuracy(xor_model(points), labels) < 0.65
