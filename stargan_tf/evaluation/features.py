"""Feature networks for FID and KID: images in, one feature vector per image out.

Every extractor takes float32 images in [-1, 1] (uint8 arrays are read as [0, 255]),
``[N, H, W, 3]``, runs them in batches and returns ``[N, D]`` float32 features. Each has a
``name`` and a ``weights_hash`` (the first 16 hex digits of a SHA-256 of its weights) that an
evaluation records, because FIDs computed with different Inception weights or preprocessing
are not comparable (Parmar et al. 2022, "On Aliased Resizing and Surprising Subtleties in
GAN Evaluation").

- ``TFGANInception``: the network of the reference FID (TTUR, TF-GAN; pytorch-fid's weights
  are a port of it). Use it to compare with published numbers.
- ``KerasInception``: Keras' ImageNet InceptionV3; easy to get, but its FIDs are not the
  published ones.
- ``ClassifierFeatures``: a run's own domain classifier, for a domain-specific FID.
"""

import hashlib
import os

import keras
import numpy as np
import tensorflow as tf

from stargan_tf.errors import UserError

INCEPTION_SIZE = 299

KERAS_INCEPTION_FILE = "inception_v3_weights_tf_dim_ordering_tf_kernels_notop.h5"
KERAS_INCEPTION_URL = ("https://storage.googleapis.com/tensorflow/keras-applications/"
                       "inception_v3/" + KERAS_INCEPTION_FILE)
# The MD5 keras.applications.InceptionV3 checks the download against.
KERAS_INCEPTION_MD5 = "bcbd6486424b2319ff4ef7d526e38f63"

TFGAN_GRAPH_FILE = "classify_image_graph_def.pb"
TFGAN_GRAPH_URL = "http://download.tensorflow.org/models/image/imagenet/inception-2015-12-05.tgz"
TFGAN_HUB_URL = "https://tfhub.dev/tensorflow/tfgan/eval/inception/1"
TFGAN_OUTPUT = "pool_3"


def _unit_range(images):
    """Images as float32 in [-1, 1]; uint8 images are read as [0, 255]."""
    images = np.asarray(images)
    if images.ndim != 4 or images.shape[-1] != 3 or len(images) == 0:
        raise ValueError(f"images must be a non-empty [N, H, W, 3] array, got {images.shape}")
    if images.dtype == np.uint8:
        return images.astype(np.float32) / 127.5 - 1.0
    return images.astype(np.float32)


def _short_sha256(digest):
    return digest.hexdigest()[:16]


def _hash_path(path):
    """SHA-256 of a file (what ``sha256sum`` prints), or of a directory's files in sorted
    order, each preceded by its relative path (so a renamed file changes the hash)."""
    digest = hashlib.sha256()
    if os.path.isfile(path):
        files = [(None, path)]
    else:
        files = sorted((os.path.relpath(os.path.join(root, name), path), os.path.join(root, name))
                       for root, _, names in os.walk(path) for name in names)
    for relative, file_path in files:
        if relative is not None:
            digest.update(relative.encode() + b"\0")
        with open(file_path, "rb") as f:
            for chunk in iter(lambda: f.read(1 << 20), b""):
                digest.update(chunk)
    return _short_sha256(digest)


def _hash_arrays(arrays):
    """SHA-256 of the concatenated bytes of weight arrays (shape and dtype included)."""
    digest = hashlib.sha256()
    for array in arrays:
        array = np.ascontiguousarray(array)
        digest.update(f"{array.dtype.str}{array.shape}".encode())
        digest.update(array.tobytes())
    return _short_sha256(digest)


def _tfgan_inputs(images):
    """TF-GAN's ``preprocess_image`` (classifier_metrics.py): pixels in [0, 255] resized
    bilinearly to 299 x 299, then ``(x - 128) / 128``, the Inception graph's own Sub/Mul."""
    pixels = (images + 1.0) * 127.5
    pixels = tf.image.resize(pixels, [INCEPTION_SIZE, INCEPTION_SIZE], method="bilinear")
    return (pixels - 128.0) / 128.0


