"""Checking gradients: the engine's against numbers, and hand-derived ones against the engine.

- `grad(f)` and `value_and_grad(f)` turn a function of `Value`s into a function of
  numbers that returns its gradient, JAX-style, without touching any `.grad`.
- `numerical_grad(f, *xs)` estimates the same gradient by central differences, and
  `gradcheck(f, *xs)` compares the two, input by input.
- `explain(C, w)` writes ∂C/∂w out as the chain rule: one product of factors per path
  from C down to w, summed over the paths.
- `check(C, expected)` grades hand-derived gradients ∂C/∂v against the engine's and,
  for each wrong one, shows its chain rule and where the hand computation went astray.

    >>> from tinygrad_bp import Value, grad, gradcheck
    >>> grad(lambda x, y: x * y + x.tanh())(1.0, 2.0)
    (2.419974341614026, 1.0)
    >>> bool(gradcheck(lambda x: x.sigmoid() * x, 0.5))
    True

None of these functions changes a `.grad`: each computes the gradients it needs with
the engine's `gradients(root)`, the reverse pass of `backward()` that writes no `.grad`,
so its answers do not depend on whether, or how often, `backward()` has been called.

Modules: `functional` (grad, value_and_grad), `numerical` (numerical_grad, gradcheck and
its report), `explaining` (explain), `grading` (check and its report), `graph` (the
root and nodes they take) and `report` (how they name nodes and print).
"""

from tinygrad_bp.checking.explaining import (ChainPath, Explanation, OneStep, PathLimitError,
                                             explain)
from tinygrad_bp.checking.functional import grad, hessian, value_and_grad
from tinygrad_bp.checking.grading import CheckReport, CheckRow, check
from tinygrad_bp.checking.numerical import (GradcheckError, GradcheckReport, GradcheckRow,
                                            gradcheck, numerical_grad)
from tinygrad_bp.engine import LabelError

__all__ = ["grad", "value_and_grad", "hessian", "numerical_grad", "gradcheck", "GradcheckRow",
           "GradcheckReport", "GradcheckError", "explain", "Explanation", "OneStep", "ChainPath",
           "PathLimitError", "LabelError", "check", "CheckReport", "CheckRow"]
