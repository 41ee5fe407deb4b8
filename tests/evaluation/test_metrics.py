"""FID, KID, SSIM and PSNR against independent NumPy references of their formulas."""

import numpy as np
import pytest

from stargan_tf.evaluation.metrics import (
    feature_statistics,
    frechet_distance,
    kernel_inception_distance,
    ssim_and_psnr,
)

EPS = np.finfo(np.float64).eps


def fid_reference(mean_a, cov_a, mean_b, cov_b):
    """TTUR's formula with sqrtm(C_a C_b) replaced by the eigenvalues of the non-symmetric
    product: tr(sqrtm(M)) is the sum of the square roots of M's eigenvalues (real parts, as
    pytorch-fid keeps)."""
    eigenvalues = np.linalg.eigvals(cov_a @ cov_b).astype(complex)
    trace_sqrt = np.sqrt(eigenvalues).real.sum()
    return np.sum((mean_a - mean_b) ** 2) + np.trace(cov_a) + np.trace(cov_b) - 2 * trace_sqrt


def reference_tolerance(cov_a, cov_b):
    """How far the eig reference itself can be off: the zero eigenvalues of a rank-deficient
    C_a C_b come out as +-eps ||C_a|| ||C_b|| and their square roots add up to
    sqrt(eps ||C_a|| ||C_b||) each, D of them."""
    scale = np.linalg.norm(cov_a, 2) * np.linalg.norm(cov_b, 2)
    return 4 * len(cov_a) * np.sqrt(EPS * scale)


def features(rng, n, d, scale=1.0):
    # Non-negative and of unequal scales, like pooled ReLU activations.
    return np.abs(rng.normal(size=(n, d))) * rng.uniform(0.1, 3.0, size=d) * scale


def test_feature_statistics_is_mean_and_unbiased_covariance():
    x = features(np.random.default_rng(0), 10, 4)
    mean, cov = feature_statistics(x)
    centred = x - x.mean(axis=0)
    np.testing.assert_allclose(mean, x.mean(axis=0))
    np.testing.assert_allclose(cov, centred.T @ centred / 9)
    with pytest.raises(ValueError, match="at least 2"):
        feature_statistics(x[:1])


def test_fid_matches_eig_reference_full_rank():
    rng = np.random.default_rng(1)
    stats_a = feature_statistics(features(rng, 200, 8))
    stats_b = feature_statistics(features(rng, 150, 8) + 0.3)
    expected = fid_reference(*stats_a, *stats_b)
    assert frechet_distance(*stats_a, *stats_b) == pytest.approx(expected, rel=1e-12)


@pytest.mark.parametrize("n_a, n_b, d", [(12, 20, 32), (9, 9, 40)],
                         ids=["n_below_d", "both_n_below_d"])
def test_fid_matches_eig_reference_rank_deficient(n_a, n_b, d):
    rng = np.random.default_rng(1)
    stats_a = feature_statistics(features(rng, n_a, d))
    stats_b = feature_statistics(features(rng, n_b, d) + 0.3)
    expected = fid_reference(*stats_a, *stats_b)
    tolerance = reference_tolerance(stats_a[1], stats_b[1])
    assert frechet_distance(*stats_a, *stats_b) == pytest.approx(expected, abs=tolerance)


def test_fid_near_singular_covariance():
    # One feature a copy of another up to 1e-7: condition number ~1e14.
    rng = np.random.default_rng(2)
    x, y = features(rng, 300, 16), features(rng, 250, 16)
    x[:, 1] = x[:, 0] + 1e-7 * rng.normal(size=300)
    y[:, 3] = 2 * y[:, 2] + 1e-7 * rng.normal(size=250)
    stats_a, stats_b = feature_statistics(x), feature_statistics(y)
    assert np.linalg.cond(stats_a[1]) > 1e12
    tolerance = reference_tolerance(stats_a[1], stats_b[1])
    assert frechet_distance(*stats_a, *stats_b) == pytest.approx(
        fid_reference(*stats_a, *stats_b), abs=tolerance)


def test_fid_exact_on_covariances_of_a_common_subspace():
    """C_a = U A U^T, C_b = U B U^T (rank k < D, U orthonormal): the trace term is that of the
    k x k full-rank problem, computed without rank deficiency. The implementation matches it
    to rounding (eps-level), far tighter than the eig reference can."""
    rng = np.random.default_rng(3)
    d, k = 48, 11
    u, _ = np.linalg.qr(rng.normal(size=(d, k)))
    g_a, g_b = rng.normal(size=(k, k)), rng.normal(size=(k, k))
    a, b = g_a @ g_a.T / k, g_b @ g_b.T / k + np.eye(k) * 0.1
    w, v = np.linalg.eigh(a)
    root_a = (v * np.sqrt(w)) @ v.T
    trace_sqrt = np.sqrt(np.linalg.eigvalsh(root_a @ b @ root_a)).sum()
    mean_a, mean_b = rng.normal(size=d), rng.normal(size=d)
    expected = np.sum((mean_a - mean_b) ** 2) + np.trace(a) + np.trace(b) - 2 * trace_sqrt
    got = frechet_distance(mean_a, u @ a @ u.T, mean_b, u @ b @ u.T)
    assert got == pytest.approx(expected, rel=1e-11)


@pytest.mark.parametrize("n, d", [(100, 6), (10, 30)], ids=["full_rank", "n_below_d"])
def test_fid_of_a_set_with_itself_is_zero(n, d):
    """|FID(A, A)| <= 10 D eps tr(C): the trace term, the sum of the D singular values of
    R R = C (each computed by eigh/SVD to a few eps ||C|| <= eps tr(C)), cancels
    tr(C) + tr(C), sums of D terms each rounded to eps tr(C). Measured over 200 seeds: at
    most 29 eps tr(C), with D >= 6."""
    mean, cov = feature_statistics(features(np.random.default_rng(4), n, d))
    bound = 10 * d * EPS * np.trace(cov)
    assert abs(frechet_distance(mean, cov, mean, cov)) <= bound


