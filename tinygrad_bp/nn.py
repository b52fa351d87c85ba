"""The network on the engine: `Module`, `Neuron`, `Layer`, `MLP` and the article's 2-3-2 net.

Neuron j of layer l reads the activations a^(l-1) of the layer before it (a^0 = x):

    z^l_j = Σ_k w^l_jk a^(l-1)_k + b^l_j,        a^l_j = σ(z^l_j)

with σ the layer's activation ("sigmoid", "tanh", "relu" or "linear"). Every
parameter is a leaf `Value`, so `C.backward()` on a cost fills in ∂C/∂w for all of them.

Labels make a graph of the network read like the article:

- neurons: the output layer is `o1, o2, ...`; hidden neurons are `h1, h2, ...` when
  there is exactly one hidden layer, else `h{l}_{j}` (hidden layer l = 1.., neuron j = 1..);
- parameters: `w1, w2, ...` and `b1, b2, ...`, numbered across the whole network in
  `parameters()` order (layer by layer, neuron by neuron, weights in input order);
- every forward call labels `z_<neuron>` (weighted sum plus bias) and `a_<neuron>`
  (activation). A "linear" neuron's output is z itself: it has a `z_` node and no `a_` node.

    >>> net, x, y = article_network()
    >>> [a.label for a in net(x)]
    ['a_o1', 'a_o2']
    >>> [p.label for p in net.parameters()][:7]
    ['w1', 'w2', 'b1', 'w3', 'w4', 'b2', 'w5']
"""

from __future__ import annotations

import copy
import math
import random
from numbers import Real
from typing import Callable, Dict, List, NamedTuple, Optional, Sequence, Tuple

from tinygrad_bp.engine import Operand, Value
from tinygrad_bp.errors import BPTypeError, BPValueError
from tinygrad_bp.layout import Matrix, check_length, floats, layer_sizes, positive_int, real
from tinygrad_bp.ops import OPS, on_floats

ACTIVATIONS = ("sigmoid", "tanh", "relu", "linear")


# Each activation on a plain float, as the engine computes it (see `MLP.predict`).
FLOAT_ACTIVATIONS: Dict[str, Callable[[float], float]] = {
    **{name: on_floats(OPS[name]) for name in ACTIVATIONS if name != "linear"},
    "linear": lambda z: z}


class Module:
    """Anything with parameters: `parameters()` lists them, `zero_grad()` resets their grads."""

    def parameters(self) -> List[Value]:
        return []

    def zero_grad(self) -> None:
        for p in self.parameters():
            p.grad = 0.0


class Neuron(Module):
    """One neuron: z = Σ_k w_k x_k + b, then a = σ(z), from given weights and bias.

        >>> n = Neuron([0.15, 0.20], 0.35, name="h1")
        >>> n([0.05, 0.10])
        Value(label='a_h1', data=0.59327, grad=0, op='sigmoid')

    On its own a neuron's parameters are `w1..w_nin` and `b1`; a `Layer` or `MLP`
    renumbers them across all its neurons.
    """

    def __init__(self, weights: Sequence[float], bias: float, activation: str = "sigmoid",
                 name: str = "n") -> None:
        weights = floats(weights, None, f"weights of neuron {name!r}")
        if len(weights) == 0:
            raise BPValueError(f"neuron {name!r} has no weights: give at least one input weight")
        self.name = name
        self.activation = _check_activation(activation)
        self.w = [Value(w) for w in weights]
        self.b = Value(real(bias, f"bias of neuron {name!r}"))
        self._who = f"neuron {name!r}"
        _number_parameters([self])

    def __call__(self, x: Sequence[Operand]) -> Value:
        _check_inputs(x, len(self.w), self._who)
        z = self.w[0] * x[0]
        for w, xk in zip(self.w[1:], x[1:]):
            z = z + w * xk
        z = z + self.b
        z.label = f"z_{self.name}"
        if self.activation == "linear":
            return z
        a = getattr(z, self.activation)()
        a.label = f"a_{self.name}"
        return a

    def parameters(self) -> List[Value]:
        return [*self.w, self.b]

    def __repr__(self) -> str:
        params = ", ".join(f"{p.label}={p.data:.6g}" for p in self.parameters())
        return f"Neuron({self.name!r}, {self.activation}, {params})"


