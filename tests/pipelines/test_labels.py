"""Label spaces, test-time target labels and the training-time target permutation."""

import numpy as np
import pytest

from stargan_tf.pipelines import DEFAULT_EXCLUSIVE_GROUPS, DataError, LabelSpace, shuffled_targets

CELEBA = ["Black_Hair", "Blond_Hair", "Brown_Hair", "Male", "Young"]


def test_parse_exclusive_groups_keeps_selected_and_drops_singletons():
    space = LabelSpace(["Black_Hair", "Blond_Hair", "Male", "Red_Shape"])
    assert space.parse_exclusive_groups(DEFAULT_EXCLUSIVE_GROUPS) == (("Black_Hair", "Blond_Hair"),)
    assert space.parse_exclusive_groups("") == ()


def test_official_create_labels_for_celeba():
    space = LabelSpace.from_flags(CELEBA, DEFAULT_EXCLUSIVE_GROUPS)
    assert space.size == 5 and space.exclusive_groups == (("Black_Hair", "Blond_Hair", "Brown_Hair"),)
    original = np.array([[1, 0, 0, 1, 0], [0, 0, 1, 0, 1]], np.float32)
    targets = dict(space.test_targets(original))
    assert list(targets) == CELEBA
    np.testing.assert_array_equal(targets["Blond_Hair"], [[0, 1, 0, 1, 0], [0, 1, 0, 0, 1]])
    np.testing.assert_array_equal(targets["Male"], [[1, 0, 0, 0, 0], [0, 0, 1, 1, 1]])
    np.testing.assert_array_equal(original, [[1, 0, 0, 1, 0], [0, 0, 1, 0, 1]])  # not modified
    only = space.test_targets(original, ["Young"])
    assert [name for name, _ in only] == ["Young"]


def test_single_label_targets_are_one_hot():
    space = LabelSpace(["angry", "happy", "sad"], single_label=True)
    (name, target), = space.test_targets(np.eye(3, dtype=np.float32), ["sad"])
    np.testing.assert_array_equal(target, [[0, 0, 1]] * 3)


def test_unknown_name_lists_valid_names():
    space = LabelSpace(CELEBA)
    with pytest.raises(DataError, match="--target_attrs.*Black_Hair, Blond_Hair"):
        space.index("Bald")
    with pytest.raises(DataError):
        space.test_targets(np.zeros((1, 5)), ["Bald"])
    with pytest.raises(DataError):
        LabelSpace(["a", "b"], exclusive_groups=[("a", "c")])


def test_shuffled_targets_permute_rows_deterministically():
    labels = np.arange(24, dtype=np.float32).reshape(8, 3)
    first = shuffled_targets(labels, seed=3, step=5).numpy()
    np.testing.assert_array_equal(first, shuffled_targets(labels, seed=3, step=5).numpy())
    assert sorted(map(tuple, first)) == sorted(map(tuple, labels))
    others = [shuffled_targets(labels, seed=3, step=s).numpy() for s in range(6, 10)]
    assert any(not np.array_equal(first, o) for o in others)


def test_flag_mistakes_name_the_flag_and_the_repeated_names():
    with pytest.raises(DataError) as error:
        LabelSpace(["Male", "Young", "Male"])
    assert str(error.value) == "--selected_attrs names Male more than once; list each attribute once."
    with pytest.raises(DataError) as error:
        LabelSpace.from_flags(CELEBA, "Black_Hair,Blond_Hair;Blond_Hair,Brown_Hair")
    assert str(error.value) == (
        "--exclusive_attrs puts Blond_Hair in more than one group; put each attribute in at most one group "
        "(';' between groups, ',' within)."
    )
    space = LabelSpace.from_flags(CELEBA, "Black_Hair,Black_Hair,Blond_Hair")  # a repeat within a group is harmless
    assert space.exclusive_groups == (("Black_Hair", "Blond_Hair"),)
