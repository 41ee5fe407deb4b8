"""The built-in procedural dataset: one coloured circle or square per image.

Small, instant and learnable on a CPU, it exercises every pipeline layout:

* CelebA-style attributes (`celeba/list_attr_celeba.txt`, `celeba/images/*.jpg`) with the
  attributes `Red_Shape Green_Shape Blue_Shape Square Large Dark_Background Spot`; the three
  colours are mutually exclusive (exactly one is 1), like CelebA hair colours. `Spot` is a
  local attribute (a dark disc at the shape's centre, on about half of the images,
  independent of the others), for SaGAN's spatial attention to find.
* RaFD-style class folders by colour: `rafd/train/<colour>/` and `rafd/test/<colour>/` (90/10).
* Unpaired two-domain sets: `circle2square/` (A circles, B squares, same colours),
  `red2blue/` (A plain red shapes, B blue shapes with a striped or dotted texture) and
  `gray2color/` (A mid-grey shapes, B red, green or blue ones, both on light backgrounds: a
  multimodal target domain, for DRIT), each with `trainA, trainB, testA, testB` and
  slightly unequal domain sizes.

Everything is a pure function of `(num_images, image_size, seed)`; `write_shapes_dataset`
records these in `shapes.json` and does nothing when they match. `sample_shape`,
`render_shape`, `shape_mask`, `jpeg_bytes` and `PAIRS` draw more images of the same world with
their ground truth (the description and the mask), e.g. fresh test images.
"""

import dataclasses
import io
import json
import os
import shutil

import numpy as np
from PIL import Image, ImageDraw

ATTRIBUTES = ("Red_Shape", "Green_Shape", "Blue_Shape", "Square", "Large", "Dark_Background", "Spot")
COLOUR_NAMES = ATTRIBUTES[:3]
_MARKER = "shapes.json"
_FORMAT_VERSION = 3
_SUBDIRS = ("celeba", "rafd", "circle2square", "red2blue", "gray2color")
_JPEG_QUALITY = 95
TEXTURE_RGB = (200, 200, 255)  # the texture of red2blue's domain B


@dataclasses.dataclass(frozen=True)
class Domain:
    """One side of an unpaired pair: the `sample_shape` arguments it fixes, and whether its
    shapes carry the stripe/dot texture."""

    fixed: dict
    textured: bool = False

    def sample(self, rng, image_size):
        """A shape description of this domain (see `sample_shape`)."""
        return sample_shape(rng, image_size, **self.fixed)


# The unpaired pairs as (domain A, domain B): circle2square changes the form, red2blue the
# colour and texture, gray2color the fill from grey to one of three colours.
PAIRS = {
    "circle2square": (Domain({"square": False}), Domain({"square": True})),
    "red2blue": (Domain({"colour": 0}), Domain({"colour": 2}, textured=True)),
    "gray2color": (Domain({"grey": True, "dark": False}), Domain({"dark": False})),
}
GREY_LEVEL = 128  # the grey fill of gray2color's domain A (R = G = B, jittered by up to 8)
SPOT_RADIUS = 0.25  # of the shape's radius
SPOT_LEVELS = (10, 35)  # the spot's grey level (R = G = B), dark on every fill colour


def default_shapes_root():
    """Where `--dataset=shapes` keeps its files: `data/shapes` under the working directory."""
    return os.path.join(os.getcwd(), "data", "shapes")