class Layer(Module):
    """A layer of neurons `{prefix}1, {prefix}2, ...` sharing one input and one activation.

    `weights[j][k]` is neuron j's weight from input k, `biases[j]` its bias.
    Calling a layer always returns a list of Values, one per neuron.
    """

    def __init__(self, weights: Matrix, biases: Sequence[float], activation: str = "sigmoid",
                 prefix: str = "n") -> None:
        layer_sizes([weights], [biases])
        self.neurons = [Neuron(w, b, activation, f"{prefix}{j}")
                        for j, (w, b) in enumerate(zip(weights, biases), start=1)]
        self.nin = len(weights[0])
        self.activation = self.neurons[0].activation
        first, last = self.neurons[0].name, self.neurons[-1].name
        self._who = f"layer {first}" if first == last else f"layer {first}..{last}"
        _number_parameters(self.neurons)

    def __call__(self, x: Sequence[Operand]) -> List[Value]:
        _check_inputs(x, self.nin, self._who)
        return [n(x) for n in self.neurons]

    def parameters(self) -> List[Value]:
        return [p for n in self.neurons for p in n.parameters()]

    def __repr__(self) -> str:
        names = ", ".join(n.name for n in self.neurons)
        return f"Layer([{names}], {self.nin} inputs, {self.activation})"


