"""What each data family evaluates (``protocols``) and how one target is scored
(``evaluate``), on stand-in endpoints whose outputs say what they were asked."""

import types

import numpy as np
import pytest
import tensorflow as tf

from stargan_tf.evaluation import evaluate, protocols
from stargan_tf.evaluation.errors import EvaluationError
from stargan_tf.export.spec import NORMAL, Condition, ServingBundle, ServingEndpoint, ServingInput
from stargan_tf.pipelines.labels import LabelSpace

SIZE = 4
NAMES = ("Red", "Green", "Dark")
# Rows of (Red, Green, Dark): Red and Green form an exclusive group.
LABELS = np.array([[1, 0, 1], [0, 1, 0], [1, 0, 0], [0, 1, 1], [0, 0, 1]], np.float32)


def labelled_data(mask=False):
    images = np.arange(len(LABELS), dtype=np.float32)[:, None, None, None] * np.ones((1, SIZE, SIZE, 3), np.float32)
    images = images / 10.0  # image i is filled with i / 10: translations can be traced to their input

    class Source:
        key = "celeba"

        def read(self, split, start, batch_size):
            assert split == "test"
            dataset = tf.data.Dataset.from_tensor_slices({"image": images, "label": LABELS}).batch(batch_size)
            return types.SimpleNamespace(dataset=dataset)

    space = LabelSpace(NAMES, (("Red", "Green"),))
    return types.SimpleNamespace(label_spaces=[space], sources=[Source()]), images


def echo_bundle(names):
    """One endpoint whose output pixels are (the input's fill, then the target vector)."""
    def translate(image, target):
        fill = image[:, :1, :1, :1] * tf.ones([1, SIZE, SIZE, 1])
        return tf.concat([fill, tf.tile(target[:, None, None, :2], [1, SIZE, SIZE, 1])], axis=-1)

    endpoint = ServingEndpoint("translate", translate, inputs=(ServingInput("image"), Condition("target", len(names),
                                                                                                  names=names)))
    return ServingBundle("echo", (SIZE, SIZE), [endpoint], {})


def test_labelled_targets_follow_the_stargan_protocol():
    data, images = labelled_data()
    protocol = protocols.protocol("labeled", data, None)
    domains = {d.name: d for d in protocol.domains(echo_bundle(NAMES), limit=None, seed=0)}
    # A grouped attribute is a target at 1 only; an ungrouped one at 1 and at 0.
    assert list(domains) == ["Red=1", "Green=1", "Dark=1", "Dark=0"]
    red = domains["Red=1"]
    # The images not red already (1, 3, 4) go to red, their group partner off, Dark kept.
    np.testing.assert_allclose(red.translated[:, 0, 0, 0], [0.1, 0.3, 0.4])
    np.testing.assert_array_equal(red.target, [[1, 0, 0], [1, 0, 1], [1, 0, 1]])
    np.testing.assert_array_equal(red.translated[:, 0, 0, 1:], red.target[:, :2])
    np.testing.assert_allclose(red.real[:, 0, 0, 0], [0.0, 0.2])  # the red test images
    assert red.checked.tolist() == [True, False, False] and red.kept.tolist() == [False, False, True]
    np.testing.assert_allclose(red.inputs[:, 0, 0, 0], [0.1, 0.3, 0.4])  # what each edit should keep
    dark_off = domains["Dark=0"]
    np.testing.assert_allclose(dark_off.translated[:, 0, 0, 0], [0.0, 0.3, 0.4])
    np.testing.assert_array_equal(dark_off.target[:, 2], 0.0)
    assert dark_off.kept.tolist() == [True, True, False]
    # The identity: every image to its own labels.
    inputs, outputs = protocol.identity(echo_bundle(NAMES), limit=3)
    np.testing.assert_array_equal(outputs[:, 0, 0, 1:], LABELS[:3, :2])


