"""Learning-rate schedules, pure functions of the iteration so a resumed run is on schedule."""


def linear_decay(base_lr, iteration, start, end, update_every=1):
    """``base_lr`` until ``start``, then linearly to 0 at ``end`` (StarGAN, U-GAT-IT,
    CycleGAN all decay this way over the last part of training).

    The rate changes every ``update_every`` iterations (StarGAN's ``lr_update_step``), so
    it is piecewise constant; it reaches exactly 0 at ``end``.
    """
    if iteration < start or end <= start:
        return float(base_lr)
    progressed = ((iteration - start) // update_every) * update_every
    return float(base_lr) * max(0.0, 1.0 - progressed / float(end - start))