def test_fid_is_symmetric():
    rng = np.random.default_rng(5)
    stats_a = feature_statistics(features(rng, 15, 24))
    stats_b = feature_statistics(features(rng, 40, 24))
    forward, backward = frechet_distance(*stats_a, *stats_b), frechet_distance(*stats_b, *stats_a)
    assert forward == pytest.approx(backward, rel=1e-12)


def test_fid_grows_by_the_squared_mean_shift_for_equal_covariances():
    rng = np.random.default_rng(6)
    mean, cov = feature_statistics(features(rng, 20, 12))
    shift = rng.normal(size=12)
    # The trace terms are the same numbers in both calls, so the difference is exact.
    difference = frechet_distance(mean + shift, cov, mean, cov) - frechet_distance(
        mean, cov, mean, cov)
    assert difference == pytest.approx(np.sum(shift ** 2), rel=1e-12)


def test_fid_refuses_mismatched_statistics():
    with pytest.raises(ValueError, match="mismatched"):
        frechet_distance(np.zeros(3), np.eye(3), np.zeros(4), np.eye(4))


def kid_reference(x, y):
    """The unbiased MMD^2 estimator of Binkowski et al. 2018, written as its double sums."""
    d = x.shape[1]

    def k(a, b):
        return (np.dot(a, b) / d + 1.0) ** 3

    m, n = len(x), len(y)
    xx = sum(k(x[i], x[j]) for i in range(m) for j in range(m) if i != j) / (m * (m - 1))
    yy = sum(k(y[i], y[j]) for i in range(n) for j in range(n) if i != j) / (n * (n - 1))
    xy = sum(k(x[i], y[j]) for i in range(m) for j in range(n)) / (m * n)
    return xx + yy - 2 * xy


def test_kid_matches_double_sum_reference_on_unequal_sizes():
    rng = np.random.default_rng(7)
    x, y = features(rng, 7, 5), features(rng, 11, 5) + 0.5
    # One block at least as large as both sets: the estimator over every example.
    mean, std = kernel_inception_distance(x, y, block_size=11)
    assert mean == pytest.approx(kid_reference(x, y), rel=1e-12)
    assert np.isnan(std)  # the standard error of a single block is undefined


def test_kid_blocks_are_consecutive_and_their_mean_and_standard_error_reported():
    rng = np.random.default_rng(9)
    x, y = features(rng, 23, 4), features(rng, 31, 4)
    # 31 examples in blocks of at most 10: 4 blocks; x splits 5, 6, 6, 6 and y 7, 8, 8, 8.
    cuts_x, cuts_y = np.cumsum([0, 5, 6, 6, 6]), np.cumsum([0, 7, 8, 8, 8])
    estimates = [kid_reference(x[cuts_x[i]:cuts_x[i + 1]], y[cuts_y[i]:cuts_y[i + 1]]) for i in range(4)]
    mean, std = kernel_inception_distance(x, y, block_size=10)
    assert mean == pytest.approx(np.mean(estimates), rel=1e-12)
    assert std == pytest.approx(np.std(estimates, ddof=1) / 2.0, rel=1e-12)  # sqrt(var / 4 blocks)


def test_kid_near_zero_for_one_distribution_and_grows_with_a_shift():
    rng = np.random.default_rng(8)
    x, y = rng.normal(size=(300, 16)), rng.normal(size=(300, 16))
    mean, std = kernel_inception_distance(x, y)
    # 30 independent unbiased block estimates (expectation 0 here): their mean lies within
    # 3 standard errors of 0 but for a 0.3% chance (fixed seed).
    assert abs(mean) <= 3 * std
    shifted_mean, _ = kernel_inception_distance(x, y + 1.0)
    assert shifted_mean > 10 * std


def test_kid_refuses_blocks_with_fewer_than_two_examples():
    x = np.ones((5, 3))
    with pytest.raises(ValueError, match="at least 2 examples.*features_b has 1"):
        kernel_inception_distance(x, x[:1])
    # 40 examples in blocks of 10 need 4 blocks: the other set needs 8.
    with pytest.raises(ValueError, match="features_b has 7 for 4 block.*at least 8 needed"):
        kernel_inception_distance(np.ones((40, 3)), np.ones((7, 3)), block_size=10)


def test_ssim_and_psnr_of_identical_images():
    truths = np.random.default_rng(9).uniform(-1, 1, size=(3, 16, 16, 3))
    ssim, psnr = ssim_and_psnr(truths, truths)
    np.testing.assert_allclose(ssim, 1.0, atol=1e-6)
    # MSE 0: tf.image.psnr returns +inf (no error, no NaN).
    assert np.all(np.isposinf(psnr))


def test_psnr_of_a_constant_offset():
    truths = np.random.default_rng(10).uniform(-1, 0.8, size=(2, 16, 16, 3))
    ssim, psnr = ssim_and_psnr(truths + 0.2, truths)
    # 0.2 in [-1, 1] is 0.1 in [0, 1]: MSE 0.01, PSNR = 10 log10(1 / 0.01) = 20 dB.
    np.testing.assert_allclose(psnr, 20.0, rtol=1e-6)
    assert ssim.shape == (2,) and np.all(ssim < 1.0)


def test_ssim_refuses_images_smaller_than_its_window():
    images = np.zeros((1, 10, 16, 3))
    with pytest.raises(ValueError, match="at least 11x11"):
        ssim_and_psnr(images, images)
