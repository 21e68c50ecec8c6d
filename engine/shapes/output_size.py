"""Output size of a convolution or pooling window sliding over one spatial axis.

The course formula, per axis, with input size I, kernel size K, stride S, dilation D and
padding P_before / P_after:

    effective kernel   K_eff = D * (K - 1) + 1
    padded input       I_pad = I + P_before + P_after
    output             O     = floor((I_pad - K_eff) / S) + 1

`AxisOutput` keeps every intermediate number so a page can print the formula filled in,
and says (with an ERROR_KEYS key) when no window fits. 'same' padding follows TensorFlow:
O = ceil(I / S), with the odd padding pixel going after (bottom / right).

Padding spec used everywhere in the engine: 'valid' | 'same' | int P (P on every side) |
(ph, pw) (symmetric per axis) | ((top, bottom), (left, right)). Strides and dilation:
int or (sh, sw).
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Union

from engine import checks
from engine.errors import EngineError

# One axis' padding once parsed: a mode name or explicit (before, after) counts.
AxisPadding = Union[str, tuple[int, int]]


@dataclass(frozen=True)
class AxisOutput:
    """Every number of the output-size formula for one spatial axis."""

    input: int
    kernel: int
    stride: int
    dilation: int
    pad_before: int
    pad_after: int
    effective_kernel: int  # D*(K-1)+1
    padded_input: int  # I + pad_before + pad_after
    numerator: int  # padded_input - effective_kernel (may be negative)
    output: int  # floor(numerator / S) + 1, or 0 when impossible
    unused: int  # trailing padded rows/cols no window reaches: numerator % S (0 if impossible)
    ok: bool
    reason: str | None  # ERROR_KEYS key when not ok


def _positive_int(value: object, key: str, param: str, name: str) -> int:
    """Check one integer hyperparameter is >= 1; raise EngineError(key, param=value) if below."""
    if not checks.is_int(value):
        raise EngineError("bad_hyperparameter", name=name, value=repr(value))
    if value < 1:
        raise EngineError(key, **{param: int(value)})
    return int(value)


def pair(value: object, key: str, param: str, name: str) -> tuple[int, int]:
    """Normalise an int-or-(h, w) hyperparameter (stride, dilation, kernel) to two ints >= 1.

    `key`/`param` name the EngineError raised for a value below 1 (e.g. 'stride_lt_1', 'stride');
    anything that is not one or two integers raises 'bad_hyperparameter'.
    """
    if checks.is_int(value):
        v = _positive_int(value, key, param, name)
        return v, v
    if isinstance(value, (tuple, list)) and len(value) == 2:
        return (_positive_int(value[0], key, param, name),
                _positive_int(value[1], key, param, name))
    raise EngineError("bad_hyperparameter", name=name, value=repr(value))


def _axis_padding(spec: object, whole: object) -> AxisPadding:
    """Parse one axis of a padding spec: an int P -> (P, P), a pair -> (before, after)."""
    if checks.is_int(spec):
        if spec < 0:
            raise EngineError("negative_padding", padding=repr(whole))
        return int(spec), int(spec)
    if isinstance(spec, (tuple, list)) and len(spec) == 2 and all(checks.is_int(v) for v in spec):
        if spec[0] < 0 or spec[1] < 0:
            raise EngineError("negative_padding", padding=repr(whole))
        return int(spec[0]), int(spec[1])
    raise EngineError("bad_padding", padding=repr(whole))


def _mode(spec: object) -> str | None:
    """'valid' / 'same' (any case) -> lower-case name; any other string -> bad_padding; else None."""
    if isinstance(spec, str):
        mode = spec.lower()
        if mode not in ("valid", "same"):
            raise EngineError("bad_padding", padding=repr(spec))
        return mode
    return None


def resolve_padding(padding_spec: object) -> tuple[AxisPadding, AxisPadding]:
    """Normalise a padding spec to one entry per axis (height, width).

    Each entry is 'valid', 'same' (kept symbolic: its amounts depend on the sizes) or
    (before, after). Accepts 'valid' | 'same' | P | (ph, pw) | ((top, bottom), (left, right)).
    Raises EngineError('negative_padding') or ('bad_padding').
    """
    mode = _mode(padding_spec)
    if mode is not None:
        return mode, mode
    if checks.is_int(padding_spec):
        p = _axis_padding(padding_spec, padding_spec)
        return p, p
    if isinstance(padding_spec, (tuple, list)) and len(padding_spec) == 2:
        return (_axis_padding(padding_spec[0], padding_spec),
                _axis_padding(padding_spec[1], padding_spec))
    raise EngineError("bad_padding", padding=repr(padding_spec))


def same_padding(input: int, effective_kernel: int, stride: int) -> tuple[int, int]:
    """TensorFlow's 'same' padding (before, after) for one axis.

    total = max((ceil(I/S) - 1) * S + K_eff - I, 0), so that O = ceil(I/S);
    before = total // 2 and the odd pixel, if any, goes after.
    """
    out = -(-input // stride)  # ceil(I / S)
    total = max((out - 1) * stride + effective_kernel - input, 0)
    before = total // 2
    return before, total - before


def _one_axis_padding(spec: object) -> AxisPadding:
    """Parse the padding argument of axis_output: mode name, int P or (before, after)."""
    mode = _mode(spec)
    if mode is not None:
        return mode
    return _axis_padding(spec, spec)


def axis_output(input: int, kernel: int, stride: int = 1,
                padding_before_after_or_mode: object = "valid",
                dilation: int = 1) -> AxisOutput:
    """Output size of one axis, with every intermediate number of the formula.

    `padding_before_after_or_mode` is 'valid' | 'same' | int P | (before, after).
    Never raises for a size combination where no window fits: returns ok=False, output=0
    and reason='kernel_too_large'. Raises EngineError for invalid arguments:
    'empty_input' (input < 1), 'kernel_lt_1', 'stride_lt_1', 'dilation_lt_1',
    'negative_padding', 'bad_padding', 'bad_hyperparameter' (not an integer).
    """
    if not checks.is_int(input):
        raise EngineError("bad_hyperparameter", name="input", value=repr(input))
    if input < 1:
        raise EngineError("empty_input", name="input")
    kernel = _positive_int(kernel, "kernel_lt_1", "kernel", "kernel")
    stride = _positive_int(stride, "stride_lt_1", "stride", "stride")
    dilation = _positive_int(dilation, "dilation_lt_1", "dilation", "dilation")
    input = int(input)
    eff = dilation * (kernel - 1) + 1
    spec = _one_axis_padding(padding_before_after_or_mode)
    if spec == "valid":
        before, after = 0, 0
    elif spec == "same":
        before, after = same_padding(input, eff, stride)
    else:
        before, after = spec
    padded = input + before + after
    numerator = padded - eff
    ok = numerator >= 0
    return AxisOutput(
        input=input, kernel=kernel, stride=stride, dilation=dilation,
        pad_before=before, pad_after=after, effective_kernel=eff, padded_input=padded,
        numerator=numerator,
        output=numerator // stride + 1 if ok else 0,
        unused=numerator % stride if ok else 0,
        ok=ok, reason=None if ok else "kernel_too_large",
    )


def conv_output_hw(input_hw: tuple[int, int], kernel_hw: object, strides: object = 1,
                   padding: object = "valid",
                   dilation: object = 1) -> tuple[AxisOutput, AxisOutput]:
    """AxisOutput for height and width of a 2-D convolution.

    input_hw (H, W); kernel_hw, strides, dilation: int or (h, w); padding: the engine's spec.
    Raises like axis_output for invalid arguments, never for a kernel that does not fit.
    """
    if not (isinstance(input_hw, (tuple, list)) and len(input_hw) == 2):
        raise EngineError("bad_shape", name="input_hw", expected="(H, W)", got=repr(input_hw))
    kh, kw = pair(kernel_hw, "kernel_lt_1", "kernel", "kernel")
    sh, sw = pair(strides, "stride_lt_1", "stride", "strides")
    dh, dw = pair(dilation, "dilation_lt_1", "dilation", "dilation")
    ph, pw = resolve_padding(padding)
    return (axis_output(input_hw[0], kh, sh, ph, dh),
            axis_output(input_hw[1], kw, sw, pw, dw))


def require_ok(axes: tuple[AxisOutput, ...] | list[AxisOutput]) -> None:
    """Raise EngineError for the first axis where no window fits.

    'kernel_too_large' gets params effective_kernel and padded_input; 'pool_too_large'
    gets pool and padded_input.
    """
    for axis in axes:
        if axis.ok:
            continue
        if axis.reason == "pool_too_large":
            raise EngineError("pool_too_large", pool=axis.effective_kernel,
                              padded_input=axis.padded_input)
        raise EngineError(axis.reason or "kernel_too_large",
                          effective_kernel=axis.effective_kernel,
                          padded_input=axis.padded_input)
