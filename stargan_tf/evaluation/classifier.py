"""The attribute / domain classifier of the StarGAN paper's evaluation (Choi et al., CVPR
2018, Sec. 5: a ResNet-18 trained on the real images, then applied to translated ones):
the share of translations it sees in their target domain is the attribute accuracy, and
its pooled features give the domain-specific FID and KID of machines without Inception
weights (as FIDs on digits or faces use a classifier of that domain)."""

import functools
import json
import os
import weakref

import keras
import numpy as np
import tensorflow as tf

from stargan_tf.evaluation.errors import EvaluationError
from stargan_tf.training.fused_adam import FusedAdam

FEATURES_LAYER = "features"  # the pooled penultimate features (ClassifierFeatures reads them)
STAGES = 4                   # ResNet-18: four stages of two basic blocks
SMALL_IMAGES = 64            # up to this side the stem keeps the resolution (CIFAR's ResNet stem)


def _batch_norm(name):
    """PyTorch's (torchvision's ResNet) batch norm: momentum 0.1 there, 0.9 in Keras terms; Keras'
    0.99 leaves the moving statistics of a classifier trained for a few hundred steps far from
    the data's, and inference uses them."""
    return keras.layers.BatchNormalization(momentum=0.9, epsilon=1e-5, name=name)


def _basic_block(x, filters, strides, name):
    """He et al. 2016, Fig. 2 left: two 3x3 convolutions with batch norm, an identity
    shortcut (a 1x1 projection where the shape changes)."""
    shortcut = x
    y = keras.layers.Conv2D(filters, 3, strides=strides, padding="same", use_bias=False, name=f"{name}_conv1")(x)
    y = keras.layers.ReLU()(_batch_norm(name=f"{name}_bn1")(y))
    y = keras.layers.Conv2D(filters, 3, padding="same", use_bias=False, name=f"{name}_conv2")(y)
    y = _batch_norm(name=f"{name}_bn2")(y)
    if strides != 1 or x.shape[-1] != filters:
        shortcut = keras.layers.Conv2D(filters, 1, strides=strides, use_bias=False, name=f"{name}_project")(x)
        shortcut = _batch_norm(name=f"{name}_project_bn")(shortcut)
    return keras.layers.ReLU()(keras.layers.Add()([y, shortcut]))


def resnet18(image_size, num_outputs, width=64, name="classifier"):
    """ResNet-18 (He et al. 2016, Table 1) with ``num_outputs`` logits, ``width`` channels
    in the first stage (64 in the paper; doubled at each of the four stages).

    Images up to ``SMALL_IMAGES`` pixels get a 3x3 stride-1 stem without pooling (the CIFAR
    variant of the same paper, Sec. 4.2): ImageNet's 7x7 stride-2 stem and max pool would
    leave a 32-pixel image 1x1 before the last stage.

    Returns:
        a functional ``keras.Model``: images ``[B, S, S, 3]`` in [-1, 1] -> logits
        ``[B, num_outputs]``; its layer ``FEATURES_LAYER`` is the pooled ``8 * width``
        features.
    """
    images = keras.Input((image_size, image_size, 3), name="image")
    if image_size <= SMALL_IMAGES:
        x = keras.layers.Conv2D(width, 3, padding="same", use_bias=False, name="stem")(images)
        x = keras.layers.ReLU()(_batch_norm(name="stem_bn")(x))
    else:
        x = keras.layers.Conv2D(width, 7, strides=2, padding="same", use_bias=False, name="stem")(images)
        x = keras.layers.ReLU()(_batch_norm(name="stem_bn")(x))
        x = keras.layers.MaxPooling2D(3, strides=2, padding="same")(x)
    for stage in range(STAGES):
        for block in range(2):
            strides = 2 if stage and not block else 1
            x = _basic_block(x, width * 2 ** stage, strides, name=f"stage{stage + 1}_block{block + 1}")
    features = keras.layers.GlobalAveragePooling2D(name=FEATURES_LAYER)(x)
    logits = keras.layers.Dense(num_outputs, name="logits")(features)
    return keras.Model(images, logits, name=name)


