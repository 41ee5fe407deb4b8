"""From a data family's options to datasets: what ``--dataset`` and its flags load.

Every family's loader returns a data object with:

* ``name``: a short name of the data (``shapes``, ``celeba``, ``horse2zebra``...), part of
  the default TF Serving model name;
* ``make_dataset(start_step)``: global training batches, batch ``k`` for iteration
  ``start_step + k`` (resumable);
* ``sample_examples(count)``: test examples as one dict of arrays (``{"image", "label"}``
  for labelled data, ``{"image_a", "image_b"}`` for unpaired domains, ``{"sketch", "photo"}``
  for sketch pairs), for sample grids;
* ``test_load_size``: None where test images are resized straight to the model's size, else
  the size they are resized to before their centred crop (DRIT's official test framing); the
  exported bundle records it so every client frames images the same way.

Loading reads every training file once to validate it, so bad data is reported before any
training step.
"""

import dataclasses
import functools
import os
import re
import shutil
from typing import Callable, Sequence

import numpy as np

from stargan_tf import pipelines
from stargan_tf.pipelines import sketches

SHAPES_IMAGE_SIZE = 64  # the built-in dataset is written at this size and resized on load


def ensure_shapes(options):
    """Write the built-in dataset under ``--shapes_dir`` once and return its root.

    A first write goes to a staging folder renamed into place, so several workers sharing
    ``--shapes_dir`` never see (or delete) each other's half-written files.
    """
    root = os.path.normpath(options.shapes_dir)
    write = functools.partial(pipelines.write_shapes_dataset, num_images=options.shapes_num_images,
                              image_size=SHAPES_IMAGE_SIZE, seed=0)
    if not os.path.exists(root):
        os.makedirs(os.path.dirname(os.path.abspath(root)), exist_ok=True)
        staging = f"{root}.tmp-{os.getpid()}"
        write(staging)
        try:
            os.rename(staging, root)
        except OSError:  # another worker renamed its copy first; theirs is identical
            shutil.rmtree(staging, ignore_errors=True)
    write(root)  # a no-op when the folder holds this dataset already
    return root


# ---- labelled images (StarGAN) ---------------------------------------------------------------
@dataclasses.dataclass
class LabeledSource:
    """One labelled dataset (CelebA-style or RaFD-style).

    Attributes:
        key: ``celeba`` or ``rafd`` (the batch key in joint training).
        read: ``(split, start_step, batch_size) -> DatasetInfo`` of that split.
    """

    key: str
    read: Callable


@dataclasses.dataclass
class LabeledData:
    """The labelled datasets of a run (one, or two for --dataset=Both)."""

    name: str
    sources: Sequence[LabeledSource]
    label_spaces: Sequence[object]
    global_batch_size: int
    test_load_size = None  # each dataset's own crop and resize (CelebA 178 -> S), train and test alike

    @property
    def keys(self):
        return [source.key for source in self.sources]

    def make_dataset(self, start_step):
        datasets = [s.read("train", start_step, self.global_batch_size).dataset for s in self.sources]
        return datasets[0] if len(datasets) == 1 else pipelines.both_dataset(*datasets)

    def sample_examples(self, count):
        """The first ``count`` test images of the first dataset and their labels."""
        batch = next(iter(self.sources[0].read("test", 0, count).dataset))
        return {"image": batch["image"].numpy(), "label": batch["label"].numpy()}


def _celeba_source(config, options, validation_cache_dir, image_dir, attr_path, crop_size, **selection):
    """A ``LabeledSource`` of a CelebA-style file; ``selection``: ``celeba_dataset``'s
    attribute and split arguments."""
    def read(split, start_step, batch_size):
        return pipelines.celeba_dataset(
            image_dir, attr_path, split=split, crop_size=crop_size, global_batch_size=batch_size,
            start_step=start_step, validation_cache_file=os.path.join(validation_cache_dir, f"celeba-{split}.json"),
            seed=config.seed, image_size=config.image_size, cache=options.cache, **selection)
    return LabeledSource("celeba", read)


def _builtin_celeba(options):
    """``(image_dir, attr_path, crop_size)`` of the built-in CelebA-style set (written once)."""
    root = ensure_shapes(options)
    return (os.path.join(root, "celeba", "images"), os.path.join(root, "celeba", "list_attr_celeba.txt"),
            SHAPES_IMAGE_SIZE)


