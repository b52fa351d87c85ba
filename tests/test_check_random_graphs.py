"""Random graphs with shared sub-expressions: gradcheck passes, explain sums to the gradient."""

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tinygrad_bp import Value, explain, gradcheck
from tinygrad_bp.engine import trace

UNARY = [
    lambda a: a.tanh(), lambda a: a.sigmoid(), lambda a: a.relu(), lambda a: -a,
    lambda a: a * 1.5, lambda a: 2 - a, lambda a: a.tanh().exp(), lambda a: (a * a + 1).log(),
    lambda a: a ** 2, lambda a: 1 / (a * a + 1),
]
BINARY = [
    lambda a, b: a + b, lambda a, b: a - b, lambda a, b: a * b, lambda a, b: a / (b * b + 1),
    lambda a, b: (a.sigmoid() + 0.5) ** b.tanh(),
]

inputs = st.lists(st.floats(-2.0, 2.0), min_size=1, max_size=4)
steps = st.lists(st.tuples(st.integers(0, 1), st.integers(0, 9), st.integers(0, 99),
                           st.integers(0, 99)), min_size=1, max_size=8)


def random_graph(recipe):
    """A function of Values built by `recipe`: each step applies a unary or binary
    operation to nodes made so far (picked by index), so sub-expressions are shared."""
    def f(*xs):
        pool = list(xs)
        for binary, op, i, j in recipe:
            a, b = pool[i % len(pool)], pool[j % len(pool)]
            pool.append(BINARY[op % len(BINARY)](a, b) if binary else UNARY[op](a))
        return pool[-1] + pool[-2] * 0.5 if len(pool) > 1 else pool[-1] * 1.0
    return f


@given(inputs, steps)
def test_gradcheck_passes_on_random_graphs(xs, recipe):
    report = gradcheck(random_graph(recipe), *xs)
    # NOTE: relu's kink is the one place central differences may legitimately disagree
    assert all(row.passed or row.kink for row in report.rows), str(report)


@given(inputs, steps)
def test_explain_sums_equal_grad_on_random_graphs(xs, recipe):
    leaves = [Value(x, label=f"x{i}") for i, x in enumerate(xs)]
    root = random_graph(recipe)(*leaves)
    root.backward()
    for node in trace(root):
        chain = explain(root, node, max_paths=10 ** 5)
        assert chain.total == pytest.approx(node.grad, rel=1e-9, abs=1e-12)
        assert chain.total == pytest.approx(sum(path.product for path in chain.paths))


@given(inputs, steps)
def test_every_node_form_has_the_same_sum_as_the_folded_form(xs, recipe):
    leaves = [Value(x, label=f"x{i}") for i, x in enumerate(xs)]
    root = random_graph(recipe)(*leaves)
    for leaf in set(leaves) & set(trace(root)):
        folded = explain(root, leaf, max_paths=10 ** 5)
        every = explain(root, leaf, every_node=True, max_paths=10 ** 5)
        assert len(every.paths) == len(folded.paths)
        assert every.total == pytest.approx(folded.total, rel=1e-9, abs=1e-12)
