"""benchmarks/preset_quality.py's measurements: ideal translations (ground-truth renders of
what the issue asks for) meet every criterion, and the usual wrong ones are counted as misses."""

import numpy as np
import pytest
from PIL import Image, ImageFilter

from benchmarks import preset_quality, shape_measures
from stargan_tf.pipelines import shapes

SOURCE, SIZE, COUNT = 64, 32, 12
STARGAN_NAMES = ("Red_Shape", "Green_Shape", "Blue_Shape", "Dark_Background")


def _render(shape, textured=False):
    return shape_measures.draw(shape, textured, SOURCE, SIZE).pixels


def _measure(output, example, target):
    return shape_measures.measure(output, example, target, SOURCE)


@pytest.fixture(scope="module")
def labelled():
    return shape_measures.labelled_examples(COUNT, 5, SOURCE, SIZE)


@pytest.fixture(scope="module", params=["circle2square", "red2blue"])
def pair(request):
    """(pair name, [(source examples, target domain)] for a2b and b2a)."""
    a, b = shapes.PAIRS[request.param]
    return request.param, [(shape_measures.domain_examples(a, COUNT, 5, 1, SOURCE, SIZE), b),
                           (shape_measures.domain_examples(b, COUNT, 5, 2, SOURCE, SIZE), a)]


def test_foreground_is_the_drawn_shape_texture_included(labelled):
    textured = shape_measures.domain_examples(shapes.PAIRS["red2blue"][1], COUNT, 5, 2, SOURCE, SIZE)
    assert any(e.shape["texture"] == 0 for e in textured) and any(e.shape["texture"] == 1 for e in textured)
    for example in labelled + textured:  # not 1: edge pixels a third covered are saturated enough
        assert shape_measures.iou(shape_measures.foreground(example.pixels), example.mask) >= 0.75


def test_ideal_stargan_translations_meet_every_criterion(labelled):
    for example in labelled:
        targets = [shape_measures.changed(example.shape, colour=c) for c in range(3) if c != example.shape["colour"]]
        targets.append(shape_measures.changed(example.shape, dark=not example.shape["dark"]))
        for target in targets:
            result = _measure(_render(target), example, target)
            assert result["colour"] and result["background"] and result["shape"], result


def test_ideal_unpaired_translations_meet_their_criteria(pair):
    name, directions = pair
    for examples, domain in directions:
        for example in examples:
            target = shape_measures.changed(example.shape, **domain.fixed)
            result = _measure(_render(target, domain.textured), example, target)
            assert all(result[c] for c in preset_quality.PAIR_CRITERIA[name]), (name, result)


def test_input_returned_unchanged_is_a_miss(labelled):
    for example in labelled:
        colour = (example.shape["colour"] + 1) % 3
        assert not _measure(example.pixels, example, shape_measures.changed(example.shape, colour=colour))["colour"]
        flipped = shape_measures.changed(example.shape, dark=not example.shape["dark"])
        assert not _measure(example.pixels, example, flipped)["background"]
        other_form = shape_measures.changed(example.shape, square=not example.shape["square"])
        assert not _measure(example.pixels, example, other_form)["form"]  # a circle where a square is wanted


def test_blob_shift_size_faint_smudge_and_noise_are_misses(labelled):
    for example in labelled:
        shape = example.shape
        target = shape_measures.changed(shape, square=not shape["square"])
        if target["square"]:  # a blurred round blob where a square is wanted
            blob = Image.fromarray(_render(dict(target, square=False))).filter(ImageFilter.GaussianBlur(1.5))
            assert not _measure(np.asarray(blob), example, target)["form"]
        radius = shape["radius"] * SIZE / SOURCE
        shifted = np.roll(_render(target), int(np.ceil(radius)), axis=1)
        assert not _measure(shifted, example, target)["form"]
        kept = shape_measures.changed(shape, colour=(shape["colour"] + 1) % 3)
        assert not _measure(np.roll(_render(kept), int(np.ceil(radius)), axis=1), example, kept)["shape"]
        small = _measure(_render(dict(target, radius=shape["radius"] / 2)), example, target)
        assert not small["size"] and not small["form"]
        grey = np.full_like(example.pixels, int(shape["level"]))
        faint = (0.3 * _render(kept) + 0.7 * grey).astype(np.uint8)
        result = _measure(faint, example, kept)
        assert not result["colour"] and not result["shape"], result
        noise = np.random.default_rng(0).integers(0, 256, example.pixels.shape).astype(np.uint8)
        assert not _measure(noise, example, kept)["colour"]  # saturated everywhere, no colour dominates


