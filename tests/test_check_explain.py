"""explain: ∂root/∂node written out as the chain rule, path by path."""

import math

import pytest

from tinygrad_bp import Value, explain
from tinygrad_bp.checking import Explanation, LabelError, OneStep, PathLimitError
from tinygrad_bp.checking.explaining import SHOWN_FACTORS, SHOWN_PATHS

from helpers import labelled


def chain():
    """x → u = tanh(x·w) → y = u² + u: two paths from y to x, labelled at u."""
    x, w = Value(0.5, label="x"), Value(-2.0, label="w")
    u = labelled((x * w).tanh(), "u")
    y = labelled(u ** 2 + u, "y")
    return x, w, u, y


def test_total_equals_the_derivative_by_hand():
    x, w, u, y = chain()
    t = math.tanh(0.5 * -2.0)
    by_hand = (2 * t + 1) * (1 - t * t) * -2.0         # dy/du · du/dx
    assert explain(y, x).total == pytest.approx(by_hand, rel=1e-12)


def test_each_use_of_a_node_is_its_own_path():
    x, w, u, y = chain()
    assert len(explain(y, x).paths) == 2          # u reaches y through u² and through + u


def test_factors_run_between_labelled_nodes():
    x, w, u, y = chain()
    first, second = explain(y, x).paths
    assert [name for name, _ in first.factors] == ["∂y/∂u", "∂u/∂x"]
    assert [name for name, _ in second.factors] == ["∂y/∂u", "∂u/∂x"]


def test_folded_factor_is_the_product_of_its_local_derivatives():
    x, w, u, y = chain()
    t = u.data
    (_, dy_du), (_, du_dx) = explain(y, x).paths[0].factors
    assert dy_du == pytest.approx(2 * t)             # through u²: ∂(u²)/∂u · ∂y/∂(u²)
    assert du_dx == pytest.approx((1 - t * t) * -2.0)   # through x·w, folded


def test_product_is_the_product_of_the_factors():
    x, w, u, y = chain()
    for path in explain(y, x).paths:
        assert path.product == pytest.approx(math.prod(v for _, v in path.factors))


def test_paths_hold_their_nodes_root_first():
    x, w, u, y = chain()
    path = explain(y, x).paths[0]
    assert path.nodes[0] is y and path.nodes[-1] is x and u in path.nodes


def test_node_can_be_given_by_label():
    x, w, u, y = chain()
    assert explain(y, "x").total == explain(y, x).total


def test_node_can_be_an_inner_node():
    x, w, u, y = chain()
    assert explain(y, "u").total == pytest.approx(2 * u.data + 1)


def test_total_does_not_need_backward():
    x, w, u, y = chain()
    before = explain(y, x)
    y.backward()
    assert before.total == pytest.approx(x.grad, rel=1e-12)


def test_str_says_when_grad_was_not_filled_by_backward():
    x, w, u, y = chain()
    assert "x.grad = 0, not this" in str(explain(y, x))
    y.backward()
    assert "x.grad" in str(explain(y, x)) and ": agrees)" in str(explain(y, x))


def test_explain_does_not_change_grads():
    x, w, u, y = chain()
    explain(y, x)
    explain(y, x, one_step=True)
    assert x.grad == w.grad == u.grad == y.grad == 0.0


def test_str_writes_names_over_numbers_and_the_sum():
    x, w, u, y = chain()
    text = str(explain(y, x))
    lines = text.splitlines()
    assert lines[0] == "∂y/∂x: 2 paths from y to x, each the product of its factors"
    assert [cell.strip() for cell in lines[1].split(" · ")] == ["∂y/∂u", "∂u/∂x"]
    numbers = lines[2].lstrip("= ").split(" = ")[0].split(" · ")
    assert [float(n) for n in numbers] == pytest.approx(
        [v for _, v in explain(y, x).paths[0].factors], rel=1e-5)
    assert lines[-1].startswith("∂y/∂x = ")
    assert f"{explain(y, x).total:.6g}" in lines[-1]


