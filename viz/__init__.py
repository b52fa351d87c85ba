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
`viz.files` writes the picture, `viz.steps` makes the step-through HTML page.
"""

from __future__ import annotations

from tinygrad_bp.viz.dot import MAX_NODES, ComputationGraph, GraphTooLarge, draw_dot
from tinygrad_bp.viz.files import FORMATS, render
from tinygrad_bp.viz.renderer import ENV_VAR, RendererNotFound, RenderError, find_renderer, run_renderer
from tinygrad_bp.viz.steps import StepsPage, steps_page

__all__ = ["draw_dot", "render", "find_renderer", "run_renderer", "ComputationGraph",
           "GraphTooLarge", "RendererNotFound", "RenderError", "ENV_VAR", "FORMATS", "MAX_NODES",
           "steps_page", "StepsPage"]
