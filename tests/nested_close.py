"""Test helper: compare parameters or gradients in Nielsen's nested layout, entry by entry."""


def assert_nested_close(actual, expected, tol):
    """Assert the same nesting and lengths, and |actual − expected| <= tol at every leaf."""
    if isinstance(expected, list):
        assert len(actual) == len(expected)
        for a, e in zip(actual, expected):
            assert_nested_close(a, e, tol)
    else:
        assert abs(actual - expected) <= tol, (actual, expected)
