"""``Translator``: one Python call from images to translations, for a trained run directory, an
exported SavedModel version or a .tflite file alike.

    from stargan_tf import Translator

    translator = Translator.load("runs/stargan/export/stargan_shapes/1")   # or a run, or a .tflite
    photos = translator.translate(["me.jpg"], target={"Blue_Shape": 1, "Red_Shape": 0,
                                                      "Green_Shape": 0, "Dark_Background": 0})

Images are file paths, PIL images or arrays (uint8 [H, W, 3] or float in [-1, 1]); each is read
as test mode and the exported model's clients read it (``export.preprocess``: EXIF
orientation, alpha on white, centre crop, resize). Conditions are keyword arguments named as
the endpoint's inputs: labels as ``{name: value}`` or a list in label order (``conditions()``
lists the names); random codes (DRIT's ``attribute``) are drawn per image from ``seed`` unless
given; other image inputs (DRIT's ``reference``) as images.

A ``{name: value}`` that leaves names out keeps them as the source image has them, estimated per
image by the model's ``attributes`` endpoint (StarGAN's D classifier; ``estimate()``): a binary
label is 1 where its score is above 0.5; a one-hot class given at 1 turns the others off, else
the likeliest class left out is the one. A .tflite file finds that estimator in
``attributes_<its precision>.tflite`` beside it. Models without one (joint-dataset StarGAN,
exports made before it existed) need every name.
"""

import functools
import json
import os

import numpy as np
from PIL import Image

from stargan_tf.errors import UserError
from stargan_tf.export import preprocess
from stargan_tf.export.contract import METADATA_ASSET
from stargan_tf.export.images import to_pixels
from stargan_tf.export.spec import ATTRIBUTES, BINARY, IMAGE, MASK, NORMAL, ONE_HOT, SCORES