def test_every_node_form_names_unlabelled_nodes_by_op_and_operands():
    x, w, u, y = chain()
    names = [[name for name, _ in path.factors]
             for path in explain(y, x, every_node=True).paths]
    assert names[0] == ["∂y/∂(u ** 2)", "∂(u ** 2)/∂u", "∂u/∂(x * w)", "∂(x * w)/∂x"]
    assert names[1] == ["∂y/∂u", "∂u/∂(x * w)", "∂(x * w)/∂x"]


def test_every_node_form_abbreviates_deep_operands():
    a, b, c = Value(1.0, label="a"), Value(2.0, label="b"), Value(3.0, label="c")
    y = labelled(((a * b + c) * a).exp(), "y")
    names = [name for name, _ in explain(y, c, every_node=True).paths[0].factors]
    assert names[0] == "∂y/∂((… + c) * a)"


def test_every_node_form_writes_folded_numbers_and_functions():
    a = Value(0.5, label="a")
    y = labelled((2 - a * 3).sigmoid() / 4 + (-a).exp(), "y")
    names = {name for path in explain(y, a, every_node=True).paths for name, _ in path.factors}
    assert "∂(sigmoid(2 - …))/∂(2 - (a * 3))" in names
    assert "∂(a * 3)/∂a" in names
    assert "∂(exp(-a))/∂(-a)" in names


def test_graph_with_nothing_labelled_between_is_shown_node_by_node():
    a, b = Value(2.0, label="a"), Value(3.0, label="b")
    y = a * b + a.tanh()
    chain_rule = explain(y, a)
    assert chain_rule.every_node
    assert [name for name, _ in chain_rule.paths[0].factors] == [
        "∂((a * b) + tanh(a))/∂(a * b)", "∂(a * b)/∂a"]


def test_graph_with_labelled_nodes_between_is_folded():
    x, w, u, y = chain()
    assert not explain(y, x).every_node


def test_unlabelled_leaf_is_named_by_its_value():
    a = Value(0.25)
    y = labelled(a * a, "y")
    assert explain(y, a).paths[0].factors[0][0] == "∂y/∂(0.25)"


def test_node_that_is_the_root_has_gradient_one():
    x, w, u, y = chain()
    chain_rule = explain(y, y)
    assert chain_rule.total == 1.0 and chain_rule.paths[0].factors == []
    assert str(chain_rule).startswith("∂y/∂y = 1")


def test_unknown_label_is_an_error_naming_it_and_the_labels_there():
    x, w, u, y = chain()
    with pytest.raises(LabelError, match=r"no node labelled 'v'.*labels there: u, w, x, y"):
        explain(y, "v")


def test_ambiguous_label_is_an_error_naming_it():
    a, b = Value(1.0, label="a"), Value(2.0, label="a")
    with pytest.raises(LabelError, match="several nodes are labelled 'a'"):
        explain(labelled(a * b, "y"), "a")


def test_node_outside_the_graph_is_an_error_naming_it():
    x, w, u, y = chain()
    stranger = Value(1.0, label="s")
    with pytest.raises(ValueError, match="'s' .* is not in the graph of y"):
        explain(y, stranger)


def test_root_that_is_not_a_value_is_an_error():
    with pytest.raises(TypeError, match="explain needs the root Value of a graph"):
        explain(0.5, "x")


def test_node_of_the_wrong_type_is_an_error():
    x, w, u, y = chain()
    with pytest.raises(TypeError, match="label"):
        explain(y, 3)


def doubling(n):
    """x, then n times v = v + v: 2^n paths from the top to x."""
    x = Value(1.0, label="x")
    v = x
    for _ in range(n):
        v = v + v
    return x, labelled(v, "top")


def test_path_count_past_the_limit_is_an_error_offering_the_one_step_form():
    x, top = doubling(3)
    with pytest.raises(PathLimitError, match=r"has 8 paths.*max_paths=7.*exponentially.*"
                                             r"explain\(root, node, one_step=True\)"):
        explain(top, x, max_paths=7)
    assert len(explain(top, x, max_paths=8).paths) == 8


