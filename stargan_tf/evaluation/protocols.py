"""What each data family evaluates: the target domains, their translations of the test split
and the real images of each target, and the labelled images its classifier learns from.

Translations go through the system's serving endpoints (``serving_bundle``), the functions a
TF Serving client calls, so evaluation measures what ships and names no system:

* labelled attributes (StarGAN, SaGAN): one domain per attribute value a translation can
  aim at (``name=1``; also ``name=0`` for an attribute outside exclusive groups), the
  StarGAN paper's protocol (Sec. 5.2): every test image not already there is translated to
  it (its other attributes kept), the target is checked by the attribute classifier and
  the untouched attributes must keep the source's labels;
* two unpaired domains (U-GAT-IT, CycleGAN, DRIT): A->B and B->A over the test split, a
  domain classifier (A vs B), the U-GAT-IT paper's KID between translations and real test
  images of the target; endpoints with random codes (DRIT) draw one code per image, and
  several per image for the diversity;
* sketch | photo pairs (Contextual GAN): the test sketches completed into photos (or the
  reverse), scored against the true other halves (SSIM, PSNR) and against the real test
  halves (FID, KID); the classifier tells sketches from photos.
"""

import dataclasses
import functools

import numpy as np
import tensorflow as tf

from stargan_tf.evaluation.errors import EvaluationError
from stargan_tf.export.spec import NORMAL
from stargan_tf.pipelines.sketches import HALVES

BATCH = 32  # images translated at once


@dataclasses.dataclass
class Domain:
    """One target of the evaluation.

    Attributes:
        name: printed and used as the JSON key (``Blond_Hair=1``, ``a2b``).
        translated: float32 ``[N, S, S, 3]`` in [-1, 1], the test images translated to it.
        real: float32 ``[M, S, S, 3]``: real test images of the target (FID, KID).
        target: float32 ``[N, L]`` classifier labels the translations should have.
        checked: bool ``[L]``: the classifier outputs that define the target (accuracy).
        kept: bool ``[L]``: outputs the translation must leave as ``target`` has them (the
            source's labels of attributes the target does not touch); none for two domains.
        truth: float32 ``[N, S, S, 3]`` or None: ground truth of each translation (SSIM, PSNR).
        inputs: float32 ``[N, S, S, 3]`` or None: the images translated, where a translation
            should keep everything but its target (attribute edits: SSIM to the input).
        variations: float32 ``[K, n, S, S, 3]`` or None: K translations of the first n inputs
            under different random codes (diversity).
    """

    name: str
    translated: np.ndarray
    real: np.ndarray
    target: np.ndarray
    checked: np.ndarray
    kept: np.ndarray
    truth: np.ndarray = None
    variations: np.ndarray = None
    inputs: np.ndarray = None


def _endpoints(bundle):
    return {endpoint.name: endpoint for endpoint in bundle.endpoints}


class _Translator:
    """An endpoint's ``translate`` compiled once, called in batches; NORMAL inputs (random
    codes) are drawn from ``rng`` per image."""

    def __init__(self, endpoint, rng):
        self.endpoint, self.rng = endpoint, rng
        # A partial: TensorFlow counts the traces of functions with the same code together,
        # and every endpoint of a bundle may share its translate's code.
        self.call = tf.function(functools.partial(endpoint.translate), reduce_retracing=True,
                                autograph=False)

    def __call__(self, images, **vectors):
        outputs = []
        for start in range(0, len(images), BATCH):
            inputs = {"image": tf.constant(images[start:start + BATCH], tf.float32)}
            count = len(inputs["image"])
            for given in self.endpoint.vector_inputs:
                if given.kind == NORMAL:
                    inputs[given.name] = tf.constant(self.rng.standard_normal((count,) + tuple(given.shape)),
                                                     tf.float32)
                else:
                    inputs[given.name] = tf.constant(vectors[given.name][start:start + BATCH], tf.float32)
            result = self.call(**inputs)
            outputs.append((result["translated"] if isinstance(result, dict) else result).numpy())
        return np.concatenate(outputs) if outputs else np.zeros((0,) + images.shape[1:], np.float32)

    @property
    def random(self):
        return any(given.kind == NORMAL for given in self.endpoint.vector_inputs)


def _collect(dataset, keys):
    """Every batch of a finite dataset, concatenated per key."""
    parts = {key: [] for key in keys}
    for batch in dataset:
        for key in keys:
            parts[key].append(batch[key].numpy())
    return {key: np.concatenate(values) for key, values in parts.items()}


def _two_classes(negatives, positives):
    """``(images, labels [N, 1])``: ``negatives`` labelled 0, then ``positives`` labelled 1."""
    labels = np.concatenate([np.zeros(len(negatives)), np.ones(len(positives))]).astype(np.float32)[:, None]
    return np.concatenate([negatives, positives]), labels


