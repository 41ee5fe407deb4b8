"""One evaluation of a trained system: its translations of the test split scored with the
papers' metrics (``protocols`` says what is translated and compared, ``metrics`` computes).

Per target domain: FID (Heusel et al. 2017) and KID x 100 (Binkowski et al. 2018, the
U-GAT-IT paper's table) between the translations and the real test images of the target,
on the features of ``feature_network``; the attribute / domain accuracy of the StarGAN
paper (the classifier's verdict on the translations); SSIM and PSNR against ground truth
where there is one; the SSIM of attribute edits to their inputs (how much else is kept); the
diversity of systems with random codes. Plus the identity
reconstruction's SSIM and PSNR where a translation to the input's own domain exists.
"""

import hashlib
import os

import numpy as np

from stargan_tf.evaluation import classifier as classifiers
from stargan_tf.evaluation import metrics
from stargan_tf.evaluation.errors import EvaluationError

KID_SCALE = 100.0  # the U-GAT-IT paper reports KID x 100


def _digest(array):
    return hashlib.sha256(np.ascontiguousarray(array).tobytes()).hexdigest()[:16]


class RealFeatures:
    """Features of real image sets, cached on disk per feature network and image content:
    the real side of FID / KID is the same for every run and iteration on one dataset, and
    computing it costs as much as the translated side (Inception at 299x299)."""

    def __init__(self, network, directory):
        self.network, self.directory = network, directory

    def __call__(self, images):
        path = os.path.join(self.directory, f"{self.network.name}-{self.network.weights_hash}-{_digest(images)}.npy")
        if os.path.exists(path):
            return np.load(path)
        features = self.network.features(images)
        os.makedirs(self.directory, exist_ok=True)
        temporary = path + ".tmp.npy"
        np.save(temporary, features)
        os.replace(temporary, path)
        return features


def diversity(network, variations):
    """Mean pairwise distance between the translations of one input under different codes
    (DRIT paper Sec. 5, with LPIPS there): here the Euclidean distance of the feature
    network's features scaled to unit length, averaged over pairs and inputs, 0 for
    identical outputs and at most 2."""
    codes, inputs = variations.shape[:2]
    features = network.features(variations.reshape((codes * inputs,) + variations.shape[2:]))
    features = features / np.maximum(np.linalg.norm(features, axis=1, keepdims=True), 1e-12)
    features = features.reshape(codes, inputs, -1)
    distances = [np.linalg.norm(features[i] - features[j], axis=-1).mean()
                 for i in range(codes) for j in range(i + 1, codes)]
    return float(np.mean(distances))


def lpips_diversity(metric, variations):
    """The DRIT paper's diversity: the mean LPIPS between translations of one input under
    different codes, over code pairs and inputs."""
    codes = len(variations)
    return float(np.mean([metric.distance(variations[i], variations[j]).mean()
                          for i in range(codes) for j in range(i + 1, codes)]))


def score_domain(domain, network, real_features, classifier, kid_block_size, lpips=None):
    """The metrics of one ``protocols.Domain`` as a dict."""
    if not len(domain.real) or not len(domain.translated):
        raise EvaluationError(
            f"{domain.name}: {len(domain.translated)} test images to translate and {len(domain.real)} real test "
            "images of the target domain; FID and KID need both (give a test split with images of every target).")
    fake = network.features(domain.translated)
    real = real_features(domain.real)
    try:
        kid_mean, kid_std = metrics.kernel_inception_distance(fake, real, block_size=kid_block_size)
    except ValueError as error:
        raise EvaluationError(
            f"{domain.name}: {len(domain.translated)} translated and {len(domain.real)} real images: {error}. "
            "Give a larger test split or a larger --kid_block_size (fewer blocks).") from error
    row = {"images": len(domain.translated), "real_images": len(domain.real),
           "fid": metrics.frechet_distance(*metrics.feature_statistics(fake), *metrics.feature_statistics(real)),
           "kid_x100": KID_SCALE * kid_mean, "kid_x100_std": KID_SCALE * kid_std}
    if classifier is not None:
        verdict = classifiers.predict(classifier, domain.translated) >= 0.5
        wanted = domain.target >= 0.5
        row["accuracy"] = float(np.all(verdict[:, domain.checked] == wanted[:, domain.checked], axis=1).mean())
        if domain.kept.any():
            row["kept"] = float((verdict[:, domain.kept] == wanted[:, domain.kept]).mean())
    if domain.truth is not None:
        ssim, psnr = metrics.ssim_and_psnr(domain.translated, domain.truth)
        row.update(ssim=float(ssim.mean()), psnr=float(psnr.mean()))
    if domain.inputs is not None:  # an edit keeps the rest of the image: how much of it did
        row["input_ssim"] = float(metrics.ssim_and_psnr(domain.translated, domain.inputs)[0].mean())
    if domain.variations is not None:
        row["diversity"] = diversity(network, domain.variations)
        if lpips is not None:
            row["diversity_lpips"] = lpips_diversity(lpips, domain.variations)
    # NaN (KID's standard error of a single block) is not JSON: None.
    return {key: (None if np.isnan(value) else float(value)) if isinstance(value, (float, np.floating)) else value
            for key, value in row.items()}


def evaluate(bundle, protocol, network, classifier, cache_dir, limit=None, kid_block_size=10, seed=0,
             domains=None, lpips=None):
    """``{"domains": {name: metrics}, "identity": {...}}`` of one trained system.

    Args:
        bundle: the system's ``ServingBundle`` (what is translated).
        protocol: ``protocols.protocol(...)`` of its data.
        network: the feature network of FID / KID (``features``).
        classifier: the trained ``keras.Model`` of the accuracy, or None.
        cache_dir: where real-image features are cached.
        limit: at most this many test images per target (None: all).
        kid_block_size: ``metrics.kernel_inception_distance``'s.
        seed: of random codes (systems with a NORMAL input).
        domains: the targets to score instead of the test split's (the user's folders),
            without the identity reconstruction.
        lpips: an ``lpips.LPIPS`` for the diversity, or None (the feature distance only).
    """
    real_features = RealFeatures(network, cache_dir)
    user_given = domains is not None
    domains = domains if user_given else protocol.domains(bundle, limit, seed)
    report = {"domains": {domain.name: score_domain(domain, network, real_features, classifier, kid_block_size,
                                                    lpips) for domain in domains}}
    identity = None if user_given else protocol.identity(bundle, limit)
    if identity is not None:
        ssim, psnr = metrics.ssim_and_psnr(identity[1], identity[0])
        report["identity"] = {"images": len(ssim), "ssim": float(ssim.mean()), "psnr": float(psnr.mean())}
    return report
