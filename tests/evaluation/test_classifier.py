"""The evaluation classifier: ResNet-18's layout and size, and it learns the built-in
attributes well enough to judge translations."""

import keras
import numpy as np

from stargan_tf.cli.config_flags import resolve
from stargan_tf.cli.systems import load_data
from stargan_tf.evaluation import classifier, protocols
from stargan_tf.models.registry import REGISTRY

# torchvision's resnet18() (He et al. 2016, Table 1, 1000 classes): 11,689,512 parameters.
RESNET18_PARAMETERS = 11_689_512


def trainable(model):
    return sum(int(np.prod(v.shape)) for v in model.trainable_weights)


def test_resnet18_has_the_papers_parameter_count_and_pooled_features():
    model = classifier.resnet18(224, 1000)
    assert trainable(model) == RESNET18_PARAMETERS
    assert model.get_layer(classifier.FEATURES_LAYER).output.shape[-1] == 512
    # Small images keep their resolution in a 3x3 stem (no 7x7 stride-2 stem, no max pool).
    small = classifier.resnet18(32, 4, width=16)
    assert small.get_layer("stem").kernel.shape == (3, 3, 3, 16)
    assert small.get_layer(classifier.FEATURES_LAYER).output.shape[-1] == 128


def test_classifier_learns_the_builtin_attributes(tmp_path):
    from stargan_tf.cli.data import ensure_shapes
    from stargan_tf.cli.data_options import BuiltinDataOptions

    data = {"shapes_dir": str(tmp_path / "shapes"), "shapes_num_images": 300}  # a test split of 30
    ensure_shapes(BuiltinDataOptions(**data))
    spec = REGISTRY["stargan"]
    resolved = resolve(spec, {**spec.presets["tiny"], **data}, preset=None)
    protocol = protocols.protocol("labeled", load_data(spec, resolved, str(tmp_path / "checks")), resolved.config)
    keras.utils.set_random_seed(0)
    model = classifier.resnet18(resolved.config.image_size, len(protocol.class_names), width=8)
    classifier.train(model, protocol.classifier_dataset(32), steps=100)
    images, labels = protocol.classifier_test()
    accuracy = ((classifier.predict(model, images) >= 0.5) == (labels >= 0.5)).mean(axis=0)
    # Measured: 100% on each attribute of 30 test images after 100 steps (an untrained or
    # broken classifier: about the share of the commoner value, 50-75%).
    assert accuracy.min() >= 0.9, dict(zip(protocol.class_names, accuracy))


def test_stored_classifier_is_refused_for_other_classes(tmp_path):
    import pytest

    from stargan_tf.evaluation.errors import EvaluationError

    model = classifier.resnet18(16, 2, width=4)
    classifier.save(model, str(tmp_path), {"class_names": ["Red", "Spot"], "image_size": 16})
    loaded, info = classifier.load(str(tmp_path), ("Red", "Spot"), 16)
    np.testing.assert_array_equal(loaded.get_weights()[0], model.get_weights()[0])
    assert classifier.load(str(tmp_path / "other"), ("Red",), 16) is None
    with pytest.raises(EvaluationError, match="Red, Spot at 16 px.*Red, Blue at 16 px.*--mode=train_classifier"):
        classifier.load(str(tmp_path), ("Red", "Blue"), 16)