def train(model, dataset, steps, learning_rate=1e-3, flip=True):
    """Train ``model`` with Adam on sigmoid cross-entropy for ``steps`` batches of
    ``dataset`` (``(images [B, S, S, 3] in [-1, 1], labels [B, L] in {0, 1})``, repeated),
    the learning rate decaying linearly to 0; random horizontal flips (the translations'
    datasets are flipped in training too). Returns the last loss."""
    optimizer = FusedAdam(learning_rate)
    optimizer.build(model.trainable_variables)
    step_index = tf.Variable(0, dtype=tf.int64)

    @functools.partial(tf.function, autograph=False)
    def step(images, labels):
        if flip:
            flips = tf.random.stateless_uniform([tf.shape(images)[0], 1, 1, 1], seed=[7, step_index]) < 0.5
            images = tf.where(flips, tf.reverse(images, axis=[2]), images)
        with tf.GradientTape() as tape:
            logits = model(images, training=True)
            loss = tf.reduce_mean(tf.nn.sigmoid_cross_entropy_with_logits(tf.cast(labels, tf.float32), logits))
        optimizer.learning_rate.assign(learning_rate * (1.0 - tf.cast(step_index, tf.float32) / steps))
        optimizer.apply(tape.gradient(loss, model.trainable_variables), model.trainable_variables)
        step_index.assign_add(1)
        return loss

    loss = None
    for images, labels in dataset.repeat().take(steps):
        loss = step(images, labels)
    return float(loss)


_PROBABILITIES = weakref.WeakKeyDictionary()  # model -> its compiled sigmoid(logits)


def predict(model, images, batch_size=64):
    """Probabilities ``[N, L]`` of ``images`` (numpy ``[N, S, S, 3]`` in [-1, 1])."""
    if model not in _PROBABILITIES:
        # The function holds the model weakly: a strong reference from the cache's value would
        # keep its key, the model, alive for good.
        held = weakref.ref(model)
        _PROBABILITIES[model] = tf.function(lambda batch: tf.sigmoid(held()(batch, training=False)),
                                            reduce_retracing=True, autograph=False)
    call = _PROBABILITIES[model]
    parts = [call(tf.constant(images[start:start + batch_size], tf.float32)).numpy()
             for start in range(0, len(images), batch_size)]
    return np.concatenate(parts) if parts else np.zeros((0, model.output_shape[-1]), np.float32)


# ---- stored with the run ------------------------------------------------------------------------
def _paths(run_dir):
    directory = os.path.join(run_dir, "classifier")
    return directory, os.path.join(directory, "classifier.keras"), os.path.join(directory, "classifier.json")


def save(model, run_dir, info):
    """Write ``model`` and ``info`` (class names, image size, test accuracy) under
    ``<run_dir>/classifier/``; returns the directory."""
    directory, model_path, info_path = _paths(run_dir)
    os.makedirs(directory, exist_ok=True)
    model.save(model_path)
    with open(info_path, "w") as handle:
        json.dump(info, handle, indent=2)
    return directory


def load(run_dir, class_names, image_size):
    """The run's classifier and its info, or None when it has none; ``EvaluationError`` when
    it was trained for other classes or another image size than the run's."""
    directory, model_path, info_path = _paths(run_dir)
    if not os.path.exists(info_path) or not os.path.exists(model_path):
        return None
    with open(info_path) as handle:
        info = json.load(handle)
    if tuple(info["class_names"]) != tuple(class_names) or info["image_size"] != image_size:
        raise EvaluationError(
            f"{directory} holds a classifier of {', '.join(info['class_names'])} at {info['image_size']} px, but "
            f"this run's data has {', '.join(class_names)} at {image_size} px: train one for it with "
            f"--mode=train_classifier (it replaces the old one).")
    return keras.models.load_model(model_path), info