class MLP(Module):
    """A multi-layer perceptron: `nin` inputs, then one layer per entry of `nouts`.

    `activation` applies to every layer, the output layer included, unless
    `output_activation` names another one for the output layer.

    Initialisation (PyTorch's default for a linear layer): every weight and bias of a
    neuron with n inputs is drawn from U(−1/√n, 1/√n), in `parameters()` order, by a
    private `random.Random(seed)`: the same seed gives the same network, and the
    global random state is neither used nor changed. `seed=None` seeds from the OS.

        >>> net = MLP(2, [3, 2], seed=0)
        >>> net
        MLP(2 → 3 → 2, activation='sigmoid', output_activation='sigmoid', 17 parameters)
    """

    def __init__(self, nin: int, nouts: Sequence[int], activation: str = "sigmoid",
                 output_activation: Optional[str] = None, seed: Optional[int] = None) -> None:
        positive_int(nin, "nin (a number of inputs)")
        if not isinstance(nouts, Sequence) or isinstance(nouts, str):
            raise BPTypeError(f"nouts must be a list of layer sizes, e.g. [3, 2]; "
                              f"got {type(nouts).__name__} {nouts!r}")
        if len(nouts) == 0:
            raise BPValueError("nouts must be a non-empty list of layer sizes, e.g. [3, 2]; "
                               "got []")
        for l, n in enumerate(nouts):
            positive_int(n, f"nouts[{l}] (a number of neurons)")
        rng = random.Random(seed)
        sizes = [nin, *nouts]
        weights, biases = [], []
        for n_in, n_out in zip(sizes, sizes[1:]):
            r = 1.0 / math.sqrt(n_in)
            rows = [[rng.uniform(-r, r) for _ in range(n_in + 1)] for _ in range(n_out)]
            weights.append([row[:-1] for row in rows])
            biases.append([row[-1] for row in rows])
        self._build(weights, biases, activation, output_activation)

    @classmethod
    def from_weights(cls, weights: Sequence[Matrix], biases: Sequence[Sequence[float]],
                     activation: str = "sigmoid", output_activation: Optional[str] = None) -> MLP:
        """A network with exactly these parameters, in Nielsen's layout.

        `weights[l][j][k]` is the weight from neuron k of layer l to neuron j of layer
        l + 1 (w^(l+1)_jk), `biases[l][j]` the bias of that neuron (see
        `tinygrad_bp.layout`). A ragged or mismatched shape is a ValueError naming the
        layer, the neuron and the expected size. `net.weights()` and `net.biases()`
        give the same lists back.
        """
        net = cls.__new__(cls)
        net._build(weights, biases, activation, output_activation)
        return net

    def _build(self, weights: Sequence[Matrix], biases: Sequence[Sequence[float]],
               activation: str, output_activation: Optional[str]) -> None:
        self.sizes = layer_sizes(weights, biases)
        self.activation = _check_activation(activation)
        self.output_activation = _check_activation(
            activation if output_activation is None else output_activation)
        last = len(weights) - 1
        self.layers = []
        for l, (w, b) in enumerate(zip(weights, biases)):
            if l == last:
                act, prefix = self.output_activation, "o"
            else:
                act, prefix = self.activation, "h" if last == 1 else f"h{l + 1}_"
            self.layers.append(Layer(w, b, act, prefix))
        _number_parameters([n for layer in self.layers for n in layer.neurons])

    @property
    def nin(self) -> int:
        return self.sizes[0]

    def __call__(self, x: Sequence[Operand]) -> List[Value]:
        _check_inputs(x, self.nin, "the network")
        for layer in self.layers:
            x = layer(x)
        return x

    def parameters(self) -> List[Value]:
        return [p for layer in self.layers for p in layer.parameters()]

    def with_parameters(self, values: Sequence[Value]) -> MLP:
        """This network with `values` as its parameters, in `parameters()` order.

        The new network shares the Values themselves (it neither copies nor relabels
        them) and leaves this one unchanged: it makes the network's output a function
        of parameters that are passed in, as `compile` needs.

            >>> net = MLP(2, [3, 2], seed=0)
            >>> leaves = [Value(p.data) for p in net.parameters()]
            >>> net.with_parameters(leaves).parameters() == leaves
            True
        """
        values = list(values)
        if len(values) != len(self.parameters()):
            raise BPValueError(f"{self!r} has {len(self.parameters())} parameters, "
                               f"got {len(values)} values")
        for i, v in enumerate(values):
            if not isinstance(v, Value):
                raise BPTypeError(f"parameter values must be Values, got "
                                  f"{type(v).__name__} {v!r} at position {i}")
        taken = iter(values)
        net = copy.copy(self)
        net.layers = [copy.copy(layer) for layer in self.layers]
        for layer in net.layers:
            layer.neurons = [copy.copy(neuron) for neuron in layer.neurons]
            for neuron in layer.neurons:
                neuron.w = [next(taken) for _ in neuron.w]
                neuron.b = next(taken)
        return net

    def predict(self, x: Sequence[Operand]) -> List[float]:
        """The outputs a^L for the input x as plain floats, without building a graph.

        The same float operations in the same order as `net(x)`, so the same numbers:
        `net.predict(x) == [a.data for a in net(x)]` (a Value in x is read as its
        data). For evaluating a network where no gradient is needed.
        """
        return self.predict_all([x])[0]

    def predict_all(self, xs: Sequence[Sequence[Operand]]) -> List[List[float]]:
        """`predict` for each input of `xs`, reading the parameters once."""
        layers = [(FLOAT_ACTIVATIONS[layer.activation],
                   [([w.data for w in neuron.w], neuron.b.data) for neuron in layer.neurons])
                  for layer in self.layers]
        outputs = []
        for x in xs:
            _check_inputs(x, self.nin, "the network")
            a = floats([v.data if isinstance(v, Value) else v for v in x], self.nin,
                       "the input to the network")
            for activate, neurons in layers:
                out = []
                for w, b in neurons:
                    z = w[0] * a[0]
                    for k in range(1, len(w)):
                        z = z + w[k] * a[k]
                    out.append(activate(z + b))
                a = out
            outputs.append(a)
        return outputs

    def weights(self) -> List[List[List[float]]]:
        """The weights as plain floats, `weights[l][j][k]` as in `from_weights`."""
        return self._layout("data")[0]

    def biases(self) -> List[List[float]]:
        """The biases as plain floats, `biases[l][j]` as in `from_weights`."""
        return self._layout("data")[1]

    def gradients(self) -> Tuple[List[List[List[float]]], List[List[float]]]:
        """`(nabla_w, nabla_b)`: every parameter's current `grad`, in the layout of
        `weights()` and `biases()` (and of `tinygrad_bp.backprop`), so
        `nabla_w[l][j][k]` = ∂C/∂w^(l+1)_jk after `C.backward()`."""
        return self._layout("grad")

    def _layout(self, attribute: str) -> Tuple[List[List[List[float]]], List[List[float]]]:
        """One attribute of every weight and bias, in Nielsen's nested layout."""
        return ([[[getattr(w, attribute) for w in n.w] for n in layer.neurons]
                 for layer in self.layers],
                [[getattr(n.b, attribute) for n in layer.neurons] for layer in self.layers])

    def __repr__(self) -> str:
        shape = " → ".join(map(str, self.sizes))
        return (f"MLP({shape}, activation={self.activation!r}, "
                f"output_activation={self.output_activation!r}, "
                f"{len(self.parameters())} parameters)")


