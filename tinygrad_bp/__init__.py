"""tinygrad_bp: a scalar autograd engine for learning, teaching and checking backpropagation.

    >>> from tinygrad_bp import Value
    >>> x = Value(3.0, label="x")
    >>> y = x * x + 2 * x
    >>> y.backward(); x.grad        # d(x² + 2x)/dx = 2x + 2
    8.0

Modules: `engine` (Value, trace, backward), `nn` (Neuron, Layer, MLP, the article's
network), `losses` and `metrics`, `optim` and `train` (mini-batch SGD), `backprop` (the
four equations with plain floats), `checking` (gradients checked and explained),
`compiler` (trace once, replay fast), `demo` and `cli`. Every error it raises derives
from `TinygradBPError` (module `errors`) and from the built-in error that says what went
wrong (TypeError for a wrong type, ValueError for a wrong value).
"""

from tinygrad_bp.compiler import compile
from tinygrad_bp.engine import Value, count_paths, edges, trace
from tinygrad_bp.errors import TinygradBPError
from tinygrad_bp.losses import binary_cross_entropy, mse
from tinygrad_bp.nn import MLP, article_network

__version__ = "0.1.0"

# NOTE: the checking functions are imported when first used (PEP 562): `tinygrad-bp train`
# and a training script never use them, and their imports (inspect among them) were a
# third of the package's import time.
_CHECKING = ("check", "explain", "grad", "gradcheck", "hessian", "numerical_grad",
             "value_and_grad")
__all__ = ["Value", "trace", "edges", "count_paths", "compile",
           "grad", "value_and_grad", "hessian", "numerical_grad", "gradcheck", "explain",
           "check", "MLP", "article_network", "mse", "binary_cross_entropy", "TinygradBPError",
           "__version__"]


def __getattr__(name: str) -> object:
    """A checking function (`tinygrad_bp.checking`), imported on first use."""
    if name in _CHECKING:
        from tinygrad_bp import checking
        return getattr(checking, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def __dir__() -> list:
    return sorted({*globals(), *_CHECKING})