def _diversity(translator, images, count, rng_images=8):
    """``[count, n, S, S, 3]``: the first ``rng_images`` inputs under ``count`` codes each."""
    chosen = images[:rng_images]
    return np.stack([translator(chosen) for _ in range(count)]) if len(chosen) else None


# ---- labelled attributes ---------------------------------------------------------------------------
class Labelled:
    """StarGAN's and SaGAN's data: images with binary attribute (or one-hot class) labels."""

    def __init__(self, data):
        self.data = data
        self.space = data.label_spaces[0]
        self.key = data.sources[0].key

    @property
    def class_names(self):
        return tuple(self.space.names)

    def classifier_dataset(self, batch_size):
        """Infinite ``(images, labels)`` of the training split."""
        dataset = self.data.sources[0].read("train", 0, batch_size).dataset
        return dataset.map(lambda batch: (batch["image"], batch["label"]))

    def test_images(self):
        return _collect(self.data.sources[0].read("test", 0, 64).dataset, ("image", "label"))

    def classifier_test(self):
        """``(images, labels)`` of the test split."""
        test = self.test_images()
        return test["image"], test["label"]

    def targets(self):
        """``(domain name, attribute, value)`` of every target a translation can aim at."""
        for name in self.space.names:
            grouped = self.space.single_label or self.space.group_of(name) is not None
            for value in (1.0,) if grouped else (1.0, 0.0):
                yield f"{name}={int(value)}", name, value

    def _condition(self, endpoint, labels):
        """The endpoint's label input for ``labels`` in this dataset's order (the other
        datasets' entries 0 and this one's mask 1 where the input has a mask vector)."""
        condition = endpoint.vector_inputs[0]
        vector = np.zeros((len(labels), condition.size), np.float32)
        for column, name in enumerate(self.space.names):
            vector[:, condition.names.index(name)] = labels[:, column]
        if f"mask_{self.key}" in condition.names:
            vector[:, condition.names.index(f"mask_{self.key}")] = 1.0
        return {condition.name: vector}

    def domains(self, bundle, limit, seed):
        endpoint = bundle.endpoints[0]
        translate = _Translator(endpoint, np.random.default_rng(seed))
        test = self.test_images()
        domains = []
        for domain, name, value in self.targets():
            column = self.space.index(name)
            sources = np.flatnonzero(test["label"][:, column] != value)[:limit]
            labels = test["label"][sources]
            target = self.space.target_for(labels, name)  # sets within a group, flips outside one
            translated = translate(test["image"][sources], **self._condition(endpoint, target))
            domains.append(Domain(domain, translated, test["image"][test["label"][:, column] == value], target,
                                  checked=np.isin(self.space.names, [name]),
                                  kept=~np.isin(self.space.names, self._group(name)), inputs=test["image"][sources]))
        return domains

    def folder_domain(self, bundle, images, real, estimate_labels, config):
        """The user's ``images`` translated to the one target of ``--target_attrs`` (set to 1,
        its exclusive group's others to 0, the rest as the classifier estimates them), scored
        against ``real``, images of that target."""
        targets = tuple(getattr(config, "target_attrs", None) or ())
        if len(targets) != 1:
            raise EvaluationError(
                "--eval_real_dir holds the images of one target: give exactly one --target_attrs "
                f"(one of {', '.join(self.space.names)}) to translate --test_image_dir to"
                + ("" if hasattr(config, "target_attrs") else "; this system has no --target_attrs, so it "
                   "evaluates its test split only (no --test_image_dir / --eval_real_dir)") + ".")
        name = targets[0]
        target = (np.asarray(estimate_labels(images)) >= 0.5).astype(np.float32)
        for other in self._group(name):
            target[:, self.space.index(other)] = 0.0
        target[:, self.space.index(name)] = 1.0
        endpoint = bundle.endpoints[0]
        translated = _Translator(endpoint, None)(images, **self._condition(endpoint, target))
        return Domain(f"{name}=1", translated, real, target, checked=np.isin(self.space.names, [name]),
                      kept=~np.isin(self.space.names, self._group(name)), inputs=images)

    def identity(self, bundle, limit):
        """(inputs, their translations to their own labels): the reconstruction a
        conditional generator should leave unchanged."""
        endpoint = bundle.endpoints[0]
        test = self.test_images()
        images, labels = test["image"][:limit], test["label"][:limit]
        return images, _Translator(endpoint, None)(images, **self._condition(endpoint, labels))

    def _group(self, name):
        if self.space.single_label:
            return self.space.names
        return self.space.group_of(name) or (name,)


