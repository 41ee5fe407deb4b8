"""main.py's --mode=train_classifier and --mode=eval: the papers' metrics of a trained run."""

import json
import os
import time

# The classifier of the built-in data: narrow and short (the shapes are told apart in
# seconds); elsewhere ResNet-18 itself, long enough for CelebA-sized sets.
BUILTIN_CLASSIFIER = {"width": 16, "steps": 300}
DEFAULT_CLASSIFIER = {"width": 64, "steps": 5000}
CLASSIFIER_BATCH = 32


def _protocol(run, data):
    from stargan_tf.evaluation import protocols

    return protocols.protocol(run.spec.data, data, run.config)


def _classifier_settings(run):
    defaults = BUILTIN_CLASSIFIER if run.resolved.data.dataset == "shapes" else DEFAULT_CLASSIFIER
    return {"width": run.flags.classifier_width or defaults["width"],
            "steps": run.flags.classifier_steps or defaults["steps"]}


def fit_classifier(run, protocol):
    """Train the run's attribute / domain classifier on its training images, score it on the
    test split and store it in ``<run_dir>/classifier``; returns ``(model, info)``."""
    import keras
    import numpy as np

    from stargan_tf.evaluation import classifier

    settings = _classifier_settings(run)
    size = run.config.image_size
    print(f"Training the evaluation classifier (ResNet-18 layout, width {settings['width']}, "
          f"{settings['steps']} steps) on the run's training images ...")
    started = time.time()
    # Seeded here: its initial weights then do not depend on what ran before in the process
    # (accuracy judged by two classifiers of one run differed by up to 22 points on SaGAN's).
    keras.utils.set_random_seed(run.config.seed)
    model = classifier.resnet18(size, len(protocol.class_names), settings["width"])
    loss = classifier.train(model, protocol.classifier_dataset(CLASSIFIER_BATCH), settings["steps"])
    images, labels = protocol.classifier_test()
    verdicts = classifier.predict(model, images) >= 0.5
    accuracy = (verdicts == (labels >= 0.5)).mean(axis=0)
    info = {"class_names": list(protocol.class_names), "image_size": size, **settings, "final_loss": loss,
            "test_images": len(images),
            "test_accuracy": {name: float(a) for name, a in zip(protocol.class_names, accuracy)},
            "seconds": round(time.time() - started, 1)}
    classifier.save(model, run.run_dir, info)
    print("Classifier accuracy on the test split: " + ", ".join(
        f"{name} {100 * a:.1f}%" for name, a in zip(protocol.class_names, np.atleast_1d(accuracy))))
    return model, info


def train_classifier(run):
    from stargan_tf.cli.app import _read_only

    with _read_only(run, restore=False) as (_, data):
        fit_classifier(run, _protocol(run, data))
    return {"classifier": os.path.join(run.run_dir, "classifier")}


# What the FID / KID numbers of each feature network can be compared with (README, Evaluation).
COMPARABLE_WITH = {
    "inception_tfgan": "published FID (TTUR, TF-GAN, pytorch-fid) and KID (U-GAT-IT) numbers",
    "inception_keras": "other evaluations with Keras' ImageNet InceptionV3 only (not published numbers)",
    "classifier": "other evaluations with this run's classifier only (domain-specific, not Inception numbers)",
}


def run_choice(run):
    """--fid_network with ``auto`` resolved: the TF-GAN Inception given with
    --inception_path, else the run's classifier."""
    choice = run.flags.fid_network
    if choice == "auto":
        choice = "inception_tfgan" if run.flags.inception_path else "classifier"
    return choice


def feature_network(run, classifier_model):
    """The FID / KID feature network the flags choose (``run_choice``)."""
    from stargan_tf.evaluation import features

    choice = run_choice(run)
    if choice == "inception_tfgan":
        if not run.flags.inception_path:
            from stargan_tf.evaluation.errors import EvaluationError
            raise EvaluationError("--fid_network=inception_tfgan needs --inception_path (README, Evaluation).")
        return features.TFGANInception(run.flags.inception_path)
    if choice == "inception_keras":
        return features.KerasInception(run.flags.inception_path)
    return features.ClassifierFeatures(classifier_model, name="classifier")


