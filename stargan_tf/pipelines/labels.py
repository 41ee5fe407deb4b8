"""Domain labels: which attributes/classes exist, which are exclusive, and target labels.

StarGAN conditions G on a target label vector. In training the targets are the real
labels of the batch in shuffled order (official `label_trg = label_org[randperm(B)]`);
in test mode each input is translated once per selected name (official `create_labels`,
generalised here from CelebA's hard-coded hair colours to any exclusive groups).
"""

import dataclasses

import numpy as np
import tensorflow as tf

from stargan_tf.pipelines import sampling
from stargan_tf.pipelines.errors import DataError

# Default `--exclusive_attrs`: CelebA hair colours and the built-in shapes' colours.
DEFAULT_EXCLUSIVE_GROUPS = "Black_Hair,Blond_Hair,Brown_Hair,Gray_Hair;Red_Shape,Green_Shape,Blue_Shape"


@dataclasses.dataclass(frozen=True)
class LabelSpace:
    """The label vector's meaning.

    Attributes:
      names: attribute or class names, in label-vector order.
      exclusive_groups: tuples of names of which a target sets exactly one (e.g. hair colours).
      single_label: labels are one-hot classes (RaFD); the whole vector is one exclusive group.
    """

    names: tuple
    exclusive_groups: tuple = ()
    single_label: bool = False

    def __post_init__(self):
        """Normalise to tuples and check that names are unique and groups are disjoint subsets."""
        object.__setattr__(self, "names", tuple(self.names))
        object.__setattr__(self, "exclusive_groups", tuple(tuple(g) for g in self.exclusive_groups))
        repeated = _repeated(self.names)
        if repeated:
            raise DataError(f"--selected_attrs names {', '.join(repeated)} more than once; list each attribute once.")
        grouped = [n for group in self.exclusive_groups for n in group]
        repeated = _repeated(grouped)
        if repeated:
            raise DataError(
                f"--exclusive_attrs puts {', '.join(repeated)} in more than one group; put each attribute in at "
                "most one group (';' between groups, ',' within)."
            )
        for name in grouped:
            self.index(name)

    @classmethod
    def from_flags(cls, names, exclusive_groups_flag="", single_label=False):
        """Build from selected names and an `--exclusive_attrs` flag string (see `parse_exclusive_groups`)."""
        groups = () if single_label else cls(names).parse_exclusive_groups(exclusive_groups_flag)
        return cls(names, groups, single_label)

    @property
    def size(self):
        """The label vector length (official `c_dim`)."""
        return len(self.names)

    def index(self, name):
        """The position of `name` in the label vector; `DataError` listing valid names if absent."""
        if name not in self.names:
            raise DataError(
                f"unknown label name {name!r} in --target_attrs/--selected_attrs; "
                f"valid names are: {', '.join(self.names)}"
            )
        return self.names.index(name)

    def parse_exclusive_groups(self, flag_value):
        """Parse `"A,B,C;D,E"` into groups of selected names; groups with < 2 selected names are dropped."""
        groups = []
        for chunk in (flag_value or "").split(";"):
            group = tuple(dict.fromkeys(n.strip() for n in chunk.split(",") if n.strip() in self.names))
            if len(group) >= 2:
                groups.append(group)
        return tuple(groups)

    def group_of(self, name):
        """The exclusive group containing `name`, or None."""
        for group in self.exclusive_groups:
            if name in group:
                return group
        return None

    def target_for(self, original_labels, name):
        """Labels `[N, c]` turned towards `name`: set within its group, flip if ungrouped, one-hot if single-label."""
        labels = np.array(original_labels, dtype=np.float32, copy=True)
        column = self.index(name)
        if self.single_label:
            labels[:] = 0.0
            labels[:, column] = 1.0
            return labels
        group = self.group_of(name)
        if group is None:
            labels[:, column] = 1.0 - labels[:, column]
            return labels
        for other in group:
            labels[:, self.index(other)] = 0.0
        labels[:, column] = 1.0
        return labels

    def test_targets(self, original_labels, target_names=None):
        """Official `create_labels`, generalised: a list of `(name, labels [N, c])`, one per target name."""
        names = self.names if target_names is None else tuple(target_names)
        return [(name, self.target_for(original_labels, name)) for name in names]


def _repeated(names):
    """The names that occur more than once in `names`, each once, in first-occurrence order."""
    return list(dict.fromkeys(n for i, n in enumerate(names) if n in names[:i]))


def shuffled_targets(labels, seed, step):
    """Target labels for a training batch: its label rows in a stateless random order.

    The TF form of the official `label_trg = label_org[randperm(B)]`; the permutation is a
    pure function of `(seed, step)` so a resumed run sees the same targets.
    """
    batch = tf.shape(labels, out_type=tf.int64)[0]
    order = sampling.permuted_index(tf.range(batch), batch - 1, seed, stream=step, salt=sampling.SALT_TARGETS)
    return tf.gather(labels, order)