def sample_shape(rng, image_size, colour=None, square=None, dark=None, grey=False, spot=False):
    """Draw one shape description as the dataset does; `colour` (0=R, 1=G, 2=B), `square`
    and `dark` are random unless given (the same draws are made either way); `spot` is
    random when None (the CelebA-style set) and absent by default (the unpaired pairs).

    The description is a dict: `colour`, `square`, `large`, `dark` (background class),
    `radius` and `centre` (x, y) in pixels of `image_size`, `rgb` (the fill: the `colour`
    channel 200-255, the others 0-40; with `grey`, every channel `GREY_LEVEL` +- 8 and
    `colour` None), `level` (background grey, 25-70 dark, 185-230 light), `texture` (0
    stripes, 1 dots, where the domain is textured), `noise_seed`, `spot` and `spot_level`
    (the spot's grey level).
    """
    colour = int(rng.integers(3)) if colour is None else colour
    square = bool(rng.integers(2)) if square is None else square
    large, dark_draw = bool(rng.integers(2)), bool(rng.integers(2))
    dark = dark_draw if dark is None else dark
    radius = image_size * (rng.uniform(0.28, 0.36) if large else rng.uniform(0.13, 0.18))
    centre = rng.uniform(radius + 1, image_size - radius - 2, size=2)
    rgb = rng.integers(0, 41, size=3)
    rgb[colour] = rng.integers(200, 256)
    if grey:
        rgb = np.full(3, GREY_LEVEL + int(rng.integers(-8, 9)))
        colour = None
    level = rng.uniform(25, 70) if dark else rng.uniform(185, 230)
    texture = int(rng.integers(2))
    noise_seed = int(rng.integers(2**31))
    # The spot is drawn from its own stream (seeded by the noise seed), so adding it left
    # every other draw of the dataset, and every earlier image's pixels, as they were.
    spot_rng = np.random.default_rng([noise_seed, 1])
    spot_draw = bool(spot_rng.integers(2))
    return {
        "colour": colour, "square": square, "large": large, "dark": dark, "radius": radius,
        "centre": centre, "rgb": rgb, "level": level, "texture": texture, "noise_seed": noise_seed,
        "spot": spot_draw if spot is None else bool(spot), "spot_level": int(spot_rng.integers(*SPOT_LEVELS)),
    }


def _disc_or_box(centre, radius, image_size, square):
    mask_image = Image.new("L", (image_size, image_size), 0)
    (cx, cy), r = centre, radius
    draw = ImageDraw.Draw(mask_image)
    (draw.rectangle if square else draw.ellipse)((cx - r, cy - r, cx + r, cy + r), fill=255)
    return np.asarray(mask_image) > 127


def shape_mask(shape, image_size):
    """Boolean [image_size, image_size] mask of the pixels `render_shape` paints with the shape."""
    return _disc_or_box(shape["centre"], shape["radius"], image_size, shape["square"])


def spot_mask(shape, image_size):
    """Boolean mask of the spot's pixels (where `render_shape` paints it when `shape["spot"]`)."""
    return _disc_or_box(shape["centre"], shape["radius"] * SPOT_RADIUS, image_size, square=False)


def render_shape(shape, image_size, textured=False):
    """The uint8 RGB pixels of `shape` on its noisy grey background (the texture, if any,
    in `TEXTURE_RGB`)."""
    noise = np.random.default_rng(shape["noise_seed"]).normal(0.0, 4.0, size=(image_size, image_size, 1))
    pixels = np.repeat(np.clip(shape["level"] + noise, 0, 255), 3, axis=2).astype(np.uint8)
    mask = shape_mask(shape, image_size)
    pixels[mask] = shape["rgb"]
    if textured:
        rows, cols = np.mgrid[0:image_size, 0:image_size]
        if shape["texture"] == 0:  # diagonal stripes
            pattern = (rows + cols) % 6 < 2
        else:  # dots on a grid
            pattern = (rows % 5 < 2) & (cols % 5 < 2)
        pixels[mask & pattern] = TEXTURE_RGB
    if shape.get("spot"):
        pixels[spot_mask(shape, image_size)] = shape["spot_level"]
    return pixels


def jpeg_bytes(pixels):
    """The file bytes the dataset stores for uint8 RGB `pixels` (JPEG, quality 95)."""
    buffer = io.BytesIO()
    Image.fromarray(pixels).save(buffer, format="JPEG", quality=_JPEG_QUALITY)
    return buffer.getvalue()


def _write(path, data):
    """Write `data` bytes to `path`, creating its folder."""
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "wb") as handle:
        handle.write(data)


def shape_attributes(shape):
    """The shape's attributes as booleans in `ATTRIBUTES` order (its CelebA-style label row)."""
    return tuple([shape["colour"] == c for c in range(3)]
                 + [shape["square"], shape["large"], shape["dark"], shape["spot"]])


