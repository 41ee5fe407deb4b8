"""The numbers an evaluation reports: FID and KID on feature vectors, SSIM and PSNR on image
pairs. FID and KID are NumPy in float64 (their traces and kernel sums cancel large terms);
SSIM and PSNR are TensorFlow's, so they match what TF-based papers report."""

import numpy as np

# tf.image.ssim's default Gaussian window is 11 x 11 and it asserts (at run time, with an
# unhelpful message) that both image sides are at least that long.
SSIM_FILTER_SIZE = 11


def feature_statistics(features):
    """Mean and covariance of features ``[N, D]``: the Gaussian fitted in FID (Heusel et al.
    2017, eq. (6)). The covariance divides by ``N - 1`` (``np.cov``), as TTUR's ``fid.py`` does.

    Returns:
        ``(mean [D], covariance [D, D])``, float64.
    """
    features = np.asarray(features, np.float64)
    if features.ndim != 2:
        raise ValueError(f"features must be [N, D], got shape {features.shape}")
    if len(features) < 2:
        raise ValueError(f"a covariance needs at least 2 examples, got {len(features)}")
    return features.mean(axis=0), np.cov(features, rowvar=False)


def _symmetric_sqrt(matrix):
    """The PSD square root of a symmetric matrix; eigenvalues that rounding made negative
    (rank-deficient covariances have many exact zeros) are clipped to 0."""
    eigenvalues, eigenvectors = np.linalg.eigh(matrix)
    return (eigenvectors * np.sqrt(np.clip(eigenvalues, 0.0, None))) @ eigenvectors.T


def frechet_distance(mean_a, cov_a, mean_b, cov_b):
    """Fréchet distance between two Gaussians, Heusel et al. 2017 ("GANs Trained by a Two
    Time-Scale Update Rule...", eq. (6)), the FID when the Gaussians are fitted to Inception
    pool_3 features::

        d^2 = ||mu_a - mu_b||^2 + tr(C_a) + tr(C_b) - 2 tr((C_a C_b)^{1/2})

    The trace of the square root is computed on a symmetric PSD matrix instead of
    ``scipy.linalg.sqrtm(C_a @ C_b)``: with ``R = C_a^{1/2}`` (symmetric, from ``eigh``),
    ``C_a C_b = R^{-1} (R C_b R) R`` is similar to ``R C_b R``, so ``tr((C_a C_b)^{1/2})`` is
    the sum of the square roots of the eigenvalues of ``R C_b R``. Since
    ``R C_b R = (R S)(R S)^T`` with ``S = C_b^{1/2}``, those square roots are exactly the
    singular values of ``R S``, which is how they are computed here: an SVD returns them to
    ``eps * ||C||`` accuracy, whereas square-rooting the eigenvalues of ``R C_b R`` turns
    the ``±eps ||C||^2`` rounding of its (many) zero eigenvalues into ``sqrt(eps) ||C||``
    errors each. This form is symmetric in a and b, exact for singular covariances (N < D,
    the normal case for small test sets, where ``sqrtm`` of the non-symmetric product warns
    and returns complex parts that must be discarded), and needs no scipy.

    Args:
        mean_a, mean_b: means ``[D]``.
        cov_a, cov_b: covariances ``[D, D]`` (symmetric PSD).

    Returns:
        The squared distance, a Python float (>= 0 up to rounding).
    """
    mean_a, mean_b = np.asarray(mean_a, np.float64), np.asarray(mean_b, np.float64)
    cov_a, cov_b = np.asarray(cov_a, np.float64), np.asarray(cov_b, np.float64)
    if mean_a.shape != mean_b.shape or cov_a.shape != cov_b.shape \
            or cov_a.shape != mean_a.shape * 2:
        raise ValueError(f"mismatched statistics: means {mean_a.shape}, {mean_b.shape}, "
                         f"covariances {cov_a.shape}, {cov_b.shape}")
    trace_sqrt = np.linalg.svd(_symmetric_sqrt(cov_a) @ _symmetric_sqrt(cov_b),
                               compute_uv=False).sum()
    mean_term = np.sum((mean_a - mean_b) ** 2)
    return float(mean_term + np.trace(cov_a) + np.trace(cov_b) - 2.0 * trace_sqrt)


def _polynomial_kernel(x, y):
    """k(x, y) = (x.y / D + 1)^3, the KID kernel (Binkowski et al. 2018, section 3)."""
    return (x @ y.T / x.shape[1] + 1.0) ** 3


def _unbiased_mmd2(x, y):
    """Unbiased MMD^2 estimate for samples of sizes m and n (Gretton et al. 2012, eq. (3),
    with unequal sizes): the within-set means exclude the diagonal k(x_i, x_i)."""
    m, n = len(x), len(y)
    k_xx, k_yy, k_xy = _polynomial_kernel(x, x), _polynomial_kernel(y, y), _polynomial_kernel(x, y)
    within_x = (k_xx.sum() - np.trace(k_xx)) / (m * (m - 1))
    within_y = (k_yy.sum() - np.trace(k_yy)) / (n * (n - 1))
    return within_x + within_y - 2.0 * k_xy.mean()


