"""Rendering of tinygrad_bp computation graphs with Graphviz.

    >>> from tinygrad_bp import Value
    >>> from tinygrad_bp import viz
    >>> a = Value(2.0, label="a"); b = Value(-3.0, label="b")
    >>> c = (a * b).tanh(); c.label = "c"; c.backward()
    >>> dot = viz.draw_dot(c, edge_labels=True, highlight="a")  # a graphviz.Digraph
    >>> viz.render(c, "c.svg")                                  # doctest: +SKIP
    PosixPath('c.svg')

The only package of the project that imports `graphviz`; it imports the engine,
never the reverse. Modules: `viz.dot` builds the DOT graph, `viz.clusters` finds
the neurons and layers of a network, `viz.renderer` finds and runs Graphviz,
`viz.files` writes the picture. `viz.network` draws an MLP neuron by neuron, as the
article's figure 1 (`draw_network`).
"""

from __future__ import annotations

from tinygrad_bp.viz.dot import MAX_NODES, ComputationGraph, GraphTooLarge, draw_dot
from tinygrad_bp.viz.files import FORMATS, render
from tinygrad_bp.viz.network import MAX_WEIGHTS, draw_network
from tinygrad_bp.viz.renderer import ENV_VAR, RendererNotFound, RenderError, find_renderer, run_renderer

__all__ = ["draw_dot", "render", "find_renderer", "run_renderer", "ComputationGraph",
           "GraphTooLarge", "RendererNotFound", "RenderError", "ENV_VAR", "FORMATS", "MAX_NODES",
           "draw_network", "MAX_WEIGHTS"]