def test_labelled_condition_sets_the_mask_of_its_dataset():
    """StarGAN on two datasets: the label input is [labels of each dataset..., masks]."""
    data, _ = labelled_data()
    names = ("Red", "Green", "Dark", "Happy", "mask_celeba", "mask_rafd")

    def translate(image, target):  # shows (Red, mask_celeba, mask_rafd) of the label input
        return tf.tile(tf.gather(target, [0, 4, 5], axis=1)[:, None, None, :], [1, SIZE, SIZE, 1])

    bundle = ServingBundle("both", (SIZE, SIZE), [ServingEndpoint(
        "translate", translate, inputs=(ServingInput("image"), Condition("target", len(names), names=names)))], {})
    _, outputs = protocols.protocol("labeled", data, None).identity(bundle, limit=2)
    # Red as labelled, this dataset's mask 1, the other's 0.
    np.testing.assert_array_equal(outputs[:, 0, 0], [[1, 1, 0], [0, 1, 0]])


def test_unpaired_draws_codes_and_translates_several_per_input_for_the_diversity(monkeypatch):
    images_a = np.full((12, SIZE, SIZE, 3), -0.5, np.float32)
    images_b = np.full((11, SIZE, SIZE, 3), 0.5, np.float32)
    monkeypatch.setattr(protocols.Unpaired, "test_images", lambda self: (images_a, images_b))
    code = ServingInput("attribute", NORMAL, (2,))

    def with_code(image, attribute):
        return image + attribute[:, None, None, :1]

    bundle = ServingBundle("codes", (SIZE, SIZE), [
        ServingEndpoint("a2b", with_code, inputs=(ServingInput("image"), code)),
        ServingEndpoint("b2a", lambda image: -image)], {})
    protocol = protocols.protocol("unpaired", types.SimpleNamespace(), None)
    a2b, b2a = protocol.domains(bundle, limit=None, seed=0)
    assert (a2b.name, b2a.name) == ("a2b", "b2a")
    assert len(np.unique(a2b.translated[:, 0, 0, 0])) == 12  # one code per image
    assert a2b.variations.shape == (protocols.Unpaired.DIVERSITY_CODES, 8, SIZE, SIZE, 3)
    assert not np.allclose(a2b.variations[0], a2b.variations[1])
    assert b2a.variations is None and np.allclose(b2a.translated, -0.5) and b2a.real is images_a
    np.testing.assert_array_equal(a2b.target, 1.0)
    np.testing.assert_array_equal(b2a.target, 0.0)
    assert protocol.identity(bundle, limit=None) is None  # a2b needs a code: no identity mapping
    # The same seed draws the same codes.
    again = protocol.domains(bundle, limit=None, seed=0)[0]
    np.testing.assert_array_equal(again.translated, a2b.translated)


class MeanColour:
    """A feature network: each image's mean colour, counting its calls."""

    name, weights_hash = "mean_colour", "0" * 16

    def __init__(self):
        self.calls = 0

    def features(self, images):
        self.calls += 1
        return np.asarray(images).mean(axis=(1, 2))


def domain(translated, real, **extra):
    fields = dict(name="to_red", translated=translated, real=real, target=np.ones((len(translated), 2), np.float32),
                  checked=np.array([True, False]), kept=np.array([False, True]))
    return protocols.Domain(**{**fields, **extra})