class FeatureExtractor:
    """Common batching; a subclass sets ``name``, ``weights_hash`` and ``_batch_fn`` (float32
    images in [-1, 1], any size -> features of any rank, flattened per image)."""

    name = None
    weights_hash = None

    def _batch_fn(self, images):
        raise NotImplementedError

    def features(self, images, batch_size=64):
        """Features ``[N, D]`` float32 of images ``[N, H, W, 3]`` in [-1, 1] (or uint8)."""
        images = _unit_range(images)
        batches = [np.asarray(self._batch_fn(tf.constant(images[start:start + batch_size])))
                   for start in range(0, len(images), batch_size)]
        return np.concatenate([b.reshape(len(b), -1) for b in batches]).astype(np.float32)

    def __repr__(self):
        return f"{type(self).__name__}(name={self.name!r}, weights_hash={self.weights_hash!r})"


class KerasInception(FeatureExtractor):
    """Keras' ImageNet InceptionV3 (Szegedy et al. 2016, "Rethinking the Inception
    Architecture"), global-average-pooled last block: 2048-d features.

    Images are resized bilinearly to 299 x 299 and stay in [-1, 1], which is what
    ``keras.applications.inception_v3.preprocess_input`` (``x / 127.5 - 1``) gives for
    [0, 255] pixels. These are not the weights of the reference FID (see ``TFGANInception``).

    Args:
        weights: ``"imagenet"`` (Keras' file, downloaded once into ``~/.keras/models/``; also
            what ``None`` or ``""``, an unset ``--inception_path``, mean) or the path of that
            file or of any InceptionV3 no-top weights file (``.h5`` or ``.weights.h5``).

    Raises:
        UserError: the weights cannot be downloaded (offline) or the file is missing or is not
            InceptionV3 no-top weights.
    """

    name = "keras_inception_v3"

    def __init__(self, weights="imagenet"):
        path = self._weights_path(weights)
        try:
            self.model = keras.applications.InceptionV3(
                include_top=False, pooling="avg", weights=path,
                input_shape=(INCEPTION_SIZE, INCEPTION_SIZE, 3))
        except (OSError, ValueError) as error:
            raise UserError(f"--inception_path {path}: not InceptionV3 no-top weights "
                            f"(expected {KERAS_INCEPTION_FILE} from {KERAS_INCEPTION_URL}): "
                            f"{error}") from error
        self.weights_hash = _hash_path(path)
        self._batch_fn = tf.function(
            self._forward, input_signature=[tf.TensorSpec([None, None, None, 3], tf.float32)], autograph=False)

    @staticmethod
    def _weights_path(weights):
        if weights not in (None, "", "imagenet"):
            path = os.path.expanduser(str(weights))
            if not os.path.isfile(path):
                raise UserError(f"--inception_path {path}: no such file; expected the Keras "
                                f"InceptionV3 weights {KERAS_INCEPTION_FILE} "
                                f"({KERAS_INCEPTION_URL})")
            return path
        try:
            # get_file returns the cached copy in ~/.keras/models/ when there is one.
            return keras.utils.get_file(KERAS_INCEPTION_FILE, KERAS_INCEPTION_URL,
                                        cache_subdir="models", file_hash=KERAS_INCEPTION_MD5)
        except Exception as error:  # get_file raises a bare Exception on a failed fetch
            raise UserError(
                f"cannot download the Keras InceptionV3 weights ({error}). Download "
                f"{KERAS_INCEPTION_FILE} from {KERAS_INCEPTION_URL} on a machine with internet "
                f"access and put it in ~/.keras/models/, or give its path with "
                f"--inception_path") from error

    def _forward(self, images):
        images = tf.image.resize(images, [INCEPTION_SIZE, INCEPTION_SIZE], method="bilinear")
        return self.model(images, training=False)


