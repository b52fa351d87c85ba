"""Rendering of tinygrad_bp computation graphs with Graphviz.

The only package of the project that imports `graphviz`; it imports the engine,
never the reverse. Filled in by the viz issue.
"""
