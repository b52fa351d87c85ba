"""check: hand-derived gradients graded against the engine's, and where they go wrong."""

import math
import re

import pytest

from tinygrad_bp import Value, check, trace
from tinygrad_bp.checking import CheckReport, LabelError

from helpers import labelled


def graph():
    """y = tanh(u) · v with u = a·b and v = a + c, all labelled."""
    a, b, c = Value(0.5, label="a"), Value(-1.5, label="b"), Value(2.0, label="c")
    u = labelled(a * b, "u")
    v = labelled(a + c, "v")
    t = labelled(u.tanh(), "t")
    return labelled(t * v, "y")


def by_hand():
    """∂y/∂· for `graph()`, from the derivative rules written out."""
    a, b, c = 0.5, -1.5, 2.0
    u, v = a * b, a + c
    t = math.tanh(u)
    dy_dt, dy_dv = v, t
    dy_du = dy_dt * (1 - t * t)
    return {"y": 1.0, "t": dy_dt, "v": dy_dv, "u": dy_du,
            "a": dy_du * b + dy_dv, "b": dy_du * a, "c": dy_dv}


def test_right_hand_values_hold():
    report = check(graph(), by_hand())
    assert report
    assert all(row.passed for row in report.rows)
    assert "all 7 hand-derived gradients hold" in str(report)


def test_a_wrong_hand_value_is_reported():
    expected = {**by_hand(), "b": 0.3}
    report = check(graph(), expected)
    assert not report
    assert [row.name for row in report.failures] == ["b"]
    row = report.failures[0]
    assert row.expected == 0.3 and row.engine == pytest.approx(by_hand()["b"])
    assert row.error == pytest.approx(abs(0.3 - by_hand()["b"]))


def test_report_table_shows_expected_engine_error_and_verdict():
    text = str(check(graph(), {"b": 0.3, "c": by_hand()["c"]}))
    b_line = next(line for line in text.splitlines() if line.startswith("b "))
    cells = b_line.split()
    assert cells[0] == "b" and float(cells[1]) == 0.3
    assert float(cells[2]) == pytest.approx(by_hand()["b"], rel=1e-5)
    assert cells[-1] == "WRONG"
    c_line = next(line for line in text.splitlines() if line.startswith("c "))
    assert c_line.endswith("agrees to the 16 significant digits given")     # its repr


def test_a_wrong_value_comes_with_its_chain_rule():
    report = check(graph(), {"b": 0.3})
    assert report.explanations["b"].total == pytest.approx(by_hand()["b"])
    assert "chain rule of ∂y/∂b (engine" in str(report)
    assert re.search(r"∂y/∂t +· ∂t/∂u +· ∂u/∂b", str(report))


def test_error_starts_at_the_wrong_node_nearest_the_root():
    # δ at u wrong, and a and b computed from it: the error starts at u
    right = by_hand()
    wrong_u = right["u"] * 1.5
    expected = {"u": wrong_u, "a": wrong_u * -1.5 + right["v"], "b": wrong_u * 0.5,
                "t": right["t"]}
    report = check(graph(), expected)
    assert sorted(row.name for row in report.failures) == ["a", "b", "u"]
    assert report.starts == ["u"]
    assert "first go wrong at u; the given gradients between it and y hold (t)" in str(report)


def test_error_starts_below_the_right_ones():
    # u right, b wrong: the mistake is in the factor ∂u/∂b
    expected = {"u": by_hand()["u"], "b": 7.0}
    report = check(graph(), expected)
    assert report.starts == ["b"]
    assert "first go wrong at b; the given gradients between it and y hold (u)" in str(report)


def test_independent_mistakes_each_start_an_error():
    expected = {**by_hand(), "v": 9.0, "u": 9.0}
    report = check(graph(), expected)
    assert sorted(report.starts) == ["u", "v"]       # neither lies on a path to the other


def test_a_single_wrong_value_is_not_given_a_start_line():
    assert "first go wrong" not in str(check(graph(), {"b": 0.3}))


def test_values_can_be_keys():
    y = graph()
    a = next(v for v in trace(y) if v.label == "a")
    report = check(y, {a: by_hand()["a"], "c": by_hand()["c"]})
    assert report and [row.name for row in report.rows] == ["a", "c"]


def test_tolerances_decide_the_verdict():
    close = by_hand()["a"] * (1 + 1e-3)
    assert not check(graph(), {"a": close})
    assert check(graph(), {"a": close}, rtol=1e-2)
    assert check(graph(), {"a": by_hand()["a"] + 1e-6}, rtol=0.0, atol=1e-5)


def test_unknown_labels_are_an_error_naming_every_one():
    with pytest.raises(LabelError, match=r"no node labelled 'p', 'q' in the graph of y"):
        check(graph(), {"p": 1.0, "a": 1.0, "q": 2.0})


def test_ambiguous_labels_are_an_error_naming_them():
    a, b = Value(1.0, label="a"), Value(2.0, label="a")
    with pytest.raises(LabelError, match="several nodes are labelled 'a'"):
        check(labelled(a * b, "y"), {"a": 2.0})


def test_a_value_outside_the_graph_is_an_error():
    with pytest.raises(ValueError, match="'s' .* is not in the graph of y"):
        check(graph(), {Value(1.0, label="s"): 1.0})


def test_check_does_not_change_grads():
    y = graph()
    check(y, {"a": 0.0})
    assert all(v.grad == 0.0 for v in trace(y))


def test_repr_is_informative():
    report = check(graph(), {"b": 0.3, "c": by_hand()["c"]})
    assert isinstance(report, CheckReport)
    assert repr(report) == "CheckReport(passed=False, checked=2, wrong=['b'], starts=['b'])"
