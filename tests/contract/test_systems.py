"""The contract every registered system passes, from its declaration alone (``SystemSpec``
with its ``tiny`` preset, on the built-in data): build, one of each train step with finite
named losses, sample and test columns with roles, every serving endpoint traced with a
dynamic batch, checkpoint round trip with resume equal to an uninterrupted run, the
official parameter counts, and synchronised batch statistics. A new system registered in
``models/registry.py`` is tested here without new code."""

import io
import logging
import shutil

import numpy as np
import pytest
import tensorflow as tf

from stargan_tf.cli.config_flags import resolve
from stargan_tf.cli.systems import build_system, load_data
from stargan_tf.export.spec import IMAGE, MASK, SCORES
from stargan_tf.models.base import INPUT, OUTPUT, ROLES, batch_norms_not_synchronized
from stargan_tf.models.registry import REGISTRY
from stargan_tf.training.loop import LoopConfig, Trainer

SYSTEMS = sorted(REGISTRY)
ITERATIONS = 4  # covers every step kind of every tiny preset (StarGAN's n_critic is 2)


def tiny_given(spec, builtin_data, **extra):
    return {**spec.presets["tiny"], **builtin_data, **extra}


@pytest.fixture(scope="module", params=SYSTEMS)
def tiny(request, builtin_data, tmp_path_factory):
    """(spec, resolved settings, data) of one system's tiny preset."""
    spec = REGISTRY[request.param]
    resolved = resolve(spec, tiny_given(spec, builtin_data), preset=None)
    data = load_data(spec, resolved, str(tmp_path_factory.mktemp("checks")))
    return spec, resolved, data


def fresh_system(tiny):
    spec, resolved, data = tiny
    tf.keras.utils.set_random_seed(resolved.config.seed)
    return build_system(spec, resolved, data)


def trainable_count(variables):
    return sum(int(v.shape.num_elements()) for v in variables)


def test_build_networks_and_optimizers(tiny):
    system = fresh_system(tiny)
    networks = system.networks()
    assert networks and all(network.built and network.trainable_variables for network in networks.values())
    assert system.optimizers and all(optimizer.built for optimizer in system.optimizers.values())
    unique = system.unique_variables(*networks.values())
    assert len({id(v) for v in unique}) == len(unique)
    assert trainable_count(unique) <= sum(trainable_count(n.trainable_variables) for n in networks.values())
    assert batch_norms_not_synchronized(networks) == []
    assert set(system.learning_rates(0)) == set(system.optimizers)


def check_columns(columns, rows, size):
    assert columns
    names = [column.name for column in columns]
    assert len(set(names)) == len(names), names
    for column in columns:
        assert column.role in ROLES, column
        images = np.asarray(column.images)
        # Square images, or sketch-and-photo joint images twice as wide (Contextual GAN).
        assert images.shape in ((rows, size, size, 3), (rows, size, 2 * size, 3)), (column.name, images.shape)
        assert images.min() >= -1.0 - 1e-5 and images.max() <= 1.0 + 1e-5, column.name
    roles = {column.role for column in columns}
    assert INPUT in roles and OUTPUT in roles


def test_sample_and_test_columns_have_roles(tiny):
    spec, resolved, data = tiny
    system = fresh_system(tiny)
    examples = data.sample_examples(system.sample_count)
    rows = len(next(iter(examples.values())))
    size = resolved.config.image_size
    check_columns(system.sample_columns(system.sample_batch(examples, np.random.default_rng(0))), rows, size)
    user_images = np.random.default_rng(1).uniform(-1, 1, (3, size, size, 3)).astype(np.float32)
    check_columns(system.test_columns({"image": user_images}), 3, size)


def test_test_mode_runs_networks_compiled_once(tiny, monkeypatch):
    """Test mode calls each network through ``infer``: a compiled function traced once, whose
    second batch of the same shape reuses the graph, giving the eager calls' columns."""
    spec, resolved, data = tiny
    system = fresh_system(tiny)
    size = resolved.config.image_size
    batches = np.random.default_rng(2).uniform(-1, 1, (2, 3, size, size, 3)).astype(np.float32)
    warnings = io.StringIO()
    handler = logging.StreamHandler(warnings)
    tf.get_logger().addHandler(handler)
    try:
        system.test_columns({"image": batches[0]})
        compiled = system.test_columns({"image": batches[1]})
    finally:
        tf.get_logger().removeHandler(handler)
    assert "retracing" not in warnings.getvalue()  # what users would see with many networks
    assert system._inference, "test_columns called no network through GANSystem.infer"
    assert set(system._inference) <= ({network.name for network in system.networks().values()}
                                      | set(system.compiled_procedures))
    assert all(f.experimental_get_tracing_count() == 1 for f in system._inference.values())
    monkeypatch.setattr(system, "infer", lambda network, inputs: network(inputs, training=False))
    eager = system.test_columns({"image": batches[1]})
    assert [c.name for c in compiled] == [c.name for c in eager]
    # Graph and eager runs differ by float reassociation only: up to 1.4e-5 measured (U-GAT-IT's
    # min-max scaled heatmaps amplify it); 1e-4 is an eightieth of one 8-bit level.
    for a, b in zip(compiled, eager):
        np.testing.assert_allclose(a.images, b.images, atol=1e-4, err_msg=a.name)