class _Fake:
    """An export that returns the ideal translation, or the input unchanged."""

    image_size = SIZE

    def __init__(self, pair=None, ideal=True):
        self.pair, self.ideal = pair, ideal
        inputs = [{"kind": "image"}, {"kind": "binary", "names": list(STARGAN_NAMES)}]
        self.endpoints = {"translate": {"inputs": inputs}}

    def translate(self, endpoint, examples, target=None):
        if not self.ideal:
            return np.stack([e.pixels for e in examples])
        outputs = []
        for index, example in enumerate(examples):
            if target is not None:  # StarGAN: the colour set, and the background, in the label vector
                labels = target[index]
                wanted = shape_measures.changed(example.shape, colour=int(np.argmax(labels[:3])), dark=labels[3] > 0.5)
                outputs.append(_render(wanted))
            else:
                domain = shapes.PAIRS[self.pair][endpoint == "a2b"]
                outputs.append(_render(shape_measures.changed(example.shape, **domain.fixed), domain.textured))
        return np.stack(outputs)


def test_script_scores_an_ideal_export_fully_and_an_identity_export_not():
    rows, columns = preset_quality.stargan_rows(_Fake(), 9, 3)
    assert [(r.name, len(r.results)) for r in rows] == [
        ("own labels", 9), ("Red_Shape", 6), ("Green_Shape", 6), ("Blue_Shape", 6), ("Dark_Background (flipped)", 9)]
    assert all(r.rate(preset_quality.STARGAN_CRITERIA) == 1.0 for r in rows)
    assert [name for name, _ in columns] == ["input", "own labels", *STARGAN_NAMES]
    assert all(rate == 1.0 for _, rate, _ in preset_quality.verdicts("stargan", None, rows))
    # The input returned unchanged is the ideal only for its own labels.
    rows, _ = preset_quality.stargan_rows(_Fake(ideal=False), 9, 3)
    assert rows[0].rate(preset_quality.STARGAN_CRITERIA) == 1.0
    assert [r.rate(("colour",)) for r in rows[1:4]] == [0.0] * 3 and rows[4].rate(("background",)) == 0.0
    for pair, model, required in (("circle2square", "ugatit", 2), ("red2blue", "cyclegan", 1)):
        rows, _ = preset_quality.unpaired_rows(_Fake(pair), pair, 6, 3)
        assert [r.rate(preset_quality.PAIR_CRITERIA[pair]) for r in rows] == [1.0, 1.0]
        assert [rate for _, rate, _ in preset_quality.verdicts(model, pair, rows)] == [1.0] * required
        rows, _ = preset_quality.unpaired_rows(_Fake(pair, ideal=False), pair, 6, 3)
        assert [r.rate(preset_quality.PAIR_CRITERIA[pair]) for r in rows] == [0.0, 0.0]


class _FailsOnDark(_Fake):
    """Ideal on light backgrounds; loses the shape of dark-background inputs (returns their
    plain background, so even their own-label translation fails)."""

    def translate(self, endpoint, examples, target=None):
        ideal = super().translate(endpoint, examples, target)
        return np.stack([np.full_like(out, int(e.shape["level"])) if e.shape["dark"] else out
                         for e, out in zip(examples, ideal)])


