"""From --dataset flags to pipelines: train datasets, sample batches, test images.

Conditional datasets (StarGAN: shapes, CelebA, RaFD, Both) and unpaired two-domain
datasets (U-GAT-IT, CycleGAN: folder, shapes) each get a small object the modes use.
"""

import dataclasses
import functools
import os
import shutil
from typing import Callable, Sequence

from stargan_tf import pipelines
from stargan_tf.pipelines.errors import DataError

SHAPES_IMAGE_SIZE = 64  # the built-in dataset is written at this size and resized on load


def ensure_shapes(flags):
    """Write the built-in dataset under --shapes_dir once and return its root.

    A first write goes to a staging folder renamed into place, so several workers sharing
    --shapes_dir never see (or delete) each other's half-written files.
    """
    root = os.path.normpath(flags.shapes_dir)
    write = functools.partial(pipelines.write_shapes_dataset, num_images=flags.shapes_num_images,
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


@dataclasses.dataclass
class LabeledSource:
    """One labelled dataset (CelebA-style or RaFD-style) as the CLI uses it.

    Attributes:
        key: ``celeba`` or ``rafd`` (the batch key in joint training).
        read: ``(split, start_step, batch_size) -> DatasetInfo`` of that split.
    """

    key: str
    read: Callable


@dataclasses.dataclass
class ConditionalData:
    """The labelled datasets StarGAN trains on (one, or two for --dataset=Both)."""

    sources: Sequence[LabeledSource]
    label_spaces: Sequence[object]
    global_batch_size: int

    def make_dataset(self, start_step):
        datasets = [s.read("train", start_step, self.global_batch_size).dataset for s in self.sources]
        if len(datasets) == 1:
            return datasets[0]
        return pipelines.both_dataset(*datasets)

    def sample_examples(self, count):
        """The first ``count`` test images and labels of each dataset: [(images, labels)]."""
        examples = []
        for source in self.sources:
            batch = next(iter(source.read("test", 0, count).dataset))
            examples.append((batch["image"].numpy(), batch["label"].numpy()))
        return examples


def conditional_data(flags, validation_cache_dir):
    """The StarGAN datasets selected by --dataset."""
    os.makedirs(validation_cache_dir, exist_ok=True)
    common = dict(image_size=flags.image_size, cache=flags.cache)

    def celeba(image_dir, attr_path, crop_size):
        def read(split, start_step, batch_size):
            return pipelines.celeba_dataset(
                image_dir, attr_path, flags.selected_attrs, split=split, crop_size=crop_size,
                global_batch_size=batch_size, start_step=start_step,
                validation_cache_file=os.path.join(validation_cache_dir, f"celeba-{split}.json"),
                seed=flags.seed, exclusive_groups=flags.exclusive_attrs, **common)
        return LabeledSource("celeba", read)

    def rafd(train_dir, crop_size):
        test_dir = os.path.join(os.path.dirname(os.path.normpath(train_dir)), "test")

        def read(split, start_step, batch_size):
            # Test samples come from the sibling test/ folder when there is one.
            folder = test_dir if split == "test" and os.path.isdir(test_dir) else train_dir
            return pipelines.rafd_dataset(
                folder, split=split, crop_size=crop_size, global_batch_size=batch_size,
                start_step=start_step, seed=flags.seed + 1,  # flips independent of CelebA's in Both
                validation_cache_file=os.path.join(validation_cache_dir, f"rafd-{split}.json"), **common)
        return LabeledSource("rafd", read)

    if flags.dataset == "shapes":
        root = ensure_shapes(flags)
        sources = [celeba(os.path.join(root, "celeba", "images"),
                          os.path.join(root, "celeba", "list_attr_celeba.txt"), SHAPES_IMAGE_SIZE)]
    elif flags.dataset == "CelebA":
        sources = [celeba(flags.celeba_image_dir, flags.attr_path, flags.celeba_crop_size)]
    elif flags.dataset == "RaFD":
        sources = [rafd(flags.rafd_image_dir, flags.rafd_crop_size)]
    elif flags.dataset == "Both":
        sources = [celeba(flags.celeba_image_dir, flags.attr_path, flags.celeba_crop_size),
                   rafd(flags.rafd_image_dir, flags.rafd_crop_size)]
    else:
        raise DataError(f"--dataset={flags.dataset} is not a labelled dataset; StarGAN takes shapes, CelebA, "
                        "RaFD or Both.")
    # Reading the train split validates every file before any step runs.
    label_spaces = [s.read("train", 0, flags.batch_size).label_space for s in sources]
    return ConditionalData(sources, label_spaces, flags.batch_size)


@dataclasses.dataclass
class UnpairedData:
    """Two unpaired domains (trainA/trainB/testA/testB) for U-GAT-IT and CycleGAN."""

    data_dir: str
    image_size: int
    global_batch_size: int
    load_size: int
    seed: int
    cache: bool
    validation_cache_file: str

    def make_dataset(self, start_step):
        return pipelines.unpaired_dataset(
            self.data_dir, split="train", image_size=self.image_size, load_size=self.load_size,
            global_batch_size=self.global_batch_size, seed=self.seed, start_step=start_step, cache=self.cache,
            validation_cache_file=self.validation_cache_file).dataset

    def sample_examples(self, count):
        """The first ``count`` test images of each domain: {"image_a": ..., "image_b": ...}."""
        test = pipelines.unpaired_dataset(self.data_dir, split="test", image_size=self.image_size,
                                          global_batch_size=count)
        examples = {key: next(iter(dataset))[key].numpy() for key, dataset in
                    (("image_a", test.dataset), ("image_b", test.dataset_b))}
        rows = min(len(images) for images in examples.values())  # one grid row per pair
        return {key: images[:rows] for key, images in examples.items()}


def unpaired_data(flags, validation_cache_dir):
    """The unpaired dataset selected by --dataset (folder, or the built-in shapes pair)."""
    if flags.dataset == "shapes":
        data_dir = os.path.join(ensure_shapes(flags), flags.shapes_pair)
    elif flags.dataset == "folder":
        if not flags.data_dir:
            raise DataError("--dataset=folder needs --data_dir pointing at a folder with trainA/ trainB/ "
                            "testA/ testB/.")
        data_dir = flags.data_dir
    else:
        raise DataError(f"--model={flags.model} trains on two unpaired domains: use --dataset=folder "
                        f"--data_dir=... (got --dataset={flags.dataset}).")
    load_size = flags.image_size + 30 if flags.load_size is None else flags.load_size
    if load_size < flags.image_size:
        raise DataError(f"--load_size={load_size} is smaller than --image_size={flags.image_size}: training "
                        "images are resized to --load_size and then randomly cropped to --image_size.")
    os.makedirs(validation_cache_dir, exist_ok=True)
    data = UnpairedData(data_dir, flags.image_size, flags.batch_size, load_size, flags.seed, flags.cache,
                        os.path.join(validation_cache_dir, "unpaired-train.json"))
    data.make_dataset(0)  # validates the folders before any step runs
    return data

