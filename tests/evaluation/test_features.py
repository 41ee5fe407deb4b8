"""Feature extractors on small stand-ins with the interfaces of the real networks: a frozen
graph named like classify_image_graph_def.pb, SavedModels shaped like TF-Hub's
tfgan/eval/inception/1, Keras InceptionV3 weights from a local file, a Keras classifier."""

import hashlib

import h5py
import keras
import numpy as np
import pytest
import tensorflow as tf

from stargan_tf.errors import UserError
from stargan_tf.evaluation import features as features_module
from stargan_tf.evaluation.features import (
    KERAS_INCEPTION_FILE,
    KERAS_INCEPTION_URL,
    ClassifierFeatures,
    KerasInception,
    TFGANInception,
)

WIDTH = 8  # pool_3's width in the stand-ins (2048 in Inception)


@pytest.fixture(scope="module")
def images():
    """Five 16 x 16 images in [-1, 1]; batch_size=2 below makes a partial last batch."""
    return np.random.default_rng(0).uniform(-1, 1, size=(5, 16, 16, 3)).astype(np.float32)


def tiny_kernel(seed):
    return (np.random.default_rng(seed).normal(size=(3, 3, 3, WIDTH)) * 0.1).astype(np.float32)


def tiny_pool_3(inputs, kernel):
    """The stand-in network: a strided conv, ReLU and a global mean, as [N, 1, 1, WIDTH]."""
    hidden = tf.nn.relu(tf.nn.conv2d(inputs, kernel, strides=8, padding="VALID"))
    return tf.reduce_mean(hidden, axis=[1, 2], keepdims=True)


def legacy_resize_299(pixels):
    """The graph's own resize: ResizeBilinear without half-pixel centres (TF 1 default)."""
    return tf.raw_ops.ResizeBilinear(images=pixels, size=[299, 299], align_corners=False,
                                     half_pixel_centers=False)


def write_classify_image_graph(path, kernel, ttur_input=True):
    """A frozen graph with classify_image_graph_def.pb's node names on the FID path:
    DecodeJpeg/contents -> DecodeJpeg -> Cast -> ExpandDims (batch of 1) -> ResizeBilinear
    (299) -> Sub (128) -> Mul (1/128) -> ... -> pool_3 -> pool_3/_reshape ([1, WIDTH], the
    batch-of-one reshape of the real graph) -> softmax. With ttur_input=False, TF-GAN's
    inceptionv1_for_inception_score.pb form: a plain input feeding Mul, no ExpandDims."""
    graph = tf.Graph()
    with graph.as_default():
        if ttur_input:
            contents = tf.compat.v1.placeholder(tf.string, shape=[], name="DecodeJpeg/contents")
            decoded = tf.io.decode_jpeg(contents, channels=3, name="DecodeJpeg")
            pixels = tf.expand_dims(tf.cast(decoded, tf.float32, name="Cast"), 0, name="ExpandDims")
            resized = tf.raw_ops.ResizeBilinear(images=pixels, size=[299, 299], name="ResizeBilinear")
            scaled = tf.multiply(tf.subtract(resized, 128.0, name="Sub"), 1 / 128, name="Mul")
        else:
            inputs = tf.compat.v1.placeholder(tf.float32, [1, 299, 299, 3], name="input")
            scaled = tf.multiply(inputs, 1.0, name="Mul")
        pool_3 = tf.identity(tiny_pool_3(scaled, tf.constant(kernel)), name="pool_3")
        logits = tf.reshape(pool_3, [1, WIDTH], name="pool_3/_reshape")
        tf.nn.softmax(logits, name="softmax")
    graph_def = graph.as_graph_def()
    names = {node.name for node in graph_def.node}
    assert {"pool_3", "Mul", "pool_3/_reshape"} <= names
    assert ("ExpandDims" in names) == ttur_input
    path.write_bytes(graph_def.SerializeToString())
    return path


class TinyHubInception(tf.Module):
    """Callable like tfgan/eval/inception/1: [-1, 1] images at 299 x 299 in, a dict with
    'pool_3' and 'logits' out."""

    def __init__(self, seed):
        super().__init__()
        self.kernel = tf.Variable(tiny_kernel(seed))
        self.logits_kernel = tf.Variable(np.ones((WIDTH, 3), np.float32))

    @tf.function(input_signature=[tf.TensorSpec([None, 299, 299, 3], tf.float32)])
    def __call__(self, images):
        pool_3 = tiny_pool_3(images, self.kernel)
        return {"pool_3": pool_3, "logits": tf.reshape(pool_3, [-1, WIDTH]) @ self.logits_kernel}


class TinySignatureInception(tf.Module):
    """The same network reachable only through a 'default' signature (TF 1 Hub style)."""

    def __init__(self, seed):
        super().__init__()
        self.kernel = tf.Variable(tiny_kernel(seed))

    @tf.function(input_signature=[tf.TensorSpec([None, 299, 299, 3], tf.float32, name="images")])
    def inception(self, images):
        return {"pool_3": tiny_pool_3(images, self.kernel)}