def block_sizes(count, blocks):
    """Sizes of ``blocks`` consecutive blocks covering ``count`` examples, the first ones one
    smaller than the last ones where ``count`` does not divide (TF-GAN's split)."""
    base, longer = divmod(count, blocks)
    return [base] * (blocks - longer) + [base + 1] * longer


def kernel_inception_distance(features_a, features_b, block_size=10):
    """Kernel Inception Distance, Binkowski et al. 2018 ("Demystifying MMD GANs", section 3):
    the unbiased squared MMD between the two feature sets under the polynomial kernel
    ``k(x, y) = (x.y / D + 1)^3``, with the block estimator of TF-GAN's
    ``kernel_classifier_distance_and_std``, which the U-GAT-IT paper's numbers come from (its
    author's GAN_Metrics-Tensorflow, ``max_block_size=10``).

    Both sets are cut, in order, into ``ceil(max(N_a, N_b) / block_size)`` blocks of nearly
    equal size; the unbiased estimate is taken on each pair of blocks; the result is their
    mean and its standard error ``sqrt(var / blocks)`` (variance with Bessel's correction;
    NaN for a single block). Every block estimate is unbiased, so sets of different sizes
    are fine. The paper reports "KID x 100": the caller multiplies both numbers by 100.

    Args:
        features_a, features_b: ``[N_a, D]`` and ``[N_b, D]`` features.
        block_size: the largest block.

    Returns:
        ``(mean, std)``, Python floats.

    Raises:
        ValueError: a block would hold fewer than 2 examples of a set (the within-set
            term needs 2): the smaller set must have at least twice as many examples as
            there are blocks.
    """
    features_a = np.asarray(features_a, np.float64)
    features_b = np.asarray(features_b, np.float64)
    if features_a.ndim != 2 or features_b.ndim != 2 or features_a.shape[1] != features_b.shape[1]:
        raise ValueError(f"features must be [N, D] with the same D, got {features_a.shape} "
                         f"and {features_b.shape}")
    if block_size < 2:
        raise ValueError(f"block_size must be at least 2, got {block_size}")
    blocks = -(-max(len(features_a), len(features_b)) // block_size)
    for name, features in (("features_a", features_a), ("features_b", features_b)):
        if len(features) < 2 * max(blocks, 1):
            raise ValueError(f"KID needs at least 2 examples of each set per block: {name} has "
                             f"{len(features)} for {blocks} block(s) of at most {block_size}, at least "
                             f"{2 * max(blocks, 1)} needed")
    starts = [np.cumsum([0] + block_sizes(len(f), blocks)) for f in (features_a, features_b)]
    estimates = np.array([_unbiased_mmd2(features_a[starts[0][i]:starts[0][i + 1]],
                                         features_b[starts[1][i]:starts[1][i + 1]]) for i in range(blocks)])
    mean = float(estimates.mean())
    std = float(np.sqrt(estimates.var(ddof=1) / blocks)) if blocks > 1 else float("nan")
    return mean, std


def ssim_and_psnr(images, truths):
    """Per-image SSIM (Wang et al. 2004, eq. (13), averaged over windows as their MSSIM,
    eq. (17), and over channels; ``tf.image.ssim``: 11 x 11 Gaussian window, sigma 1.5,
    k1 0.01, k2 0.03) and PSNR
    (``10 log10(1 / MSE)``, ``tf.image.psnr``), both on pixels mapped to [0, 1] with max_val 1.

    Identical images give SSIM 1 and PSNR ``inf`` (the MSE is 0; TensorFlow returns inf, not
    an error). Values are not clipped: generator outputs (tanh) and data are in [-1, 1].

    Args:
        images, truths: float arrays ``[N, H, W, 3]`` in [-1, 1], the same shape; H and W at
            least 11 (the SSIM window; tf.image.ssim accepts 11 x 11 and refuses 10 x 10).

    Returns:
        ``(ssim [N], psnr [N])`` NumPy float64 arrays.
    """
    import tensorflow as tf  # here, so the FID/KID maths import without TensorFlow

    images = np.asarray(images, np.float64)
    truths = np.asarray(truths, np.float64)
    if images.shape != truths.shape or images.ndim != 4:
        raise ValueError(f"images and truths must be the same [N, H, W, C] shape, got "
                         f"{images.shape} and {truths.shape}")
    if min(images.shape[1:3]) < SSIM_FILTER_SIZE:
        raise ValueError(f"SSIM needs images of at least {SSIM_FILTER_SIZE}x{SSIM_FILTER_SIZE} "
                         f"pixels (its Gaussian window), got {images.shape[1]}x{images.shape[2]}")
    images, truths = (images + 1.0) / 2.0, (truths + 1.0) / 2.0
    ssim = tf.image.ssim(images, truths, max_val=1.0).numpy()
    psnr = tf.image.psnr(images, truths, max_val=1.0).numpy()
    return ssim.astype(np.float64), psnr.astype(np.float64)