def labeled_data(config, options, validation_cache_dir):
    """The labelled datasets selected by ``--dataset`` (the built-in one, CelebA, RaFD, Both)."""
    os.makedirs(validation_cache_dir, exist_ok=True)
    common = dict(image_size=config.image_size, cache=options.cache)

    def celeba(image_dir, attr_path, crop_size):
        return _celeba_source(config, options, validation_cache_dir, image_dir, attr_path, crop_size,
                              selected_attrs=list(options.selected_attrs), exclusive_groups=options.exclusive_attrs)

    def rafd(train_dir, crop_size):
        test_dir = os.path.join(os.path.dirname(os.path.normpath(train_dir)), "test")

        def read(split, start_step, batch_size):
            # Test samples come from the sibling test/ folder, with the training classes, when there is one.
            folder, classes = train_dir, None
            if split == "test" and os.path.isdir(test_dir):
                folder, classes = test_dir, pipelines.read_class_folders(train_dir)[0]
            elif split == "test":
                print(f"RaFD: no test folder {test_dir}; sample grids use training images.")
            return pipelines.rafd_dataset(
                folder, split=split, crop_size=crop_size, global_batch_size=batch_size, classes=classes,
                start_step=start_step, seed=config.seed + 1,  # flips independent of CelebA's in Both
                validation_cache_file=os.path.join(validation_cache_dir, f"rafd-{split}.json"), **common)
        return LabeledSource("rafd", read)

    if options.dataset == "shapes":
        sources = [celeba(*_builtin_celeba(options))]
    else:
        sources = []
        if options.dataset in ("CelebA", "Both"):
            sources.append(celeba(options.celeba_image_dir, options.attr_path, options.celeba_crop_size))
        if options.dataset in ("RaFD", "Both"):
            sources.append(rafd(options.rafd_image_dir, options.rafd_crop_size))
    # Reading the train split validates every file before any step runs.
    label_spaces = [s.read("train", 0, config.batch_size).label_space for s in sources]
    return LabeledData(options.dataset.lower(), sources, label_spaces, config.batch_size)


def attribute_data(config, options, validation_cache_dir):
    """One binary attribute (``--target_attr``) of a CelebA-style file, the built-in one or
    ``--attr_path``, split by row order (``--celeba_train_images``)."""
    os.makedirs(validation_cache_dir, exist_ok=True)
    if options.dataset == "shapes":
        image_dir, attr_path, crop_size = _builtin_celeba(options)
    else:
        image_dir, attr_path, crop_size = options.celeba_image_dir, options.attr_path, options.celeba_crop_size
    source = _celeba_source(config, options, validation_cache_dir, image_dir, attr_path, crop_size,
                            selected_attrs=[options.target_attr], exclusive_groups="", attrs_flag="--target_attr",
                            num_train=options.celeba_train_images)
    train = source.read("train", 0, config.batch_size)
    present = int(train.labels.sum())
    if present in (0, train.num_examples):
        has = "has" if present else "lacks"
        raise pipelines.DataError(
            f"--target_attr {options.target_attr}: every one of the {train.num_examples} training images in "
            f"--attr_path {attr_path} {has} it, so there is nothing to learn; choose an attribute that varies "
            "(or check the attribute file).")
    return LabeledData(options.dataset.lower(), [source], [train.label_space], config.batch_size)


# ---- two unpaired domains (U-GAT-IT, CycleGAN) ---------------------------------------------------
@dataclasses.dataclass
class UnpairedData:
    """Two unpaired domains (trainA/trainB/testA/testB)."""

    name: str
    data_dir: str
    image_size: int
    global_batch_size: int
    load_size: int
    seed: int
    cache: bool
    validation_cache_file: str
    images_per_example: int = 1
    test_load_size: int | None = None  # --test_center_crop: --load_size, else None (resize straight)

    def make_dataset(self, start_step):
        return pipelines.unpaired_dataset(
            self.data_dir, split="train", image_size=self.image_size, load_size=self.load_size,
            global_batch_size=self.global_batch_size, seed=self.seed, start_step=start_step, cache=self.cache,
            validation_cache_file=self.validation_cache_file, images_per_example=self.images_per_example).dataset

    def test_split(self, batch_size):
        """``UnpairedInfo`` of testA / testB, framed as the model's test images are."""
        return pipelines.unpaired_dataset(self.data_dir, split="test", image_size=self.image_size,
                                          global_batch_size=batch_size, test_load_size=self.test_load_size)

    def sample_examples(self, count):
        """The first ``count`` test images of each domain (as many of each, one grid row per pair)."""
        test = self.test_split(count)
        examples = {key: next(iter(dataset))[key].numpy() for key, dataset in
                    (("image_a", test.dataset), ("image_b", test.dataset_b))}
        rows = min(len(images) for images in examples.values())
        return {key: images[:rows] for key, images in examples.items()}