def tfgan_preprocess(images):
    """TF-GAN's preprocess_image on [0, 255] pixels: bilinear to 299, then (x - 128) / 128."""
    pixels = tf.image.resize((images + 1.0) * 127.5, [299, 299], method="bilinear")
    return (pixels - 128.0) / 128.0


def test_graph_def_fed_at_expand_dims_like_ttur(tmp_path, images):
    kernel = tiny_kernel(1)
    path = write_classify_image_graph(tmp_path / "classify_image_graph_def.pb", kernel)
    extractor = TFGANInception(str(path))
    got = extractor.features(images, batch_size=2)
    # TTUR feeds [0, 255] pixels at ExpandDims; the graph resizes and scales them itself.
    pixels = legacy_resize_299(tf.constant((images + 1.0) * 127.5))
    expected = tiny_pool_3((pixels - 128.0) / 128.0, kernel).numpy().reshape(5, WIDTH)
    assert got.shape == (5, WIDTH) and got.dtype == np.float32
    np.testing.assert_allclose(got, expected, rtol=1e-5, atol=1e-6)
    assert extractor.dim == WIDTH
    assert extractor.weights_hash == hashlib.sha256(path.read_bytes()).hexdigest()[:16]


def test_graph_def_fed_at_mul_like_tfgan(tmp_path, images):
    kernel = tiny_kernel(1)
    path = write_classify_image_graph(tmp_path / "inception.pb", kernel, ttur_input=False)
    got = TFGANInception(path).features(images, batch_size=2)
    expected = tiny_pool_3(tfgan_preprocess(tf.constant(images)), kernel).numpy().reshape(5, WIDTH)
    np.testing.assert_allclose(got, expected, rtol=1e-5, atol=1e-6)


def test_graph_def_hash_stable_across_loads_and_changes_with_weights(tmp_path):
    first = write_classify_image_graph(tmp_path / "a.pb", tiny_kernel(1))
    other = write_classify_image_graph(tmp_path / "b.pb", tiny_kernel(2))
    assert TFGANInception(first).weights_hash == TFGANInception(first).weights_hash
    assert TFGANInception(first).weights_hash != TFGANInception(other).weights_hash


@pytest.mark.parametrize("module_class", [TinyHubInception, TinySignatureInception],
                         ids=["callable", "default_signature"])
def test_saved_model_like_tfhub(tmp_path, images, module_class):
    module = module_class(seed=3)
    signatures = {"default": module.inception} if module_class is TinySignatureInception else None
    tf.saved_model.save(module, str(tmp_path / "inception"), signatures=signatures)
    extractor = TFGANInception(tmp_path / "inception")
    got = extractor.features(images, batch_size=2)
    expected = tiny_pool_3(tfgan_preprocess(tf.constant(images)), module.kernel)
    np.testing.assert_allclose(got, expected.numpy().reshape(5, WIDTH), rtol=1e-5, atol=1e-6)
    # The path of saved_model.pb itself names the same SavedModel.
    assert TFGANInception(tmp_path / "inception" / "saved_model.pb").weights_hash \
        == extractor.weights_hash


def test_saved_model_hash_changes_with_weights(tmp_path):
    for seed in (3, 4):
        tf.saved_model.save(TinyHubInception(seed), str(tmp_path / f"m{seed}"))
    assert TFGANInception(tmp_path / "m3").weights_hash != TFGANInception(tmp_path / "m4").weights_hash


def assert_names_expected_files(error):
    message = str(error.value)
    assert "classify_image_graph_def.pb" in message
    assert features_module.TFGAN_GRAPH_URL in message
    assert features_module.TFGAN_HUB_URL in message


def test_tfgan_inception_missing_path(tmp_path):
    with pytest.raises(UserError, match="no such file") as error:
        TFGANInception(tmp_path / "missing.pb")
    assert str(tmp_path / "missing.pb") in str(error.value)
    assert_names_expected_files(error)


@pytest.mark.parametrize("content", [b"\xff\xfe not a graph", b""], ids=["garbage", "empty"])
def test_tfgan_inception_refuses_a_file_that_is_not_the_graph(tmp_path, content):
    path = tmp_path / "weights.pb"
    path.write_bytes(content)
    with pytest.raises(UserError) as error:
        TFGANInception(path)
    assert_names_expected_files(error)


def test_tfgan_inception_refuses_a_directory_without_saved_model(tmp_path):
    with pytest.raises(UserError, match="without saved_model.pb") as error:
        TFGANInception(tmp_path)
    assert_names_expected_files(error)


@pytest.mark.parametrize("weights", ["imagenet", None])
def test_keras_inception_offline_names_the_weights_file(monkeypatch, weights):
    def offline(*args, **kwargs):
        # What keras.utils.get_file raises when the fetch fails: a bare Exception.
        raise Exception("URL fetch failure on https://storage.googleapis.com: None -- offline")  # noqa: TRY002

    monkeypatch.setattr(keras.utils, "get_file", offline)
    with pytest.raises(UserError) as error:
        KerasInception(weights)
    message = str(error.value)
    for text in (KERAS_INCEPTION_FILE, KERAS_INCEPTION_URL, "~/.keras/models/",
                 "--inception_path", "offline"):
        assert text in message