def test_stargan_rates_split_by_input_background(capsys):
    rows, _ = preset_quality.stargan_rows(_FailsOnDark(), 9, 3)
    preset_quality.print_by_input_background(rows, preset_quality.STARGAN_CRITERIA)
    lines = capsys.readouterr().out.splitlines()
    dark, light = (line.split() for line in lines[-2:])
    assert dark[0] == "dark-background" and light[0] == "light-background"
    assert int(dark[2]) + int(light[2]) == sum(len(r.results) for r in rows)
    assert light[-1] == "100.0%" and dark[-1] == "0.0%"


class _FakeDrit:
    """A DRIT export on gray2color that paints the grey shape in the colour its code picks
    (the largest of the code's first three entries) or its reference has; ``collapsed``:
    always green."""

    image_size, load_size = SIZE, SIZE + 4  # framed as DRIT's exports are: resized, then the centred window
    endpoints = {"a2b": {"inputs": [{"kind": "image"}, {"kind": "normal", "shape": [8]}]},
                 "a2b_reference": {"inputs": [{"kind": "image"}, {"kind": "image"}]}}

    def __init__(self, collapsed=False):
        self.collapsed = collapsed

    def translate(self, endpoint, examples, target=None, references=None):
        outputs = []
        for index, example in enumerate(examples):
            if self.collapsed:
                colour = 1
            elif endpoint == "a2b":
                colour = int(np.argmax(target[index][:3]))
            else:
                colour = references[index].shape["colour"]
            rgb = np.full(3, 20)
            rgb[colour] = 230
            outputs.append(shape_measures.draw(dict(example.shape, colour=colour, rgb=rgb), False, SOURCE, SIZE,
                                               self.load_size).pixels)
        return np.stack(outputs)


def test_drit_rates_diversity_and_the_reference_colour():
    rows, columns = preset_quality.drit_rows(_FakeDrit(), 8, 3)
    assert [name for name, _ in columns] == ["input A", *(f"code {k}" for k in range(1, 6)), "reference",
                                             "from reference"]
    assert all(rows[0].rate((criterion,)) == 1.0 for criterion in preset_quality.DRIT_CRITERIA)
    rows, _ = preset_quality.drit_rows(_FakeDrit(collapsed=True), 8, 3)
    assert rows[0].rate(("shape", "coloured", "reference shape")) == 1.0
    assert rows[0].rate(("diverse",)) == 0.0 and rows[0].rate(("reference colour",)) < 1.0


def test_sagan_ideal_edits_pass_and_wrong_ones_miss():
    """The ideal Spot edit (the image rendered with the spot flipped, the mask on the spot's
    neighbourhood) meets every criterion; the input returned unchanged misses the edit, a
    change of the background misses `kept`, a mask spread over the image misses the spot."""
    examples = shape_measures.labelled_examples(2 * COUNT, 5, SOURCE, SIZE, spot=None)
    assert any(e.shape["spot"] for e in examples) and not all(e.shape["spot"] for e in examples)
    for example in examples:
        flipped = dict(example.shape, spot=not example.shape["spot"])
        ideal = _render(flipped)
        near = shape_measures.spot_neighbourhood(example.shape, SOURCE, SIZE).astype(np.float64)
        assert all(shape_measures.measure_edit(ideal, near, example, flipped["spot"], SOURCE).values())
        assert not shape_measures.measure_edit(example.pixels, near, example, flipped["spot"], SOURCE)["edit"]
        lighter = np.clip(ideal.astype(int) + 20, 0, 255).astype(np.uint8)
        assert not shape_measures.measure_edit(lighter, near, example, flipped["spot"], SOURCE)["kept"]
        spread = np.ones((SIZE, SIZE))
        assert not shape_measures.measure_edit(ideal, spread, example, flipped["spot"], SOURCE)["mask on spot"]