def test_serving_endpoints_trace_with_a_dynamic_batch(tiny):
    spec, resolved, data = tiny
    system = fresh_system(tiny)
    bundle = system.serving_bundle()
    height, width = bundle.image_size
    assert (height, width) == (resolved.config.image_size,) * 2
    rng = np.random.default_rng(0)
    for endpoint in bundle.endpoints:
        specs, values = {}, {}
        for serving_input in endpoint.inputs:
            shape = (height, width, 3) if serving_input.kind == IMAGE else tuple(serving_input.shape)
            specs[serving_input.name] = tf.TensorSpec((None,) + shape, tf.float32)
            values[serving_input.name] = rng.uniform(0, 1, (3,) + shape).astype(np.float32)
        traced = tf.function(lambda **kw: endpoint.translate(**kw)).get_concrete_function(**specs)
        outputs = traced(**values)
        outputs = outputs if isinstance(outputs, dict) else {endpoint.outputs[0].name: outputs}
        assert set(outputs) == {o.name for o in endpoint.outputs}, endpoint.name
        for output in endpoint.outputs:
            shape, low = {IMAGE: ((height, width, 3), -1.0), MASK: ((height, width, 1), 0.0),
                          SCORES: ((len(output.names),), 0.0)}[output.kind]
            values_out = outputs[output.name].numpy()
            assert values_out.shape == (3,) + shape, (endpoint.name, output.name)
            assert values_out.dtype == np.float32
            assert values_out.min() >= low - 1e-5 and values_out.max() <= 1.0 + 1e-5


def weights_and_state(system):
    arrays = [v.numpy() for network in system.networks().values() for v in network.weights]
    arrays += [v.numpy() for optimizer in system.optimizers.values() for v in optimizer.variables]
    arrays += [v.numpy() for state in system.checkpoint_state().values() for v in state.weights]
    return arrays


def train(tiny, run_dir, num_iters, save_every):
    """(system, trainer, logs) of the tiny system trained by the shared loop."""
    system = fresh_system(tiny)
    trainer = Trainer(system, tf.distribute.get_strategy(), tiny[2].make_dataset, str(run_dir),
                      LoopConfig(num_iters=num_iters, log_step=1, model_save_step=save_every, show_progress=False))
    logs = trainer.run()
    return system, trainer, logs


@pytest.fixture(scope="module")
def straight(tiny, tmp_path_factory):
    """An uninterrupted run of ``ITERATIONS``, checkpointed half-way and at the end:
    (run folder, system, latest value of every logged loss)."""
    run_dir = tmp_path_factory.mktemp("straight")
    system, _, logs = train(tiny, run_dir, ITERATIONS, ITERATIONS // 2)
    return run_dir, system, logs


def test_every_step_runs_with_finite_named_losses(tiny, straight):
    _, system, logs = straight
    steps = {name for i in range(ITERATIONS) for name in system.steps_for(i)}
    assert steps and all(callable(getattr(system, name)) for name in steps)
    assert logs and all(np.isfinite(v) for v in logs.values()), logs
    # One naming convention: D/... and G/... (with a dataset prefix in joint training).
    assert all(name.split("/")[-2] in ("D", "G") for name in logs), sorted(logs)
    assert set(system.progress_logs) <= set(logs), (system.progress_logs, sorted(logs))
    assert {name.split("/")[-2] for name in logs} == {"D", "G"}, "both sides trained"


def test_checkpoint_round_trip_and_resume_equals_an_uninterrupted_run(tiny, straight, tmp_path):
    """Networks, optimizer slots, the iteration and ``checkpoint_state`` all survive; the
    learning-rate schedule resumes at its position. The resumed run starts from the
    uninterrupted run's half-way checkpoint (a copy of its folder whose index names it)."""
    run_dir, expected_system, _ = straight
    half = ITERATIONS // 2
    shutil.copytree(run_dir, tmp_path / "resumed")
    index = f'model_checkpoint_path: "ckpt-{half}"\nall_model_checkpoint_paths: "ckpt-{half}"\n'
    (tmp_path / "resumed" / "checkpoints" / "checkpoint").write_text(index)
    resumed, trainer, _ = train(tiny, tmp_path / "resumed", ITERATIONS, half)
    assert trainer.start == half
    expected, got = weights_and_state(expected_system), weights_and_state(resumed)
    assert len(expected) == len(got)
    for a, b in zip(expected, got):
        np.testing.assert_allclose(b, a, atol=1e-6)


@pytest.mark.parametrize("name", SYSTEMS)
def test_official_parameter_counts(name, builtin_data, tmp_path):
    spec = REGISTRY[name]
    assert spec.parameter_counts, f"{name} declares no official parameter counts"
    for case in spec.parameter_counts:
        resolved = resolve(spec, {**case.flags, **builtin_data}, preset=None)
        system = build_system(spec, resolved, load_data(spec, resolved, str(tmp_path)), optimizers=False)
        counts = {network: trainable_count(system.networks()[network].trainable_variables)
                  for network in case.networks}
        assert counts == dict(case.networks), case.flags
        del system
