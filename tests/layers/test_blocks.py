"""The block builders (``conv_block``, ``residual_block``) against NumPy references of their
formulas: the convolutions are computed here from the layers' weights, with PyTorch's
padding and stride arithmetic."""

import keras
import numpy as np
import pytest

from stargan_tf.layers import blocks
from stargan_tf.layers.initializers import normal_002, torch_default


def pad_reference(x, amount, mode):
    return np.pad(x, ((0, 0), (amount, amount), (amount, amount), (0, 0)),
                  mode="reflect" if mode == "reflect" else "constant")


def conv_reference(x, kernel, bias, stride):
    """Valid cross-correlation, NHWC, kernel [kh, kw, in, out]: output pixel (i, j) sees
    x[i * stride + di, j * stride + dj] (PyTorch's Conv2d on an already padded input)."""
    size = kernel.shape[0]
    out_h = (x.shape[1] - size) // stride + 1
    out_w = (x.shape[2] - size) // stride + 1
    out = np.zeros((x.shape[0], out_h, out_w, kernel.shape[3]), np.float64)
    for di in range(size):
        for dj in range(size):
            window = x[:, di : di + stride * (out_h - 1) + 1 : stride, dj : dj + stride * (out_w - 1) + 1 : stride]
            out += window @ kernel[di, dj]
    return out + (0.0 if bias is None else bias)


def instance_norm_reference(x, gamma=1.0, beta=0.0, eps=1e-5):
    mean = x.mean(axis=(1, 2), keepdims=True)
    var = x.var(axis=(1, 2), keepdims=True)
    return gamma * (x - mean) / np.sqrt(var + eps) + beta


ACTIVATIONS = {
    None: lambda x: x,
    "relu": lambda x: np.maximum(x, 0.0),
    "tanh": np.tanh,
    ("leaky_relu", 0.2): lambda x: np.where(x > 0, x, 0.2 * x),
}


def randomise(model, rng):
    """Random values for every weight (biases and norm affine parameters included), so each
    enters the output visibly."""
    model.set_weights([rng.normal(size=w.shape).astype(np.float32) for w in model.get_weights()])