def test_score_domain_computes_each_metric_and_caches_the_real_features(tmp_path, monkeypatch):
    rng = np.random.default_rng(0)
    translated = rng.uniform(-1, 1, (24, 12, 12, 3)).astype(np.float32)
    real = rng.uniform(-1, 1, (20, 12, 12, 3)).astype(np.float32)
    verdicts = np.array([[1, 1]] * 18 + [[0, 1]] * 3 + [[1, 0]] * 3, np.float32)
    monkeypatch.setattr(evaluate.classifiers, "predict", lambda model, images: verdicts[:len(images)])
    network = MeanColour()
    cache = evaluate.RealFeatures(network, str(tmp_path))
    row = evaluate.score_domain(domain(translated, real, truth=translated, inputs=translated), network, cache,
                                object(), 10)
    from stargan_tf.evaluation import metrics

    fake, true = network.features(translated), network.features(real)
    assert row["fid"] == pytest.approx(metrics.frechet_distance(*metrics.feature_statistics(fake),
                                                                *metrics.feature_statistics(true)))
    kid, std = metrics.kernel_inception_distance(fake, true, block_size=10)
    assert (row["kid_x100"], row["kid_x100_std"]) == pytest.approx((100 * kid, 100 * std))
    assert row["accuracy"] == pytest.approx(21 / 24)  # the checked output hit in all but 3
    assert row["kept"] == pytest.approx(21 / 24)      # the kept output right in all but 3
    assert row["ssim"] == pytest.approx(1.0) and row["psnr"] == float("inf")
    assert row["input_ssim"] == pytest.approx(1.0)
    calls = network.calls
    evaluate.score_domain(domain(translated, real), network, cache, None, 10)
    assert network.calls == calls + 1  # the translations only: the real side came from the cache


def test_score_domain_refuses_too_few_images_saying_how_many(tmp_path):
    network = MeanColour()
    cache = evaluate.RealFeatures(network, str(tmp_path))
    images = np.zeros((30, 12, 12, 3), np.float32)
    with pytest.raises(EvaluationError, match="30 translated and 5 real.*at least 6 needed"):
        evaluate.score_domain(domain(images, images[:5]), network, cache, None, 10)
    with pytest.raises(EvaluationError, match="0 real test images"):
        evaluate.score_domain(domain(images, images[:0]), network, cache, None, 10)


def test_diversity_is_zero_for_identical_outputs_and_grows_with_their_spread():
    network = MeanColour()
    same = np.ones((3, 4, 12, 12, 3), np.float32) * np.linspace(0.1, 0.4, 4)[None, :, None, None, None]
    assert evaluate.diversity(network, same) == pytest.approx(0.0, abs=1e-7)
    rng = np.random.default_rng(1)
    spread = same + rng.normal(0, 0.3, same.shape[:2] + (1, 1, 3)).astype(np.float32)
    assert 0.05 < evaluate.diversity(network, spread) <= 2.0


def test_folders_are_translated_to_the_one_target_asked_for(monkeypatch):
    data, images = labelled_data()
    protocol = protocols.protocol("labeled", data, None)
    estimated = np.array([[1, 0, 1], [0, 0, 0]], np.float32)  # the classifier's view of the user's images
    config = types.SimpleNamespace(target_attrs=("Green",))
    target = protocol.folder_domain(echo_bundle(NAMES), images[:2], images, lambda x: estimated, config)
    assert target.name == "Green=1" and target.real is images
    np.testing.assert_array_equal(target.target, [[0, 1, 1], [0, 1, 0]])  # Red off, Dark as estimated
    np.testing.assert_array_equal(target.translated[:, 0, 0, 1:], target.target[:, :2])
    for wrong in (types.SimpleNamespace(target_attrs=()), types.SimpleNamespace()):
        with pytest.raises(EvaluationError, match="exactly one --target_attrs"):
            protocol.folder_domain(echo_bundle(NAMES), images, images, lambda x: estimated, wrong)
    bundle = ServingBundle("two", (SIZE, SIZE), [ServingEndpoint("a2b", lambda image: -image),
                                                 ServingEndpoint("b2a", lambda image: image)], {})
    unpaired = protocols.protocol("unpaired", types.SimpleNamespace(), None)
    a2b = unpaired.folder_domain(bundle, images, images, None, types.SimpleNamespace(direction="a2b", seed=0))
    np.testing.assert_allclose(a2b.translated, -images)
    np.testing.assert_array_equal(a2b.target, 1.0)
    with pytest.raises(EvaluationError, match="--direction=a2b or --direction=b2a"):
        unpaired.folder_domain(bundle, images, images, None, types.SimpleNamespace(direction="both", seed=0))