def unpaired_data(config, options, validation_cache_dir):
    """The unpaired dataset selected by ``--dataset`` (folder, or a built-in pair)."""
    if options.dataset == "shapes":
        data_dir, name = os.path.join(ensure_shapes(options), options.shapes_pair), options.shapes_pair
    else:
        data_dir = options.data_dir
        name = os.path.basename(os.path.normpath(data_dir))
    os.makedirs(validation_cache_dir, exist_ok=True)
    load_size = options.resolved_load_size(config.image_size)
    data = UnpairedData(name, data_dir, config.image_size, config.batch_size, load_size, config.seed, options.cache,
                        os.path.join(validation_cache_dir, "unpaired-train.json"), config.images_per_example,
                        load_size if options.test_center_crop else None)
    data.make_dataset(0)  # validates the folders before any step runs
    return data


# ---- sketch | photo joint images (Contextual GAN) ---------------------------------------------------
@dataclasses.dataclass
class SketchData:
    """Sketch | photo pairs read as joint images (``pipelines.sketches``).

    Attributes:
        splits: ``{"train" | "test": (photo paths, sketch paths or None)}``; None: the
            sketches are drawn by XDoG in the pipeline.
        xdog: the ``XDoGParameters`` of the drawn sketches, None for sketch files.
    """

    name: str
    splits: dict
    image_size: int
    global_batch_size: int
    seed: int
    cache: bool
    xdog: object
    test_load_size = None

    def _dataset(self, split, **settings):
        """``sketch_dataset`` of ``split`` with this data's size and sketches."""
        photo_paths, sketch_paths = self.splits[split]
        return sketches.sketch_dataset(photo_paths, sketch_paths, split=split, image_size=self.image_size,
                                       xdog_parameters=self.xdog, **settings)

    def make_dataset(self, start_step):
        return self._dataset("train", global_batch_size=self.global_batch_size, seed=self.seed,
                             start_step=start_step, cache=self.cache)

    def sample_examples(self, count):
        """The first ``count`` test pairs (fewer if the split is smaller), the joint images
        cut into their halves."""
        return sketches.joint_halves(next(iter(self._dataset("test", global_batch_size=count)))["joint"].numpy())

    def test_examples(self):
        """Every test pair: ``{"sketch", "photo", "names"}`` (the photos' file names)."""
        batches = list(self._dataset("test", global_batch_size=64))
        names = [name.decode() if isinstance(name, bytes) else str(name)
                 for batch in batches for name in batch["name"].numpy()]
        return {**sketches.joint_halves(np.concatenate([batch["joint"].numpy() for batch in batches])), "names": names}


def _sketch_splits(options):
    """``{split: (photo paths, sketch paths or None)}`` of ``--dataset``: the built-in photos
    (the CelebA-style images, split 90/10 by file name), ``--data_dir``'s photos, or its pairs."""
    if options.dataset == "shapes":
        photos = pipelines.list_image_files(os.path.join(ensure_shapes(options), "celeba", "images"))
        return {split: (sketches.split_photos(photos, split), None) for split in sketches.SPLITS}
    if options.dataset == "photos":
        return {split: (sketches.read_photos(options.data_dir, split), None) for split in sketches.SPLITS}
    pairs = {split: sketches.read_sketch_pairs(options.data_dir, split) for split in sketches.SPLITS}
    return {split: (photo_paths, sketch_paths) for split, (sketch_paths, photo_paths) in pairs.items()}


def sketch_data(config, options, validation_cache_dir):
    """The sketch | photo pairs selected by ``--dataset`` (built-in shapes, photos, sketch
    pairs). Every file is validated, and XDoG parameters that would draw blank sketches are
    refused, before any step runs."""
    splits = _sketch_splits(options)
    os.makedirs(validation_cache_dir, exist_ok=True)
    for split, (photo_paths, sketch_paths) in splits.items():
        pipelines.validate_image_files(photo_paths + (sketch_paths or []),
                                       os.path.join(validation_cache_dir, f"sketch-{split}.json"))
    xdog = None if options.dataset == "sketch_pairs" else options.xdog_parameters()
    if xdog is not None:
        sketches.check_xdog_lines(splits["train"][0], config.image_size, xdog)
    name = "shapes" if options.dataset == "shapes" else os.path.basename(os.path.normpath(options.data_dir))
    return SketchData(name, splits, config.image_size, config.batch_size, config.seed, options.cache, xdog)


LOADERS = {"labeled": labeled_data, "attribute": attribute_data, "unpaired": unpaired_data, "sketch": sketch_data}


def model_name(system_name, data):
    """The default TF Serving model name: the system and its data (``stargan_celeba``,
    ``cyclegan_horse2zebra``), so runs on different data exported to one folder do not
    become versions of one model."""
    return re.sub(r"[^A-Za-z0-9_.-]+", "_", f"{system_name}_{data.name}")