class TFGANInception(FeatureExtractor):
    """The Inception network of the reference FID (Heusel et al. 2017; TTUR's ``fid.py``,
    TF-GAN's ``frechet_inception_distance``): the 2015-12-05 ImageNet Inception graph, 2048-d
    ``pool_3`` features. pytorch-fid's ``pt_inception-2015-12-05`` weights are a port of it.

    Either form is accepted (checked against the reference code):

    - a frozen GraphDef file, ``classify_image_graph_def.pb`` from
      http://download.tensorflow.org/models/image/imagenet/inception-2015-12-05.tgz. TTUR's
      ``fid.py`` (bioinf-jku/TTUR) imports it with ``name='FID_Inception_Net'``, feeds
      ``FID_Inception_Net/ExpandDims:0`` with float images in [0, 255] of any size (the graph
      resizes to 299 x 299 and applies ``(x - 128) / 128`` in its ``Sub``/``Mul`` nodes) and
      reads ``FID_Inception_Net/pool_3:0``; so does this class, through ``input_map`` (which
      also lifts the graph's static batch size of 1, TTUR's shape-patching hack). A graph
      without ``ExpandDims`` is fed at ``Mul:0`` with TF-GAN-preprocessed 299 x 299 images,
      as tf.contrib.gan / TF-GAN's ``run_inception`` did (``INCEPTION_INPUT = 'Mul:0'``,
      ``INCEPTION_FINAL_POOL = 'pool_3:0'``, tensorflow/gan classifier_metrics.py).
    - a SavedModel directory of https://tfhub.dev/tensorflow/tfgan/eval/inception/1 (download
      it with ``?tf-hub-format=compressed`` and unpack it). TF-GAN's inception_metrics.py calls
      the loaded object on images in [-1, 1] at 299 x 299 (made by ``preprocess_image``) and
      reads the ``'pool_3'`` entry of the returned dict (``'logits'`` is the other). A
      SavedModel that is not callable is called through its ``default`` or
      ``serving_default`` signature instead.

    Args:
        path: the ``.pb`` file or the SavedModel directory.

    Raises:
        UserError: the path is missing or is neither form.
    """

    name = "tfgan_inception_2015_12_05"

    def __init__(self, path):
        path = os.path.expanduser(str(path))
        if os.path.basename(path) == "saved_model.pb":
            path = os.path.dirname(path)
        if not os.path.exists(path):
            raise UserError(f"--inception_path {path}: no such file or directory. "
                            f"{self._expected()}")
        self.path = path
        if os.path.isdir(path):
            self._batch_fn = self._load_saved_model(path)
        else:
            self._batch_fn = self._load_graph_def(path)
        # One image through, so a wrong network fails here and not in the middle of a run.
        try:
            probe = self._batch_fn(tf.zeros([1, INCEPTION_SIZE, INCEPTION_SIZE, 3]))
        except (tf.errors.OpError, ValueError, TypeError) as error:
            raise UserError(f"--inception_path {path}: cannot run it on a 299 x 299 image "
                            f"({error}). {self._expected()}") from error
        self.dim = int(np.prod(probe.shape[1:]))
        self.weights_hash = _hash_path(path)

    @staticmethod
    def _expected():
        return (f"Expected the FID Inception network: the frozen graph {TFGAN_GRAPH_FILE} "
                f"(in {TFGAN_GRAPH_URL}) or the SavedModel directory of {TFGAN_HUB_URL} "
                f"(download {TFGAN_HUB_URL}?tf-hub-format=compressed and unpack it)")

    def _load_graph_def(self, path):
        with open(path, "rb") as f:
            data = f.read()
        try:
            graph_def = tf.compat.v1.GraphDef.FromString(data)
        except Exception as error:  # protobuf's DecodeError
            raise UserError(f"--inception_path {path}: not a GraphDef ({error}). "
                            f"{self._expected()}") from error
        nodes = {node.name for node in graph_def.node}
        if TFGAN_OUTPUT not in nodes or not nodes & {"ExpandDims", "Mul"}:
            raise UserError(f"--inception_path {path}: a graph without the Inception nodes "
                            f"'{TFGAN_OUTPUT}' and 'ExpandDims' or 'Mul'. {self._expected()}")
        if "ExpandDims" in nodes:
            input_name, spec = "ExpandDims:0", tf.TensorSpec([None, None, None, 3], tf.float32)

            def preprocess(images):
                return (images + 1.0) * 127.5  # TTUR feeds [0, 255] pixels
        else:
            input_name = "Mul:0"
            spec = tf.TensorSpec([None, INCEPTION_SIZE, INCEPTION_SIZE, 3], tf.float32)
            preprocess = _tfgan_inputs

        def import_graph(images):
            # input_map replaces the decoded-JPEG batch of one with a placeholder of any
            # batch size; the graph's static shapes are re-inferred from it. The unfed JPEG
            # placeholder and the softmax's batch-of-one reshape are not on the path to
            # pool_3, so the function never runs them.
            (pool_3,) = tf.compat.v1.import_graph_def(
                graph_def, input_map={input_name: images},
                return_elements=[TFGAN_OUTPUT + ":0"], name="FID_Inception_Net")
            return pool_3

        function = tf.compat.v1.wrap_function(import_graph, [spec])
        return lambda images: function(preprocess(images))

    def _load_saved_model(self, path):
        if not any(os.path.isfile(os.path.join(path, name))
                   for name in ("saved_model.pb", "saved_model.pbtxt")):
            raise UserError(f"--inception_path {path}: a directory without saved_model.pb. "
                            f"{self._expected()}")
        try:
            loaded = tf.saved_model.load(path)
        except Exception as error:
            raise UserError(f"--inception_path {path}: cannot load the SavedModel ({error}). "
                            f"{self._expected()}") from error
        self._loaded = loaded  # the restored functions need their object alive
        if callable(loaded):
            call = loaded
        else:
            signature = next((loaded.signatures[key] for key in ("default", "serving_default")
                              if key in loaded.signatures), None)
            if signature is None:
                raise UserError(f"--inception_path {path}: a SavedModel neither callable nor with "
                                f"a 'default' signature. {self._expected()}")
            (input_name,) = signature.structured_input_signature[1]

            def call(images):
                return signature(**{input_name: images})  # signatures take keywords only

        def batch_fn(images):
            outputs = call(_tfgan_inputs(images))
            if not isinstance(outputs, dict) or TFGAN_OUTPUT not in outputs:
                raise UserError(f"--inception_path {path}: the SavedModel returns no "
                                f"'{TFGAN_OUTPUT}' output. {self._expected()}")
            return outputs[TFGAN_OUTPUT]
        return batch_fn


