"""Every str a user can put in a label or an op draws as itself, with both renderers."""

import xml.etree.ElementTree as ElementTree

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tinygrad_bp.engine import Value
from tinygrad_bp.viz import draw_dot, run_renderer

from helpers import SVG


def custom(text):
    """x (labelled `text`) into a custom op named `text`, its result labelled `text`,
    differentiated: `text` is drawn in a record, an op node, the caption and tooltips."""
    x = Value(1.0, label=text)
    y = Value(2.0, parents=(x,), local_grads=(2.0,), op=text, label=text)
    y.backward()
    return x, y


def drawn_texts(renderer, text):
    """The texts of the SVG `renderer` draws of `custom(text)`, highlighted, edge-labelled."""
    x, y = custom(text)
    svg = run_renderer(draw_dot(y, highlight=x, edge_labels=True).source, "svg", renderer, 30)
    root = ElementTree.fromstring(svg)              # raises unless well-formed XML
    return [t.text or "" for t in root.iter(f"{SVG}text")]


@pytest.mark.parametrize("text", [
    "ends in a backslash\\", "<b>looks like HTML</b>", "\\N and \\G and \\L", "&#xFFFE;",
    "&amp;", '{x|<y>}"', 'a "quoted" word', "é ∂ 𝜎", "#d62728", "node", "-4.2"])
def test_a_text_draws_as_itself_in_record_op_and_caption(renderer, text):
    texts = drawn_texts(renderer, text)
    assert texts.count(text) == 3                   # x's record, y's record, the op
    assert f"highlighted: 1 chain-rule path from {text} to {text}" in texts


@pytest.mark.parametrize("text, shown", [("a\x01b", "a\\x01b"), ("\ufffe", "\\ufffe"),
                                         ("\ud800", "\\ud800"), ("tab\there", "tab\\x09here")])
def test_a_character_xml_cannot_hold_is_shown_as_its_escape(renderer, text, shown):
    assert drawn_texts(renderer, text).count(shown) == 3


def test_a_newline_is_a_line_break(renderer):
    texts = drawn_texts(renderer, "two\nlines")
    assert texts[:3] == ["highlighted: 1 chain-rule path from two", "lines to two", "lines"]
    assert texts.count("two") == 3 and texts.count("lines") == 3 + 1    # + the caption's


def test_spaces_at_the_ends_of_a_label_are_kept(renderer):
    texts = drawn_texts(renderer, " padded ")
    assert texts.count("\u00a0padded\u00a0") == 2   # the records (Graphviz trims them there)


# NOTE: every code point, surrogates and noncharacters included.
any_text = st.text(st.characters(min_codepoint=0, max_codepoint=0x10FFFF,
                                 blacklist_categories=()), max_size=20)


@settings(max_examples=40, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(text=any_text)
def test_any_text_makes_valid_dot_and_well_formed_svg(renderer, text):
    texts = drawn_texts(renderer, text)
    assert texts[-1] == "grad 1"                     # the root's record was drawn in full
