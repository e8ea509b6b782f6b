"""A compact CNN from scratch that tells a real face crop from a self-blended one.

The network sees the whole crop at :data:`INPUT_SIZE` pixels: large enough
that a feathered blend boundary a few pixels wide survives (Shiohara &
Yamasaki train at 380 px; the crops here are cut with a 0.4 margin, so the
face spans about 110 of the 160 pixels), small enough to train at tens of
images a second on two CPU cores.

Input and output (the same for Keras and for the exported TFLite file):

* input: ``float32`` of shape ``(N, INPUT_SIZE, INPUT_SIZE, 3)``, **RGB**,
  scaled to ``[0, 1]`` (``uint8 / 255``); no mean is subtracted.
* output: ``float32`` of shape ``(N, 1, 1, 1)``, the probability that the
  crop is a blend (a fake), from a sigmoid (4-D because flattening a dynamic
  batch needs TFLite's ``SHAPE`` operator, which OpenCV cannot read).

Design: a stride-1 3x3 convolution at full resolution (the blend's edges and
its sharpness or colour mismatch are high-frequency), then stages of
3x3 convolution, batch normalisation and ReLU, each halving the resolution
with a 2x2 max-pool, depthwise-separable convolutions in the deep stages to
keep the parameter count to a few hundred thousand, global average pooling
(written as an ``AveragePooling2D`` over the last map, an operator OpenCV's
TFLite importer reads), dropout and one sigmoid unit (a 1x1 convolution).  Only layers whose
TFLite operators OpenCV's ``dnn`` module supports are used (convolutions
with batch norm folded in, ReLU, max and average pooling, reshape, fully
connected, logistic).
"""

from __future__ import annotations

__all__ = ["INPUT_SIZE", "WIDTHS", "build_frame_model", "count_parameters"]

#: Side of the network's square input in pixels (chosen by measurement: see the module docstring).
INPUT_SIZE = 160
#: Channels per stage; the first stage works at full resolution.
WIDTHS = (16, 32, 96, 192, 256)


def build_frame_model(input_size: int = INPUT_SIZE, widths=WIDTHS, dropout: float = 0.3, seed: int = 0):
    """Build (untrained) the frame model.  Imports TensorFlow.

    Parameters
    ----------
    input_size : int
        Side of the square RGB input in pixels; a multiple of ``2 ** len(widths)``.
    widths : sequence of int
        Output channels of each stage; each stage ends with a 2x2 max-pool.
        Stages from the third on use depthwise-separable convolutions, twice.
    dropout : float
        Dropout before the last layer (training only).
    seed : int
        Seed of the weight initialisers: the same seed builds the same weights.

    Returns
    -------
    keras.Model
        Input float32 ``(N, input_size, input_size, 3)`` RGB in ``[0, 1]``;
        output float32 ``(N, 1, 1, 1)``, P(blend).
    """
    from .._tf import tensorflow

    tensorflow()
    import keras
    from keras import layers

    widths = tuple(int(w) for w in widths)
    if not widths:
        raise ValueError("widths must name at least one stage")
    step = 2 ** len(widths)
    if input_size < step or input_size % step:
        raise ValueError(f"input_size must be a positive multiple of {step} (2 ** number of stages), got {input_size}")
    counter = iter(range(10_000))

    def init():
        return keras.initializers.HeNormal(seed=seed * 1000 + next(counter))

    inputs = keras.Input((input_size, input_size, 3), name="rgb01")
    x = inputs
    for i, width in enumerate(widths):
        if i < 2:
            x = layers.Conv2D(width, 3, padding="same", use_bias=False, kernel_initializer=init())(x)
            x = layers.BatchNormalization()(x)
            x = layers.ReLU()(x)
        else:
            for _ in range(2):
                x = layers.DepthwiseConv2D(3, padding="same", use_bias=False, depthwise_initializer=init())(x)
                x = layers.Conv2D(width, 1, use_bias=False, kernel_initializer=init())(x)
                x = layers.BatchNormalization()(x)
                x = layers.ReLU()(x)
        x = layers.MaxPooling2D(2)(x)
    side = input_size // step
    x = layers.AveragePooling2D(side)(x)
    x = layers.Dropout(dropout, seed=seed)(x)
    # A 1x1 convolution is the dense layer; a Reshape to (N, C) would need TFLite's SHAPE
    # operator (the batch is dynamic), which OpenCV cannot read.
    outputs = layers.Conv2D(
        1, 1, activation="sigmoid", kernel_initializer=keras.initializers.GlorotUniform(seed=seed), name="p_fake"
    )(x)
    return keras.Model(inputs, outputs, name="dfexplore_frame_model")


def count_parameters(model) -> int:
    """Number of weights of ``model`` (trainable and not)."""
    return int(sum(int(w.numpy().size) for w in model.weights))
