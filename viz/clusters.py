"""Which neuron and layer each node of a network's graph belongs to, from its labels.

`tinygrad_bp.nn` labels the nodes a neuron makes in a forward pass: `z_<n>` for the
weighted sum z = Σ_k w_k a_k + b and `a_<n>` for the activation a = σ(z), where the
neuron name n is `h<j>` (the single hidden layer), `h<l>_<j>` (hidden layer l of
several) or `o<j>` (output layer). The weights `w<i>`, biases `b<i>`, products
w_k·a_k and partial sums carry no neuron name: each joins the neuron whose nodes
are its only consumers. Nodes used by several neurons or by none (the inputs x1,
x2, the cost C and its terms) stay outside every cluster.
"""

from __future__ import annotations

import re
from typing import Dict, List, Optional, Sequence, Tuple

from tinygrad_bp.engine import Value, edges
from tinygrad_bp.errors import BPValueError

_NEURON_NODE = re.compile(r"[za]_(?P<neuron>h\d+|h(?P<layer>\d+)_\d+|o\d+)")
_PARAMETER = re.compile(r"[wb]\d+")

Cluster = Tuple[str, str]                # (layer title, neuron name)


def layer_title(neuron: str) -> str:
    """`o2` → "output layer", `h3` → "hidden layer", `h2_1` → "hidden layer 2"."""
    match = _NEURON_NODE.fullmatch(f"a_{neuron}")
    if match is None:
        raise BPValueError(f"{neuron!r} is not a neuron name (h<j>, h<l>_<j> or o<j>)")
    if neuron.startswith("o"):
        return "output layer"
    layer = match.group("layer")
    return f"hidden layer {layer}" if layer else "hidden layer"


def cluster_order(cluster: Cluster) -> Tuple[int, int, int]:
    """A sort key that puts hidden layers first, by number, then the output layer, and the
    neurons of a layer by number: h1_2 < h2_1 < o1 < o2."""
    numbers = [int(part) for part in cluster[1][1:].split("_")]
    layer, neuron = numbers if len(numbers) == 2 else (1, numbers[0])
    return (cluster[1].startswith("o"), layer, neuron)


def neuron_clusters(nodes: Sequence[Value]) -> Dict[Value, Cluster]:
    """The (layer, neuron) of every node of `nodes` (topologically sorted) that has one.

    A node labelled `z_<n>` or `a_<n>` belongs to neuron n. Then, children before
    parents, an unlabelled node or a parameter (`w<i>`, `b<i>`) joins neuron n when
    every one of its consumers already belongs to n. A graph without neuron labels
    gives an empty mapping.
    """
    cluster: Dict[Value, Cluster] = {}
    for node in nodes:
        match = _NEURON_NODE.fullmatch(node.label)
        if match:
            neuron = match.group("neuron")
            cluster[node] = (layer_title(neuron), neuron)
    if not cluster:
        return cluster
    consumers: Dict[Value, List[Value]] = {}
    for parent, child, _ in edges(nodes):
        consumers.setdefault(parent, []).append(child)
    for node in reversed(nodes):            # every consumer is decided before the node
        if node in cluster or not (node.label == "" or _PARAMETER.fullmatch(node.label)):
            continue
        owner = _single_owner(consumers.get(node, ()), cluster)
        if owner is not None:
            cluster[node] = owner
    return cluster


def _single_owner(consumers: Sequence[Value], cluster: Dict[Value, Cluster]
                  ) -> Optional[Cluster]:
    """The cluster shared by all `consumers`, or None (no consumers, or more than one cluster)."""
    owners = {cluster.get(consumer) for consumer in consumers}
    if len(owners) == 1:
        return owners.pop()
    return None