class ClassifierFeatures(FeatureExtractor):
    """A trained classifier's penultimate features, for a domain-specific FID: the Fréchet
    distance of Heusel et al. 2017, eq. (6), on the features of a network trained on the
    run's own domains instead of ImageNet Inception's.

    Args:
        model: a ``keras.Model`` with defined inputs (functional or Sequential) taking images.
        name: recorded in evaluation outputs (e.g. the run's name and step).
        layer: name of the layer whose output are the features; default: the input of the
            model's last ``Dense`` layer.
        preprocess: maps [-1, 1] images to the model's input; default identity.

    Images are resized bilinearly to the model's input size when it has a static one.
    """

    def __init__(self, model, name, layer=None, preprocess=None):
        if layer is not None:
            outputs = model.get_layer(layer).output
        else:
            dense = [lay for lay in model.layers if isinstance(lay, keras.layers.Dense)]
            if not dense:
                raise ValueError(f"model {model.name!r} has no Dense layer; name the feature "
                                 "layer with layer=")
            outputs = dense[-1].input
        self.model = keras.Model(model.input, outputs)
        self.name = name
        self.weights_hash = _hash_arrays(self.model.get_weights())
        self._preprocess = preprocess or (lambda images: images)
        self._size = tuple(self.model.input_shape[1:3])
        self._batch_fn = tf.function(
            self._forward, input_signature=[tf.TensorSpec([None, None, None, 3], tf.float32)], autograph=False)

    def _forward(self, images):
        if None not in self._size:
            images = tf.image.resize(images, self._size, method="bilinear")
        return self.model(self._preprocess(images), training=False)
