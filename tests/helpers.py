"""Helpers shared by the tests: the checkout's paths and small independent references.

`from helpers import ...` works in every test module: pytest puts tests/ on sys.path.
"""

import math
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
README = ROOT / "README.md"

SVG = "{http://www.w3.org/2000/svg}"        # the namespace of an SVG file's tags


def sigmoid(z):
    """σ(z) = 1 / (1 + e^(−z)) on floats, independent of the engine's."""
    return 1.0 / (1.0 + math.exp(-z))


def labelled(value, label):
    """`value` with its label set: graphs built by hand read like the article."""
    value.label = label
    return value


def central_difference(f, x, h=1e-6):
    """f'(x) ≈ (f(x + h) − f(x − h)) / 2h."""
    return (f(x + h) - f(x - h)) / (2 * h)


def assert_nested_close(actual, expected, tol):
    """Assert the same nesting and lengths, and |actual − expected| <= tol at every leaf
    (parameters or gradients in Nielsen's nested layout)."""
    if isinstance(expected, list):
        assert len(actual) == len(expected)
        for a, e in zip(actual, expected):
            assert_nested_close(a, e, tol)
    else:
        assert abs(actual - expected) <= tol, (actual, expected)