# --- the article's network (figure 1; parameter names as in NOTES.md)

ARTICLE_WEIGHTS = [[[0.15, 0.20], [0.25, 0.30], [0.35, 0.40]],      # w1..w6: x → h
                   [[0.45, 0.50, 0.55], [0.60, 0.65, 0.70]]]        # w7..w12: h → o
ARTICLE_BIASES = [[0.35, 0.35, 0.35], [0.60, 0.60]]                 # b1..b3, b4..b5
ARTICLE_X = [0.05, 0.10]
ARTICLE_Y = [0.01, 0.99]


class ArticleNetwork(NamedTuple):
    """The article's network with one sample; unpacks as `net, x, y`."""
    net: MLP
    x: List[Value]
    y: List[float]


def article_network(weights: Optional[Sequence[Matrix]] = None,
                    biases: Optional[Sequence[Sequence[float]]] = None,
                    x: Optional[Sequence[float]] = None,
                    y: Optional[Sequence[float]] = None) -> ArticleNetwork:
    """The article's 2-3-2 sigmoid network, labelled as in NOTES.md, and its sample.

    Defaults: w1..w12 = 0.15, 0.20, ..., 0.70 (neuron-major), b1 = b2 = b3 = 0.35,
    b4 = b5 = 0.60, x = (0.05, 0.10) as leaf Values labelled `x1`, `x2`, and targets
    y = (0.01, 0.99) as plain floats. Any of them can be replaced (weights and biases
    in Nielsen's layout); the shape must stay 2-3-2 (use `MLP.from_weights` for others).

        >>> from tinygrad_bp.losses import mse
        >>> net, x, y = article_network()
        >>> C = mse(net(x), y); C.backward()
        >>> C
        Value(label='C', data=0.33485, grad=1, op='* 0.5')
    """
    net = MLP.from_weights(ARTICLE_WEIGHTS if weights is None else weights,
                           ARTICLE_BIASES if biases is None else biases)
    if net.sizes != [2, 3, 2]:
        raise BPValueError(f"article_network is the 2-3-2 network, but these weights give "
                           f"{'-'.join(map(str, net.sizes))}: use MLP.from_weights for "
                           f"other shapes")
    x = floats(ARTICLE_X if x is None else x, 2, "x")
    y = floats(ARTICLE_Y if y is None else y, 2, "y")
    return ArticleNetwork(net, [Value(xk, f"x{k}") for k, xk in enumerate(x, start=1)], y)


# --- helpers

def _check_activation(name: object) -> str:
    allowed = ", ".join(repr(a) for a in ACTIVATIONS)
    if not isinstance(name, str):
        raise BPTypeError(f"an activation is named by a str, one of {allowed}; got "
                          f"{type(name).__name__} {name!r}")
    if name not in ACTIVATIONS:
        raise BPValueError(f"unknown activation {name!r}: choose one of {allowed}")
    return name


def _check_inputs(x: object, n: int, who: str) -> None:
    # NOTE: lists and tuples skip the (slow) abstract Sequence check: this runs per neuron.
    if not isinstance(x, (list, tuple)) and (isinstance(x, (Value, Real, str))
                                             or not isinstance(x, Sequence)):
        raise BPTypeError(f"{who} takes a list of {n} inputs (numbers or Values), got {x!r}")
    check_length(x, n, f"the input to {who}")


def _number_parameters(neurons: Sequence[Neuron]) -> None:
    """Label weights w1, w2, ... and biases b1, b2, ... across `neurons`, in order."""
    k = 0
    for j, neuron in enumerate(neurons, start=1):
        for w in neuron.w:
            k += 1
            w.label = f"w{k}"
        neuron.b.label = f"b{j}"
