"""The flags of each data family, as configuration dataclasses (no TensorFlow import).

A system declares which family it reads (``SystemSpec.data``); its command line then has
that family's flags, with the system's own defaults where ``SystemSpec.data_defaults`` sets
them. ``cli.data`` turns these options into datasets.
"""

import dataclasses

from stargan_tf.models.config import ConfigError, check_ranges, option

LABELED_DATASETS = ("shapes", "CelebA", "RaFD", "Both")
ATTRIBUTE_DATASETS = ("shapes", "CelebA")
UNPAIRED_DATASETS = ("shapes", "folder")
SHAPES_PAIRS = ("circle2square", "red2blue", "gray2color")
SKETCH_DATASETS = ("shapes", "sketch_pairs", "photos")
SKETCH_LAYOUTS = {"sketch_pairs": "train/sketch/, train/photo/, test/sketch/ and test/photo/ (matching file names)",
                  "photos": "train/ and test/ folders of photos"}


@dataclasses.dataclass(frozen=True)
class BuiltinDataOptions:
    """Where and how big the built-in procedural dataset is, and in-memory caching."""

    shapes_dir: str = option("data/shapes", "Where the built-in dataset is written (once).")
    shapes_num_images: int = option(1200, "Number of images the built-in dataset generates.", minimum=8)
    cache: bool = option(False, "Decode every training image once and keep it in memory (small datasets; the "
                                "same pixels as reading files each time).")

    def __post_init__(self):
        check_ranges(self)

    def check(self, config):
        """Raise ``ConfigError`` for a combination with the system's ``config`` it cannot read."""


@dataclasses.dataclass(frozen=True)
class CelebAFileOptions(BuiltinDataOptions):
    """A CelebA-style attribute file and its image folder."""

    celeba_image_dir: str = option("data/celeba/images", "CelebA image folder.")
    attr_path: str = option("data/celeba/list_attr_celeba.txt", "CelebA attribute file.")
    celeba_crop_size: int = option(178, "Center crop of CelebA images before resizing.", minimum=1)


@dataclasses.dataclass(frozen=True)
class LabeledDataOptions(CelebAFileOptions):
    """Labelled images: CelebA-style attribute files, RaFD-style class folders, or both."""

    dataset: str = option("shapes", "shapes: the built-in procedural dataset (CPU preset). CelebA: attribute "
                                    "file + image folder. RaFD: one sub-folder per class. Both: CelebA and RaFD "
                                    "jointly (StarGAN's mask vector).", architecture=True, choices=LABELED_DATASETS)
    rafd_image_dir: str = option("data/RaFD/train", "RaFD-style folder: one sub-folder per class (a sibling "
                                                    "test/ folder is used for samples).")
    selected_attrs: tuple = option(("Black_Hair", "Blond_Hair", "Brown_Hair", "Male", "Young"),
                                   "CelebA attributes to train on, in label order.", architecture=True)
    exclusive_attrs: str = option("Black_Hair,Blond_Hair,Brown_Hair,Gray_Hair;Red_Shape,Green_Shape,Blue_Shape",
                                  "Groups of mutually exclusive attributes (';' between groups, ',' within): a "
                                  "target sets exactly one of a group, like the hair colours. Names not selected "
                                  "are ignored.")
    rafd_crop_size: int = option(256, "Center crop of RaFD images before resizing.", minimum=1)


@dataclasses.dataclass(frozen=True)
class AttributeDataOptions(CelebAFileOptions):
    """One binary attribute of a CelebA-style attribute file (SaGAN: one model per attribute)."""

    dataset: str = option("shapes", "shapes: the built-in procedural dataset (CPU preset). CelebA: attribute "
                                    "file + image folder.", architecture=True, choices=ATTRIBUTE_DATASETS)
    target_attr: str = option("Eyeglasses", "The one attribute the model edits (a column of --attr_path).",
                              architecture=True)
    celeba_train_images: int = option(200_000, "The first this many rows of --attr_path are the training split, "
                                                "the rest the test split (files with fewer rows hold out their "
                                                "last tenth).", minimum=1)

    def __post_init__(self):
        super().__post_init__()
        if "," in self.target_attr or not self.target_attr.strip():
            raise ConfigError(f"--target_attr={self.target_attr!r}: name exactly one attribute. One model edits "
                              "one attribute; train one model per attribute (each in its own --run_dir).")


