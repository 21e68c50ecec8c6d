"""Number and formula formatting for what the pages print: short, exact where the value is exact.

Pure string builders; the numbers themselves always come from the engine.
"""
from __future__ import annotations

import numpy as np

TIMES = "×"


def fmt(value: float, digits: int = 4) -> str:
    """A readable number: integers without decimals, others with up to `digits` decimals
    (tiny or huge magnitudes in scientific notation with `digits` significant digits)."""
    value = float(value)
    if not np.isfinite(value):
        return "∞" if value > 0 else ("-∞" if value < 0 else "NaN")
    if value == int(value) and abs(value) < 1e12:
        return str(int(value))
    if 1e-3 <= abs(value) < 1e12:
        text = f"{value:.{digits}f}".rstrip("0").rstrip(".")
        return "0" if text in ("-0", "") else text
    return f"{value:.{digits}g}".replace("e-0", "e-").replace("e+0", "e")


def signed(value: float) -> str:
    """'+ 3' or '- 3', for appending a term."""
    return f"- {fmt(-value)}" if value < 0 else f"+ {fmt(value)}"


def products_sum(left: np.ndarray, right: np.ndarray, total: float, *, skip_zero: bool = True,
                 max_terms: int = 9) -> str:
    """'50×30 + 50×30 + 20×30 = 6600': the element-wise products and their sum.

    Zero products are left out (as the course notes do) when `skip_zero`; past `max_terms`
    terms the rest is summarised by '…'. `total` is the engine's sum, printed as given.
    """
    pairs = [(a, b) for a, b in zip(np.ravel(left), np.ravel(right)) if not (skip_zero and a * b == 0)]
    if not pairs:
        return f"0 = {fmt(total)}"
    terms = [f"{fmt(a)}{TIMES}{fmt(b)}" for a, b in pairs[:max_terms]]
    text = " + ".join(terms).replace("+ -", "- ")
    if len(pairs) > max_terms:
        text += f" + … ({len(pairs) - max_terms})"
    return f"{text} = {fmt(total)}"


def with_bias(total: float, bias: float, result: float) -> str:
    """'6600 + 0 = 6600'."""
    return f"{fmt(total)} {signed(bias)} = {fmt(result)}"


GENERAL_OUTPUT_SIZE = r"O = \left\lfloor \frac{I + P_1 + P_2 - D(K-1) - 1}{S} \right\rfloor + 1"


def output_size_latex(axis, symbol: str) -> str:
    """One axis of the output-size formula with its numbers, as LaTeX.

    `axis` is an engine.shapes.output_size.AxisOutput; the general form is GENERAL_OUTPUT_SIZE:
    O = floor((I + P_before + P_after - D(K-1) - 1) / S) + 1.
    """
    # two aligned lines, so the formula fits a narrow column, a phone or a projector's large text
    numbers = (rf"{symbol} &= \left\lfloor \frac{{{axis.input} + {axis.pad_before} + {axis.pad_after}"
               rf" - {axis.dilation}\cdot({axis.kernel}-1) - 1}}{{{axis.stride}}} \right\rfloor + 1")
    reduced = rf"\left\lfloor \frac{{{axis.numerator}}}{{{axis.stride}}} \right\rfloor + 1"
    if not axis.ok:
        return rf"\begin{{aligned}} {numbers} \\ &= {reduced} \;\Rightarrow\; \text{{✗}} \end{{aligned}}"
    return (rf"\begin{{aligned}} {numbers} \\ &= {reduced} = {axis.numerator // axis.stride} + 1"
            rf" = {axis.output} \end{{aligned}}")


def output_sizes_latex(axes, symbols: tuple[str, ...] = ("O_H", "O_W")) -> str:
    """Several axes of the output-size formula (output_size_latex) in one aligned block."""
    bodies = [output_size_latex(axis, symbol).removeprefix(r"\begin{aligned} ").removesuffix(r" \end{aligned}")
              for axis, symbol in zip(axes, symbols)]
    return r"\begin{aligned} " + r" \\[4pt] ".join(bodies) + r" \end{aligned}"


def softmax_columns(trace) -> dict[str, list[str]]:
    """The stable-softmax steps of an engine SoftmaxTrace as table columns: z, z − max,
    exp(z − max) and p, each formatted with fmt."""
    return {"z": [fmt(v) for v in trace.logits], "z − max": [fmt(v) for v in trace.shifted],
            "exp(z − max)": [fmt(v) for v in trace.exps], "p": [fmt(v) for v in trace.probs]}


def gathered(lines: list[str]) -> str:
    """Several display formulas as one, centred line under line (one LaTeX element for the browser
    to typeset instead of one per line)."""
    return r"\begin{gathered}" + r" \\[14pt] ".join(lines) + r"\end{gathered}"