class Translator:
    """A trained generator behind its serving contract (the endpoints the export declares:
    each input's name, kind, shape and entry names).

    Attributes:
        form: ``"run"``, ``"saved_model"`` or ``"tflite"``.
        endpoints: ``{name: {"inputs": [...], "outputs": [...]}}`` as the export's metadata.
        image_size: (height, width) the model reads.
        load_size: (height, width) files and PIL images are resized to before the centre crop
            to ``image_size`` (the export's ``load_size``; equal to it for most systems).
    """

    def __init__(self, form, endpoints, image_size, call, estimator=None, load_size=None):
        """``estimator``: the metadata of the ``attributes`` endpoint (``_call`` runs it), if any;
        ``load_size``: None where it equals ``image_size``."""
        self.form, self.endpoints, self.image_size, self._call = form, endpoints, tuple(image_size), call
        self.load_size = self.image_size if load_size is None else tuple(load_size)
        # Its scores output: the name and the label names it estimates.
        self._scored = next(o for o in estimator["outputs"] if o["kind"] == SCORES) if estimator else None

    # ---- loading ------------------------------------------------------------------------
    @classmethod
    def load(cls, path, **flags):
        """A run directory (``flags``: main.py flags its data needs, e.g. ``shapes_dir``), a
        SavedModel version folder (``export/<model>/<version>``) or one of its .tflite files."""
        path = os.fspath(path)
        if path.endswith(".tflite"):
            return cls._tflite(path)
        if os.path.isfile(os.path.join(path, "saved_model.pb")):
            return cls._saved_model(path)
        if os.path.isfile(os.path.join(path, "run_config.json")):
            return cls._run(path, flags)
        raise UserError(f"{path}: not a run directory (run_config.json), an exported SavedModel version "
                        "(saved_model.pb) or a .tflite file.")

    @staticmethod
    def _metadata(version_dir):
        path = os.path.join(version_dir, METADATA_ASSET)
        if not os.path.isfile(path):
            raise UserError(f"{path} is missing: the Translator reads the export's contract from it (export with "
                            "main.py --mode=export).")
        with open(path) as handle:
            document = json.load(handle)
        return ({e["name"]: e for e in document["endpoints"]}, document["image_size"],
                document.get("load_size"))  # absent in exports made before it was recorded

    @classmethod
    def _saved_model(cls, version_dir):
        import tensorflow as tf

        endpoints, size, load_size = cls._metadata(version_dir)
        model = tf.saved_model.load(version_dir)

        def call(endpoint, inputs):
            outputs = model.signatures[endpoint](**{k: tf.constant(v, tf.float32) for k, v in inputs.items()})
            return {k: v.numpy() for k, v in outputs.items()}

        return cls("saved_model", endpoints, size, call, endpoints.get(ATTRIBUTES), load_size)

    @classmethod
    def _tflite(cls, path):
        """One endpoint's file; the estimator, when a target needs it, from its sibling file."""
        from stargan_tf.export.predict_tflite import TFLiteSignature, version_folder

        endpoints, size, load_size = cls._metadata(version_folder(path))
        signature = TFLiteSignature(path)
        if signature.signature not in endpoints:
            raise UserError(f"{path}: its signature {signature.signature!r} is not among the export's endpoints "
                            f"({', '.join(endpoints)}).")
        runners = {signature.signature: signature}

        def call(endpoint, inputs):
            if endpoint not in runners:
                runners[endpoint] = TFLiteSignature(cls._sibling(path, signature.signature, endpoint), endpoint)
            runner = runners[endpoint]
            results = [runner({k: v[i] for k, v in inputs.items()}) for i in range(len(inputs["image"]))]
            return {name: np.stack([r[name] for r in results]) for name in results[0]}

        return cls("tflite", {signature.signature: endpoints[signature.signature]}, size, call,
                   endpoints.get(ATTRIBUTES), load_size)

    @staticmethod
    def _sibling(path, signature, endpoint):
        """``<endpoint>_<precision>.tflite`` beside ``<signature>_<precision>.tflite``, as the
        exporter writes them: a phone app ships the estimator only if it wants it."""
        stem = os.path.basename(path)[:-len(".tflite")]
        if not stem.startswith(f"{signature}_"):
            raise UserError(f"{path}: not named {signature}_<precision>.tflite as exported, so the {endpoint!r} "
                            "file that goes with it cannot be found; load the exported file.")
        sibling = os.path.join(os.path.dirname(path), f"{endpoint}_{stem[len(signature) + 1:]}.tflite")
        if not os.path.isfile(sibling):
            raise UserError(f"{sibling} is missing: {os.path.basename(path)} needs it to estimate the labels a "
                            "target leaves out. Copy it from the export's tflite folder, or give every name.")
        return sibling

    @classmethod
    def _run(cls, run_dir, flags):
        import tensorflow as tf

        from stargan_tf.cli.config_flags import resolve
        from stargan_tf.cli.systems import build_system, load_data, serving_bundle
        from stargan_tf.export.contract import DEFAULT_MAX_IMAGE_PIXELS, describe
        from stargan_tf.models.registry import REGISTRY
        from stargan_tf.training.checkpoints import restore_networks
        from stargan_tf.training.run_dir import StagedDataChecks

        with open(os.path.join(run_dir, "run_config.json")) as handle:
            recorded = json.load(handle)
        spec = REGISTRY[recorded.pop("model")]
        resolved = resolve(spec, {**recorded, **flags})
        checks = StagedDataChecks(run_dir)
        try:
            data = load_data(spec, resolved, checks.directory)
            system = build_system(spec, resolved, data, optimizers=False)
        finally:
            checks.discard()
        restore_networks(system.networks(), run_dir)
        bundle = serving_bundle(system, data)
        # Compiled as the export compiles them (eager calls of a completion loop or a DRIT
        # generator fed a NumPy code are slow or refused).
        functions = {e.name: tf.function(e.translate, autograph=False) for e in bundle.endpoints}
        endpoints = {e["name"]: e for e in describe(bundle, DEFAULT_MAX_IMAGE_PIXELS)["endpoints"]}

        def call(endpoint, inputs):
            outputs = functions[endpoint](**{k: tf.constant(v, tf.float32) for k, v in inputs.items()})
            outputs = outputs if isinstance(outputs, dict) else {endpoints[endpoint]["outputs"][0]["name"]: outputs}
            return {k: np.asarray(v) for k, v in outputs.items()}

        return cls("run", endpoints, bundle.image_size, call, endpoints.get(ATTRIBUTES), bundle.load_size)

    # ---- translating ----------------------------------------------------------------------
    def conditions(self, endpoint=None):
        """``{input name: entry names (labels) or shape}`` of the endpoint's other inputs."""
        spec = self.endpoints[self._endpoint(endpoint)]
        return {i["name"]: (tuple(i["names"]) or tuple(i["shape"])) for i in spec["inputs"] if i["name"] != "image"}

    def estimate(self, images):
        """The model's estimate of each image's labels: ``[{label name: score in [0, 1]}]``,
        one dict per image (StarGAN: D's classifier, sigmoid per attribute or softmax over
        classes)."""
        scores = self._scores(self._images(images))
        return [dict(zip(scores, map(float, row))) for row in zip(*scores.values())]

    def translate(self, images, endpoint=None, as_arrays=False, seed=0, **conditions):
        """Translate ``images`` (a path, PIL image or array, or a list of them).

        Returns:
            the translations (PIL images, or float32 arrays in [-1, 1] with ``as_arrays``), a
            list with one per image; for endpoints with several outputs (masks, heatmaps) a
            dict of such lists by output name (masks as grey images / arrays in [0, 1]; the
            ``attributes`` endpoint's scores as float32 arrays, which ``estimate`` names).
        """
        name = self._endpoint(endpoint)
        spec = self.endpoints[name]
        batch = self._images(images)
        inputs = {"image": batch}
        known = {i["name"] for i in spec["inputs"]}
        unknown = sorted(set(conditions) - known)
        if unknown:
            raise UserError(f"{name} has no inputs {unknown}; it takes {sorted(known - {'image'})}.")
        rng = np.random.default_rng(seed)
        source = functools.cache(lambda: self._scores(batch))  # estimated once, if a target leaves names out
        for given in spec["inputs"]:
            if given["name"] != "image":
                inputs[given["name"]] = self._condition(name, given, conditions.get(given["name"]), len(batch), rng,
                                                        source)
        outputs = self._call(name, inputs)
        kinds = {o["name"]: o["kind"] for o in spec["outputs"]}
        converted = {k: [self._output(v, kinds.get(k, IMAGE), as_arrays) for v in values] for k, values in
                     outputs.items()}
        return converted["translated"] if len(converted) == 1 and "translated" in converted else converted

    def _scores(self, batch):
        """{label name: float32 [count]} from the ``attributes`` endpoint."""
        if self._scored is None:
            raise UserError(f"this model has no {ATTRIBUTES!r} endpoint to estimate labels with (joint-dataset "
                            "StarGAN, or an export made before it existed).")
        scores = self._call(ATTRIBUTES, {"image": batch})[self._scored["name"]]
        return {label: scores[:, j] for j, label in enumerate(self._scored["names"])}

    def _endpoint(self, endpoint):
        if endpoint is None:
            return next(iter(self.endpoints))
        if endpoint not in self.endpoints:
            raise UserError(f"no endpoint {endpoint!r}; this model has {', '.join(self.endpoints)}.")
        return endpoint

    def _images(self, images):
        if isinstance(images, (str, os.PathLike, Image.Image)) or (isinstance(images, np.ndarray) and images.ndim == 3):
            images = [images]
        read = [self._image(image) for image in images]
        if not read:
            raise UserError("no images given: pass a path, a PIL image or an array, or a non-empty list of them.")
        return np.stack(read).astype(np.float32)

    def _image(self, image):
        if isinstance(image, (str, os.PathLike)):
            return preprocess.load_image(os.fspath(image), self.image_size, load_size=self.load_size)
        if isinstance(image, Image.Image):  # upright as files are
            return preprocess.from_rgba(preprocess.rgba_of(image), self.image_size, self.load_size)
        array = np.asarray(image)
        if array.dtype == np.uint8:
            return self._image(Image.fromarray(array))
        if tuple(array.shape[:2]) != self.image_size:
            raise UserError(f"a float image must already be {self.image_size} in [-1, 1] (got {array.shape}); "
                            "give a file, a PIL image or a uint8 array to have it resized.")
        return array.astype(np.float32)

    def _condition(self, endpoint, given, value, count, rng, source):
        """One input's values ``[count, *shape]`` from what the caller gave; ``source()``: the
        estimated scores of the images' labels, for the names a dict leaves out."""
        name, shape, names = given["name"], tuple(given["shape"]), tuple(given["names"])
        if given["kind"] == IMAGE:
            if value is None:
                raise UserError(f"{endpoint} needs {name!r}: an image (path, PIL image or array) or one per input.")
            images = self._images(value)
            return np.repeat(images, count, axis=0) if len(images) == 1 else images
        if value is None:
            if given["kind"] == NORMAL:
                return rng.standard_normal((count,) + shape).astype(np.float32)
            raise UserError(f"{endpoint} needs {name!r}: " + (f"a value for each of {', '.join(names)}"
                                                             if names else f"values of shape {list(shape)}") + ".")
        if isinstance(value, dict):
            extra = sorted(set(value) - set(names))
            if extra:
                raise UserError(f"{name}: unknown names {extra}; it has {', '.join(names)}.")
            value = self._completed(given, value, count, source)
        array = np.asarray(value, np.float32)
        if array.ndim == 0 and shape == (1,):  # SaGAN's attribute=1
            array = array.reshape(shape)
        if array.shape == shape:
            array = np.repeat(array[None], count, axis=0)
        if array.shape != (count,) + shape:
            raise UserError(f"{name}: needs shape {list(shape)} per image (or [{count}, ...] for {count} images), "
                            f"got {list(np.shape(value))}.")
        return array

    def _completed(self, given, value, count, source):
        """A ``{name: value}`` label as rows ``[count, size]``, the names it leaves out kept
        from each source image as estimated (see the module docstring)."""
        names, low, high = tuple(given["names"]), given["minimum"], given["maximum"]
        missing = [n for n in names if n not in value]
        if not missing:
            return [value[n] for n in names]
        rows = np.array([np.full(count, value.get(n, low), np.float32) for n in names]).T
        columns = [names.index(n) for n in missing]
        if given["kind"] == ONE_HOT and high in value.values():
            return rows  # the target class is given; the classes left out stay off
        estimated = self._scored["names"] if self._scored else ()
        if given["kind"] not in (BINARY, ONE_HOT) or not set(missing) <= set(estimated):
            raise UserError(f"{given['name']}: missing {missing}; it has {', '.join(names)} (this model has no "
                            "estimate of them to keep from the source: give every name).")
        scores = np.stack([source()[n] for n in missing], axis=1)
        if given["kind"] == BINARY:
            rows[:, columns] = np.where(scores > 0.5, high, low)
        else:
            rows[np.arange(count), np.take(columns, np.argmax(scores, axis=1))] = high
        return rows

    @staticmethod
    def _output(values, kind, as_arrays):
        if as_arrays or kind == SCORES:
            return values
        if kind == MASK:
            return Image.fromarray(np.round(np.clip(values[..., 0], 0.0, 1.0) * 255).astype(np.uint8), "L")
        return Image.fromarray(to_pixels(values))