@pytest.mark.parametrize(
    "kernel_size, strides, padding, pad_mode, affine_norm, activation, use_bias",
    [
        (3, 1, 1, "zero", None, "relu", True),
        (7, 1, 3, "reflect", False, "relu", False),    # c7s1-k
        (4, 2, 1, "zero", True, ("leaky_relu", 0.2), True),  # StarGAN D / PatchGAN layer
        (3, 2, 1, "reflect", False, "tanh", False),
        (3, 1, 0, "zero", None, None, True),
    ],
)
def test_conv_block_matches_formula(kernel_size, strides, padding, pad_mode, affine_norm, activation, use_bias):
    """activation(norm(conv(pad(x)))) on an odd-sized map, where Keras' "same" padding would
    differ from PyTorch's at stride 2."""
    rng = np.random.default_rng(0)
    x = rng.normal(size=(2, 9, 7, 3)).astype(np.float32)
    inputs = keras.Input((9, 7, 3))
    norm = None if affine_norm is None else blocks.instance_norm(affine=affine_norm)
    model = keras.Model(inputs, blocks.conv_block(inputs, 4, kernel_size, name="c", strides=strides, padding=padding,
                                                  pad_mode=pad_mode, norm=norm, activation=activation,
                                                  use_bias=use_bias))
    randomise(model, rng)
    conv = model.get_layer("c")
    kernel, bias = conv.kernel.numpy(), conv.bias.numpy() if use_bias else None
    y = conv_reference(pad_reference(x, padding, pad_mode), kernel, bias, strides)
    if affine_norm is not None:
        norm_layer = model.get_layer("c_norm")
        y = instance_norm_reference(y, *(w.numpy() for w in norm_layer.weights))
    expected = ACTIVATIONS[activation](y)
    out = model(x).numpy()
    assert out.shape == ((2, (9 + 2 * padding - kernel_size) // strides + 1,
                          (7 + 2 * padding - kernel_size) // strides + 1, 4))
    np.testing.assert_allclose(out, expected, rtol=1e-5, atol=1e-5)


@pytest.mark.parametrize("pad_mode, use_bias", [("zero", False), ("reflect", True)])
def test_residual_block_matches_formula(pad_mode, use_bias):
    """x + IN(conv(pad(ReLU(IN(conv(pad(x))))))), no activation after the sum."""
    rng = np.random.default_rng(1)
    x = rng.normal(size=(2, 6, 5, 4)).astype(np.float32)
    inputs = keras.Input((6, 5, 4))
    model = keras.Model(inputs, blocks.residual_block(inputs, 4, name="r", pad_mode=pad_mode,
                                                      norm=blocks.instance_norm(affine=True), use_bias=use_bias))
    randomise(model, rng)

    def conv_norm(y, conv_name):
        conv = model.get_layer(conv_name)
        y = conv_reference(pad_reference(y, 1, pad_mode), conv.kernel.numpy(),
                           conv.bias.numpy() if use_bias else None, 1)
        gamma, beta = (w.numpy() for w in model.get_layer(f"{conv_name}_norm").weights)
        return instance_norm_reference(y, gamma, beta)

    hidden = np.maximum(conv_norm(x, "r_conv1"), 0.0)
    expected = x + conv_norm(hidden, "r_conv2")
    out = model(x).numpy()
    assert out.shape == x.shape
    assert np.any(out < 0), "a ReLU after the sum would hide here"
    np.testing.assert_allclose(out, expected, rtol=1e-5, atol=1e-5)


def test_unknown_padding_mode_and_activation_are_rejected():
    inputs = keras.Input((4, 4, 1))
    with pytest.raises(ValueError, match="padding mode"):
        blocks.conv_block(inputs, 1, 3, name="c", padding=1, pad_mode="symmetric")
    with pytest.raises(ValueError, match="unknown activation"):
        blocks.activation_layer("gelu")


def test_each_layer_gets_its_own_initial_weights():
    """The initialiser factories make a new initialiser per layer: two same-shaped layers
    built from one factory start different."""
    keras.utils.set_random_seed(0)
    inputs = keras.Input((8, 8, 4))
    for factory in (torch_default, normal_002):
        first = blocks.conv_block(inputs, 4, 3, name=f"{factory.__name__}_1", initializer=factory)
        second = blocks.conv_block(inputs, 4, 3, name=f"{factory.__name__}_2", initializer=factory)
        model = keras.Model(inputs, [first, second])
        kernels = [model.get_layer(f"{factory.__name__}_{i}").kernel.numpy() for i in (1, 2)]
        assert not np.array_equal(*kernels), factory.__name__


def test_initializers_are_pytorchs():
    """torch_default: U(-1/sqrt(fan_in), 1/sqrt(fan_in)) (kaiming_uniform, a=sqrt(5));
    normal_002: N(0, 0.02)."""
    keras.utils.set_random_seed(0)
    shape = (3, 3, 64, 128)  # fan_in 576
    bound = 1.0 / np.sqrt(3 * 3 * 64)
    uniform = np.asarray(torch_default()(shape))
    assert np.abs(uniform).max() <= bound and np.abs(uniform).max() > 0.99 * bound
    np.testing.assert_allclose(uniform.std(), bound / np.sqrt(3.0), rtol=0.01)
    normal = np.asarray(normal_002()(shape))
    np.testing.assert_allclose([normal.mean(), normal.std()], [0.0, 0.02], atol=5e-4)


def pytorch_conv_transpose(x, kernel, bias, stride=2, padding=1, output_padding=1):
    """``torch.nn.ConvTranspose2d`` by its definition: input pixel i adds ``x[i] * w[k]`` at
    output ``i * stride - padding + k``; output size ``(H - 1) * stride - 2 * padding + k +
    output_padding``. ``kernel`` in Keras' layout ``[kh, kw, out, in]``."""
    batch, height, width, _ = x.shape
    size = kernel.shape[0]
    out_h = (height - 1) * stride - 2 * padding + size + output_padding
    out_w = (width - 1) * stride - 2 * padding + size + output_padding
    out = np.zeros((batch, out_h, out_w, kernel.shape[2]), np.float64)
    for i in range(height):
        for j in range(width):
            for ki in range(size):
                for kj in range(size):
                    oi, oj = i * stride - padding + ki, j * stride - padding + kj
                    if 0 <= oi < out_h and 0 <= oj < out_w:
                        out[:, oi, oj, :] += x[:, i, j, :] @ kernel[ki, kj].T
    return out + bias


def test_transposed_conv_block_is_aligned_like_pytorch():
    """``transposed_conv_block`` equals PyTorch's ConvTranspose2d(k3, s2, padding=1,
    output_padding=1) (CycleGAN's and DRIT's up-sampling): Keras' padding="same" would
    place every output one pixel off."""
    inputs = keras.Input((3, 5, 4))
    model = keras.Model(inputs, blocks.transposed_conv_block(inputs, 2, name="u"))
    rng = np.random.default_rng(0)
    kernel = rng.normal(size=(3, 3, 2, 4)).astype(np.float32)
    bias = rng.normal(size=2).astype(np.float32)
    model.get_layer("u").set_weights([kernel, bias])
    x = rng.normal(size=(2, 3, 5, 4)).astype(np.float32)
    out = model(x).numpy()
    assert out.shape == (2, 6, 10, 2)
    np.testing.assert_allclose(out, pytorch_conv_transpose(x, kernel, bias), rtol=1e-5, atol=1e-5)


def test_spectral_conv_block_divides_the_kernel_by_its_spectral_norm():
    """``spectral=True`` puts a ``SpectralConv2D`` in the block: in inference, the
    convolution of the padded input with W / sigma(W) (sigma from the stored vectors)."""
    rng = np.random.default_rng(2)
    inputs = keras.Input((6, 6, 3))
    model = keras.Model(inputs, blocks.conv_block(inputs, 4, 4, name="c", strides=2, padding=1, pad_mode="reflect",
                                                  spectral=True))
    conv = model.get_layer("c")
    kernel = conv.kernel.numpy()
    matrix = kernel.reshape(-1, 4)
    sigma = conv.u.numpy() @ (conv.v.numpy() @ matrix)
    x = rng.normal(size=(2, 6, 6, 3)).astype(np.float32)
    expected = conv_reference(pad_reference(x, 1, "reflect"), kernel / sigma, conv.bias.numpy(), 2)
    np.testing.assert_allclose(model(x, training=False).numpy(), expected, rtol=1e-5, atol=1e-5)