def test_path_count_is_found_without_enumerating_the_paths():
    x, top = doubling(200)      # 2^200 paths: enumerating them would never end
    with pytest.raises(PathLimitError, match=str(2 ** 200)):
        explain(top, x)


def test_one_step_form_sums_local_derivative_times_consumer_gradient():
    x, top = doubling(200)
    step = explain(top, x, one_step=True)
    assert isinstance(step, OneStep)
    assert [(local, upstream) for _, local, upstream in step.terms] == \
        [(1.0, 2.0 ** 199), (1.0, 2.0 ** 199)]
    assert step.total == 2.0 ** 200


def test_one_step_form_names_its_consumers():
    x, w, u, y = chain()
    y.backward()
    step = explain(y, "u", one_step=True)
    assert [name for name, _, _ in step.terms] == ["u ** 2", "y"]
    assert step.total == pytest.approx(u.grad)
    assert "∂(u ** 2)/∂u · ∂y/∂(u ** 2) = " in str(step)


def test_a_long_chain_is_explained_without_recursion():
    x = Value(0.1, label="x")
    v = x
    for _ in range(5000):
        v = v * 1.0001
    chain_rule = explain(labelled(v, "top"), x)       # nothing labelled between: every node
    assert len(chain_rule.paths) == 1 and len(chain_rule.paths[0].factors) == 5000
    assert chain_rule.total == pytest.approx(1.0001 ** 5000)


def test_wide_paths_are_written_one_factor_per_line():
    x = Value(0.1, label="x")
    v = x
    for i in range(12):
        v = labelled(v.tanh(), f"long_name_{i}")
    text = str(explain(v, x))
    assert "  path 1 of 1, the product of:" in text
    assert "    ∂long_name_0/∂x" in text


def test_repr_is_informative():
    x, w, u, y = chain()
    assert isinstance(explain(y, x), Explanation)
    assert repr(explain(y, x)).startswith("Explanation(∂y/∂x, paths=2, total=")


# --- long derivatives are summarised in str(), kept whole in the data (issue 10, item 12)

def test_str_writes_out_the_first_paths_and_sums_the_others():
    x = Value(1.5, label="x")
    y = labelled(sum((x * k for k in range(1, 26)), Value(0.0)), "y")     # 25 paths
    chain_rule = explain(y, x)
    text = str(chain_rule)
    assert len(chain_rule.paths) == 25
    shown_products = [path.product for path in chain_rule.paths[:SHOWN_PATHS]]
    rest = math.fsum(path.product for path in chain_rule.paths[SHOWN_PATHS:])
    assert f"… and {25 - SHOWN_PATHS} more paths, not written out here" in text
    assert f"their products sum to {rest:.6g}" in text
    assert text.splitlines()[-1].startswith(
        "∂y/∂x = " + " + ".join(f"{p:.6g}" for p in shown_products) + f" + {rest:.6g} = 325")


def test_a_path_of_many_factors_shows_its_first_and_last():
    x = Value(0.1, label="x")
    v = x
    for _ in range(100):
        v = v * 1.0001
    text = str(explain(labelled(v, "top"), x))
    assert f"… {100 - SHOWN_FACTORS} more factors, whose product is" in text
    assert len(text.splitlines()) < SHOWN_FACTORS + 10


def test_one_step_writes_out_the_first_terms_and_sums_the_others():
    x = Value(2.0, label="x")
    y = labelled(sum((x * k for k in range(1, 26)), Value(0.0)), "y")
    step = explain(y, x, one_step=True)
    assert len(step.terms) == 25
    text = str(step)
    assert f"… and {25 - SHOWN_PATHS} more terms, not written out here" in text
    assert text.count("\n  ∂") == SHOWN_PATHS
    assert "∂y/∂x = 325" in text