@dataclasses.dataclass(frozen=True)
class UnpairedDataOptions(BuiltinDataOptions):
    """Two unpaired domains in ``trainA/ trainB/ testA/ testB/`` (or a built-in pair)."""

    dataset: str = option("shapes", "shapes: a built-in pair (--shapes_pair). folder: --data_dir with trainA/ "
                                    "trainB/ testA/ testB/.", choices=UNPAIRED_DATASETS)
    data_dir: str = option(None, "Unpaired dataset root with trainA/ trainB/ testA/ testB/ (--dataset=folder).")
    shapes_pair: str = option("circle2square", "The built-in pair: circle2square (form), red2blue (colour and "
                                               "texture) or gray2color (grey to one of three colours: multimodal).",
                              choices=SHAPES_PAIRS)
    load_size: int = option(None, "Training images are resized to this size, then randomly cropped to "
                                  "--image_size (default: image_size * 286 / 256, rounded: the official 286 "
                                  "margin at 256, in proportion at other sizes).", minimum=1)
    test_center_crop: bool = option(False, "Frame test images (test mode, sample grids, evaluation, the exported "
                                           "models' preprocessing) as the training crops: resize to --load_size, "
                                           "then take the centred --image_size window, as DRIT's official test "
                                           "loader does (its default here); off: resize straight to --image_size.")

    def __post_init__(self):
        super().__post_init__()
        if self.dataset == "folder" and not self.data_dir:
            raise ConfigError("--dataset=folder needs --data_dir pointing at a folder with trainA/ trainB/ "
                              "testA/ testB/.")

    def resolved_load_size(self, image_size):
        return round(image_size * 286 / 256) if self.load_size is None else self.load_size

    def check(self, config):
        if self.resolved_load_size(config.image_size) < config.image_size:
            raise ConfigError(f"--load_size={self.load_size} is smaller than --image_size={config.image_size}: "
                              "training images are resized to --load_size and then randomly cropped to "
                              "--image_size.")


@dataclasses.dataclass(frozen=True)
class SketchDataOptions(BuiltinDataOptions):
    """Sketch | photo pairs (Contextual GAN's joint images), the sketches read from files or
    drawn from the photos by XDoG (Winnemöller et al. 2012) with the ``--xdog_*`` parameters.

    The XDoG parameters are architecture fields: not that they change a network's shape,
    but a model only completes sketches drawn like its training sketches, so the run's
    ``run_config.json`` records them and a resumed run keeps them.
    """

    dataset: str = option("shapes", "shapes: the built-in shape photos, sketched by XDoG (CPU preset). "
                                    f"sketch_pairs: --data_dir with {SKETCH_LAYOUTS['sketch_pairs']}. photos: "
                                    f"--data_dir with {SKETCH_LAYOUTS['photos']}, sketched by XDoG in the input "
                                    "pipeline.", architecture=True, choices=SKETCH_DATASETS)
    data_dir: str = option(None, "Dataset root (--dataset=sketch_pairs or photos; see --dataset for the layout).")
    # The public XDoG code's defaults, on greyscale in [0, 1].
    xdog_sigma: float = option(0.8, "XDoG: standard deviation of the narrow Gaussian (pixels); above 0.",
                               architecture=True, minimum=0.0)
    xdog_k: float = option(1.6, "XDoG: the wide Gaussian's standard deviation over the narrow one's; above 0.",
                           architecture=True, minimum=0.0)
    xdog_tau: float = option(0.98, "XDoG: weight of the wide Gaussian (closer to 1 draws more lines).",
                             architecture=True, minimum=0.0)
    xdog_phi: float = option(200.0, "XDoG: sharpness of the soft threshold (larger gives darker, harder lines).",
                             architecture=True, minimum=0.0)
    xdog_epsilon: float = option(-0.1, "XDoG: threshold; the difference of Gaussians below it is drawn as a line "
                                       "(higher draws more lines).", architecture=True)

    def __post_init__(self):
        super().__post_init__()
        if self.dataset != "shapes" and not self.data_dir:
            raise ConfigError(f"--dataset={self.dataset} needs --data_dir pointing at a folder with "
                              f"{SKETCH_LAYOUTS[self.dataset]}.")
        # A Gaussian of width 0 is undefined; `minimum` allows the bound itself.
        for name in ("xdog_sigma", "xdog_k"):
            if getattr(self, name) <= 0:
                raise ConfigError(f"--{name}={getattr(self, name)} must be above 0 (a Gaussian's width).")

    def xdog_parameters(self):
        """The ``--xdog_*`` flags as the filter's ``XDoGParameters``."""
        from stargan_tf.pipelines.xdog import XDoGParameters  # here: this module runs before TensorFlow loads

        return XDoGParameters(sigma=self.xdog_sigma, k=self.xdog_k, tau=self.xdog_tau, phi=self.xdog_phi,
                              epsilon=self.xdog_epsilon)


FAMILY_OPTIONS = {"labeled": LabeledDataOptions, "attribute": AttributeDataOptions,
                  "unpaired": UnpairedDataOptions, "sketch": SketchDataOptions}