# ---- two unpaired domains ---------------------------------------------------------------------------
class Unpaired:
    """U-GAT-IT's, CycleGAN's and DRIT's data: testA/testB folders; the classifier's one
    output is "this is a B image"."""

    DIVERSITY_CODES = 5

    def __init__(self, data):
        self.data = data

    @property
    def class_names(self):
        return ("B",)

    def classifier_dataset(self, batch_size):
        from stargan_tf import pipelines

        half = max(1, batch_size // 2)
        train = pipelines.unpaired_dataset(self.data.data_dir, split="train", image_size=self.data.image_size,
                                           global_batch_size=half, seed=self.data.seed,
                                           load_size=self.data.load_size).dataset
        labels = tf.concat([tf.zeros([half, 1]), tf.ones([half, 1])], axis=0)
        return train.map(lambda batch: (tf.concat([batch["image_a"], batch["image_b"]], axis=0), labels))

    def test_images(self):
        test = self.data.test_split(64)
        return _collect(test.dataset, ("image_a",))["image_a"], _collect(test.dataset_b, ("image_b",))["image_b"]

    def classifier_test(self):
        images_a, images_b = self.test_images()
        return _two_classes(images_a, images_b)

    def domains(self, bundle, limit, seed):
        endpoints = _endpoints(bundle)
        images_a, images_b = self.test_images()
        rng = np.random.default_rng(seed)
        domains = []
        for name, source, real, label in (("a2b", images_a, images_b, 1.0), ("b2a", images_b, images_a, 0.0)):
            translate = _Translator(endpoints[name], rng)
            source = source[:limit]
            domains.append(Domain(name, translate(source), real, np.full((len(source), 1), label, np.float32),
                                  np.array([True]), np.array([False]),
                                  variations=_diversity(translate, source, self.DIVERSITY_CODES) if translate.random
                                  else None))
        return domains

    def folder_domain(self, bundle, images, real, estimate_labels, config):
        """The user's ``images`` translated in ``--direction`` (a2b or b2a), scored against
        ``real``, images of the target domain."""
        if config.direction not in ("a2b", "b2a"):
            raise EvaluationError("--eval_real_dir holds the images of one target domain: give --direction=a2b "
                                  "or --direction=b2a (the way --test_image_dir's images are translated).")
        translate = _Translator(_endpoints(bundle)[config.direction], np.random.default_rng(config.seed))
        label = 1.0 if config.direction == "a2b" else 0.0
        return Domain(config.direction, translate(images), real, np.full((len(images), 1), label, np.float32),
                      np.array([True]), np.array([False]),
                      variations=_diversity(translate, images, self.DIVERSITY_CODES) if translate.random else None)

    def identity(self, bundle, limit):
        """(B images, A->B of them): CycleGAN's and U-GAT-IT's identity mapping; None for
        endpoints that need a random code (DRIT has no identity term)."""
        translate = _Translator(_endpoints(bundle)["a2b"], None)
        if translate.random:
            return None
        images = self.test_images()[1][:limit]
        return images, translate(images)


# ---- sketch | photo pairs ---------------------------------------------------------------------------
class Sketches:
    """Contextual GAN's data: joint images; the classifier's one output is "this is a photo"."""

    def __init__(self, data, direction):
        self.data, self.direction = data, direction

    @property
    def class_names(self):
        return ("photo",)

    def classifier_dataset(self, batch_size):
        size = self.data.image_size
        half = max(1, batch_size // 2)
        labels = tf.concat([tf.zeros([half, 1]), tf.ones([half, 1])], axis=0)
        joints = self.data.make_dataset(0).unbatch().batch(half, drop_remainder=True)
        return joints.map(lambda batch: (tf.concat([batch["joint"][:, :, :size], batch["joint"][:, :, size:]], 0),
                                         labels))

    def classifier_test(self):
        test = self.data.test_examples()
        return _two_classes(test["sketch"], test["photo"])

    def domains(self, bundle, limit, seed):
        known_name, other_name = HALVES[self.direction]
        test = self.data.test_examples()
        known, truth = test[known_name][:limit], test[other_name][:limit]
        translated = _Translator(_endpoints(bundle)[self.direction], None)(known)
        label = 1.0 if other_name == "photo" else 0.0
        return [Domain(self.direction, translated, test[other_name], np.full((len(known), 1), label, np.float32),
                       np.array([True]), np.array([False]), truth=truth)]

    def folder_domain(self, bundle, images, real, estimate_labels, config):
        """The user's sketches (or photos) completed, scored against ``real`` photos (or
        sketches)."""
        translated = _Translator(_endpoints(bundle)[self.direction], None)(images)
        label = 1.0 if HALVES[self.direction][1] == "photo" else 0.0
        return Domain(self.direction, translated, real, np.full((len(images), 1), label, np.float32),
                      np.array([True]), np.array([False]))

    def identity(self, bundle, limit):
        return None


def protocol(family, data, config):
    """The evaluation of a data family (``SystemSpec.data``)."""
    if family in ("labeled", "attribute"):
        return Labelled(data)
    if family == "unpaired":
        return Unpaired(data)
    if family == "sketch":
        return Sketches(data, config.direction)
    raise ValueError(f"no evaluation protocol for the data family {family!r}")