def evaluate(run, system=None, data=None, iteration=None, summaries=None):
    """Score the run's latest checkpoint (or the given system at ``iteration``, during
    training): print the table, write ``<run_dir>/eval/<iteration>.json`` and TensorBoard
    scalars (into ``summaries``, the trainer's writer, when given)."""
    if system is None:
        from stargan_tf.cli.app import _read_only
        from stargan_tf.training.checkpoints import latest_iteration

        with _read_only(run) as (system, data):
            return evaluate(run, system, data, latest_iteration(run.run_dir))
    from stargan_tf.evaluation import classifier
    from stargan_tf.evaluation.evaluate import evaluate as score

    protocol = _protocol(run, data)
    stored = classifier.load(run.run_dir, protocol.class_names, run.config.image_size)
    model, info = stored if stored else fit_classifier(run, protocol)
    network = feature_network(run, model)
    cache = run.flags.eval_cache_dir or os.path.join(os.path.expanduser("~"), ".cache", "stargan_tf", "eval")
    started = time.time()
    bundle = system.serving_bundle()
    report = score(bundle, protocol, network, model, cache, limit=run.flags.eval_num_images or None,
                   kid_block_size=run.flags.kid_block_size, seed=run.config.seed,
                   domains=_folder_domains(run, data, protocol, bundle, model), lpips=_lpips(run))
    report.update(iteration=iteration, seconds=round(time.time() - started, 1),
                  feature_network={"name": network.name, "weights_hash": network.weights_hash,
                                   "comparable_with": COMPARABLE_WITH[run_choice(run)]},
                  classifier={"test_accuracy": info["test_accuracy"], "width": info["width"]})
    # The test split's curve in TensorBoard; the user's folders in a file of their own.
    folder = run.flags.test_image_dir
    name = f"{iteration}-{os.path.basename(os.path.normpath(folder))}" if folder else str(iteration)
    path = os.path.join(run.run_dir, "eval", f"{name}.json")
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "w") as handle:
        json.dump(report, handle, indent=2)
    if not folder:
        _write_scalars(summaries, run.run_dir, report, iteration)
    print_table(report)
    return {"eval": path}


def _lpips(run):
    if not run.flags.lpips_weights:
        return None
    from stargan_tf.evaluation.lpips import LPIPS

    return LPIPS(run.flags.lpips_weights)


def _folder_domains(run, data, protocol, bundle, model):
    """``[Domain]`` of --test_image_dir translated and compared with --eval_real_dir (both
    framed as ``data`` frames its test split), or None (the test split) when neither is given."""
    from stargan_tf.evaluation import classifier
    from stargan_tf.evaluation.errors import EvaluationError
    from stargan_tf.pipelines import load_user_images

    given = run.flags.test_image_dir, run.flags.eval_real_dir
    if not any(given):
        return None
    if not all(given):
        raise EvaluationError("--mode=eval takes --test_image_dir (the images to translate) and --eval_real_dir "
                              "(real images of the target) together, or neither (the run's test split).")
    images, real = (load_user_images(folder, run.config.image_size, data.test_load_size).images for folder in given)
    return [protocol.folder_domain(bundle, images, real, lambda x: classifier.predict(model, x), run.config)]


def _write_scalars(summaries, run_dir, report, iteration):
    from stargan_tf.training.summaries import Summaries

    scalars = {f"eval/{domain}/{name}": value for domain, row in report["domains"].items()
               for name, value in row.items() if name not in ("images", "real_images")}
    scalars.update({f"eval/identity/{name}": value for name, value in report.get("identity", {}).items()
                    if name != "images"})
    summaries = summaries or Summaries(run_dir)
    summaries.scalars({name: value for name, value in scalars.items() if value is not None}, iteration or 0)
    summaries.flush()


COLUMNS = (("fid", "FID", "{:.2f}"), ("kid_x100", "KIDx100", "{:.2f}"), ("kid_x100_std", "+-", "{:.2f}"),
           ("accuracy", "accuracy", "{:.1%}"), ("kept", "kept", "{:.1%}"), ("input_ssim", "SSIM_in", "{:.4f}"),
           ("ssim", "SSIM", "{:.4f}"),
           ("psnr", "PSNR", "{:.2f}"), ("diversity", "diversity", "{:.4f}"), ("diversity_lpips", "LPIPS", "{:.4f}"))


def print_table(report):
    network = report["feature_network"]["name"]
    rows = report["domains"]
    shown = [c for c in COLUMNS if any(c[0] in row for row in rows.values())]
    width = max(len(name) for name in rows) + 2
    print(f"Evaluation at iteration {report['iteration']} (FID / KID on {network} features, comparable with "
          f"{report['feature_network']['comparable_with']}):")
    print(" " * width + "".join(f"{title:>10}" for _, title, _ in shown) + f"{'images':>8}")
    for domain, row in rows.items():
        cells = "".join(f"{fmt.format(row[key]) if row.get(key) is not None else '-':>10}" for key, _, fmt in shown)
        print(f"{domain:<{width}}{cells}{row['images']:>8}")
    if "identity" in report:
        identity = report["identity"]
        print(f"identity reconstruction: SSIM {identity['ssim']:.4f}, PSNR {identity['psnr']:.2f} dB "
              f"({identity['images']} images)")