def test_keras_inception_missing_weights_file(tmp_path):
    with pytest.raises(UserError, match=KERAS_INCEPTION_FILE):
        KerasInception(weights=tmp_path / "missing.h5")


def test_keras_inception_refuses_a_file_that_is_not_weights(tmp_path):
    path = tmp_path / KERAS_INCEPTION_FILE
    path.write_bytes(b"not hdf5")
    with pytest.raises(UserError, match="not InceptionV3 no-top weights"):
        KerasInception(weights=path)


@pytest.mark.parametrize("file_format", ["keras3", "legacy_h5"])
def test_keras_inception_local_weights_file(tmp_path, file_format):
    reference = keras.applications.InceptionV3(include_top=False, pooling="avg", weights=None,
                                               input_shape=(299, 299, 3))
    if file_format == "keras3":
        path = tmp_path / "inception.weights.h5"
        reference.save_weights(str(path))
    else:  # the format of Keras' own ImageNet file
        from keras.src.legacy.saving import legacy_h5_format

        path = tmp_path / KERAS_INCEPTION_FILE
        with h5py.File(path, "w") as f:
            legacy_h5_format.save_weights_to_hdf5_group(f, reference)
    extractor = KerasInception(weights=str(path))
    images = np.random.default_rng(1).uniform(-1, 1, size=(2, 16, 16, 3)).astype(np.float32)
    got = extractor.features(images, batch_size=1)
    resized = tf.image.resize(images, [299, 299], method="bilinear")
    expected = reference(resized, training=False).numpy()
    assert got.shape == (2, 2048)
    np.testing.assert_allclose(got, expected, rtol=1e-4, atol=1e-5)
    assert extractor.weights_hash == hashlib.sha256(path.read_bytes()).hexdigest()[:16]


def tiny_classifier(seed):
    keras.utils.set_random_seed(seed)
    inputs = keras.Input((16, 16, 3))
    hidden = keras.layers.Conv2D(4, 3, strides=2, activation="relu", name="conv")(inputs)
    pooled = keras.layers.GlobalAveragePooling2D(name="pool")(hidden)
    return keras.Model(inputs, keras.layers.Dense(5, name="logits")(pooled))


def test_classifier_features_default_to_the_last_dense_input(images):
    model = tiny_classifier(0)
    extractor = ClassifierFeatures(model, name="domain_classifier")
    expected = keras.Model(model.input, model.get_layer("pool").output)(images).numpy()
    np.testing.assert_allclose(extractor.features(images, batch_size=2), expected, rtol=1e-5,
                               atol=1e-6)
    assert extractor.name == "domain_classifier"


def test_classifier_features_named_layer_resize_and_hash(images):
    model = tiny_classifier(0)
    extractor = ClassifierFeatures(model, name="c", layer="conv")
    large = tf.image.resize(images, [20, 20]).numpy()
    expected = keras.Model(model.input, model.get_layer("conv").output)(
        tf.image.resize(large, [16, 16])).numpy().reshape(5, -1)
    np.testing.assert_allclose(extractor.features(large, batch_size=4), expected, rtol=1e-5,
                               atol=1e-6)
    assert ClassifierFeatures(model, name="c").weights_hash \
        == ClassifierFeatures(model, name="c").weights_hash
    assert ClassifierFeatures(tiny_classifier(1), name="c").weights_hash \
        != ClassifierFeatures(model, name="c").weights_hash


def test_classifier_features_need_a_dense_layer_or_a_name():
    inputs = keras.Input((16, 16, 3))
    model = keras.Model(inputs, keras.layers.GlobalAveragePooling2D()(inputs))
    with pytest.raises(ValueError, match="no Dense layer"):
        ClassifierFeatures(model, name="c")


def test_uint8_images_are_read_as_pixels(images):
    extractor = ClassifierFeatures(tiny_classifier(0), name="c")
    pixels = np.round((images + 1.0) * 127.5).astype(np.uint8)
    np.testing.assert_allclose(extractor.features(pixels),
                               extractor.features(pixels / 127.5 - 1.0), rtol=1e-5, atol=1e-6)


def test_tfgan_inception_refuses_a_saved_model_without_pool_3(tmp_path):
    class Other(tf.Module):
        @tf.function(input_signature=[tf.TensorSpec([None, 32, 32, 3], tf.float32)])
        def __call__(self, images):
            return {"logits": tf.reduce_mean(images, axis=[1, 2])}

    tf.saved_model.save(Other(), str(tmp_path / "other"))
    with pytest.raises(UserError, match="cannot run it") as error:
        TFGANInception(tmp_path / "other")
    assert_names_expected_files(error)
