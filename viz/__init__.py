"""Rendering of tinygrad_bp computation graphs with Graphviz.

    >>> from tinygrad_bp import Value
    >>> from tinygrad_bp import viz
    >>> a = Value(2.0, label="a"); b = Value(-3.0, label="b")
    >>> c = (a * b).tanh(); c.label = "c"; c.backward()
    >>> dot = viz.draw_dot(c, edge_labels=True, highlight="a")  # a graphviz.Digraph
    >>> viz.render(c, "c.svg")                                  # dot, or else graphviz-pure
    PosixPath('c.svg')

The only package of the project that imports `graphviz`; it imports the engine,
never the reverse. Modules: `viz.dot` builds the DOT graph, `viz.clusters` finds
the neurons and layers of a network, `viz.renderer` finds and runs Graphviz,
`viz.files` writes the picture (`FORMATS`: the suffix selects the writer). `viz.network`
draws an MLP neuron by neuron, as the article's figure 1 (`draw_network`). `viz.steps`
writes the page that steps through the forward and the backward pass (`steps_page`).
"""

from __future__ import annotations

from tinygrad_bp.viz.dot import (MAX_NODES, ComputationGraph, GraphTooLarge, Layout, NoViewer,
                                 draw_dot, layout_cost)
from tinygrad_bp.viz.files import FORMATS, render, save_picture, write_file
from tinygrad_bp.viz.network import MAX_WEIGHTS, draw_network
from tinygrad_bp.viz.renderer import (DEFAULT_TIMEOUT, ENV_VAR, TIMEOUT_ENV_VAR, FormatUnavailable,
                                      RendererNotFound, RenderError, RenderTimeout, find_renderer,
                                      render_timeout, run_renderer)
from tinygrad_bp.viz.steps import StepsPage, steps_page

__all__ = ["draw_dot", "draw_network", "render", "save_picture", "write_file", "find_renderer",
           "run_renderer", "render_timeout", "layout_cost", "ComputationGraph", "Layout",
           "GraphTooLarge", "RendererNotFound", "RenderError", "RenderTimeout",
           "FormatUnavailable", "NoViewer", "ENV_VAR", "TIMEOUT_ENV_VAR", "DEFAULT_TIMEOUT",
           "FORMATS", "MAX_NODES", "MAX_WEIGHTS", "steps_page", "StepsPage"]
