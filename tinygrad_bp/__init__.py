"""tinygrad_bp: a scalar autograd engine for learning, teaching and checking backpropagation.

    >>> from tinygrad_bp import Value
    >>> x = Value(3.0, label="x")
    >>> y = x * x + 2 * x
    >>> y.backward(); x.grad        # d(x² + 2x)/dx = 2x + 2
    8.0
"""

from tinygrad_bp.engine import Value, edges, trace
from tinygrad_bp.checking import (check, explain, grad, gradcheck, numerical_grad,
                               value_and_grad)

__version__ = "0.1.0"
__all__ = ["Value", "edges", "trace", "grad", "value_and_grad", "numerical_grad", "gradcheck",
           "explain", "check", "__version__"]