def _attribute_row(shape):
    """The shape's attribute values as 1/-1 in `ATTRIBUTES` order."""
    return [1 if f else -1 for f in shape_attributes(shape)]


def _write_labelled(root, num_images, image_size, rng):
    """The CelebA-style attribute set and the RaFD-style class folders built from the same images."""
    celeba_dir = os.path.join(root, "celeba")
    num_train = num_images - max(1, num_images // 10)
    lines = [f"{num_images}\n", " ".join(ATTRIBUTES) + "\n"]
    for i in range(num_images):
        # Balanced colours: every class in both splits.
        shape = sample_shape(rng, image_size, colour=i % 3, spot=None)
        name = f"{i + 1:06d}.jpg"
        data = jpeg_bytes(render_shape(shape, image_size))
        _write(os.path.join(celeba_dir, "images", name), data)
        split = "train" if i < num_train else "test"
        _write(os.path.join(root, "rafd", split, COLOUR_NAMES[shape["colour"]], name), data)
        lines.append(name + " " + " ".join(f"{v:2d}" for v in _attribute_row(shape)) + "\n")
    with open(os.path.join(celeba_dir, "list_attr_celeba.txt"), "w") as handle:
        handle.writelines(lines)


def _write_domain(folder, count, image_size, rng, domain):
    """Write `count` images `folder/000001.jpg...` of `domain` (a `Domain`)."""
    for i in range(count):
        pixels = render_shape(domain.sample(rng, image_size), image_size, domain.textured)
        _write(os.path.join(folder, f"{i + 1:06d}.jpg"), jpeg_bytes(pixels))


def _write_unpaired(folder, num_images, image_size, rng, domains):
    """An unpaired set with domain B about 10% smaller than A, each split 90/10 into train/test."""
    size_a = max(4, num_images // 2)
    size_b = size_a - max(1, size_a // 10)
    for name, size, domain in (("A", size_a, domains[0]), ("B", size_b, domains[1])):
        num_test = max(1, size // 10)
        _write_domain(os.path.join(folder, "train" + name), size - num_test, image_size, rng, domain)
        _write_domain(os.path.join(folder, "test" + name), num_test, image_size, rng, domain)


def _paths(root):
    """The flag-named paths of a shapes dataset under `root`."""
    return {
        "root": root,
        "celeba_image_dir": os.path.join(root, "celeba", "images"),
        "attr_path": os.path.join(root, "celeba", "list_attr_celeba.txt"),
        "rafd_image_dir": os.path.join(root, "rafd", "train"),
        "rafd_test_dir": os.path.join(root, "rafd", "test"),
        "circle2square": os.path.join(root, "circle2square"),
        "red2blue": os.path.join(root, "red2blue"),
        "gray2color": os.path.join(root, "gray2color"),
    }


def write_shapes_dataset(root, num_images=600, image_size=64, seed=0):
    """Write (or keep, if already written with these parameters) the shapes dataset under `root`.

    Returns a dict of paths: `root`, `celeba_image_dir`, `attr_path`, `rafd_image_dir`
    (train split), `rafd_test_dir`, `circle2square`, `red2blue`, `gray2color` (unpaired
    `--data_dir`s).
    The same arguments always give byte-identical files.
    """
    root = os.fspath(root)
    params = {"version": _FORMAT_VERSION, "num_images": num_images, "image_size": image_size, "seed": seed}
    marker = os.path.join(root, _MARKER)
    try:
        with open(marker) as handle:
            if json.load(handle) == params:
                return _paths(root)
    except (OSError, ValueError):
        pass
    for sub in _SUBDIRS:
        shutil.rmtree(os.path.join(root, sub), ignore_errors=True)
    if os.path.exists(marker):
        os.remove(marker)
    rngs = [np.random.default_rng([seed, part]) for part in range(4)]
    _write_labelled(root, num_images, image_size, rngs[0])
    for part, pair in enumerate(("circle2square", "red2blue", "gray2color"), start=1):
        _write_unpaired(os.path.join(root, pair), num_images, image_size, rngs[part], PAIRS[pair])
    with open(marker, "w") as handle:  # Written last: an interrupted run is redone next time.
        json.dump(params, handle)
    return _paths(root)
