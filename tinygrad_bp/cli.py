"""The `tinygrad-bp` command line.

Exit status: 0 on success, 1 when a computation fails (or, for `grad --expect`, a
hand-derived gradient does not hold), 2 for bad usage (argparse's own convention), 130
when Ctrl-C ends a command.
"""

from __future__ import annotations

import argparse
import math
import os
import sys
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING, Callable, Dict, List, Optional, TypeVar

from tinygrad_bp import __version__
from tinygrad_bp.errors import TinygradBPError
from tinygrad_bp.ops import FUNCTIONS

if TYPE_CHECKING:                   # the commands import what they use when they run
    from tinygrad_bp.engine import Value
    from tinygrad_bp.expr import Expression

T = TypeVar("T")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="tinygrad-bp",
        description="A scalar autograd engine for learning, teaching and checking "
                    "backpropagation.")
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Command)
    _add_demo_command(commands)         # the main job first
    _add_grad_command(commands)
    _add_graph_command(commands)
    _add_train_command(commands)
    parser.commands = commands.choices      # each command's own parser, by name
    return parser


def main(argv: Optional[List[str]] = None) -> int:
    """Run the command in `argv` (default: the process's arguments); return its exit status.

    Ctrl-C ends any command with one line on stderr and exit status 130 (128 + SIGINT);
    a file being written is left as it was (see `viz.render`).
    """
    arguments = sys.argv[1:] if argv is None else [str(a) for a in argv]
    command = next((a for a in arguments if not a.startswith("-")), None)
    try:
        parser = build_parser()
        shielded = _shield_expression(arguments, parser, command)
        args = parser.parse_args(shielded)
        expression = getattr(args, "expression", None)
        if expression is not None and expression not in arguments:
            args.expression = expression[1:]               # the mark, taken off again
        if args.command is None:
            parser.print_help()
            return 0
        return args.run(args)
    except KeyboardInterrupt:
        print(f"tinygrad-bp{'' if command is None else ' ' + command}: interrupted",
              file=sys.stderr)
        return 130
    except BrokenPipeError:
        # NOTE: the reader closed the pipe (`tinygrad-bp demo | head`): stop quietly, and
        # point stdout at devnull so that Python's final flush does not fail again.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 1


def _shield_expression(arguments: List[str], parser: argparse.ArgumentParser,
                       command: Optional[str]) -> List[str]:
    """`arguments` with an EXPR that starts with "-" (`-2*x`, `-x`, `--x`) marked as
    positional: an argument after the command that is neither an option of its command
    (nor an abbreviation of one, as argparse reads them) nor the value of one. A "--"
    marks the argument after it as EXPR, whatever it looks like: `grad -- -x --at x=1`.

    argparse takes every argument that starts with "-" for an option, but one that holds a
    blank for a positional argument: the mark is a leading blank, taken off again once the
    arguments are parsed.
    """
    subparser = parser.commands.get(command)
    if subparser is None or "expression" not in subparser.positionals:
        return arguments
    options = subparser.options
    at = arguments.index(command) + 1
    shielded, takes_value, marked = arguments[:at], False, False
    for argument in arguments[at:]:
        if argument == "--" and not takes_value and not marked:
            marked = True
            continue
        if marked or (argument.startswith("-") and len(argument) > 1 and not takes_value
                      and not _is_option(argument, options)):
            argument = " " + argument
        takes_value = argument in options and options[argument].nargs != 0
        marked = False
        shielded.append(argument)
    return shielded


def _is_option(argument: str, options: Dict[str, argparse.Action]) -> bool:
    """Whether argparse reads `argument` as one of `options`: `-o`, `-ofile`, `--at`,
    `--at=x=1`, or an abbreviation of a long option (`--wr` for `--wrt`)."""
    if not argument.startswith("--"):
        return argument[:2] in options
    name = argument.split("=", 1)[0]
    return any(option.startswith(name) for option in options if option.startswith("--"))


class _Command(argparse.ArgumentParser):
    """A command's parser that keeps its options and positional arguments by name, for
    `_shield_expression` (argparse has no public view of them)."""

    def __init__(self, *args: object, **kwargs: object) -> None:
        self.options: Dict[str, argparse.Action] = {}
        self.positionals: List[str] = []
        super().__init__(*args, **kwargs)

    def add_argument(self, *args: object, **kwargs: object) -> argparse.Action:
        action = super().add_argument(*args, **kwargs)
        self.options.update(dict.fromkeys(action.option_strings, action))
        if not action.option_strings:
            self.positionals.append(action.dest)
        return action


# --- tinygrad-bp demo

def _add_demo_command(commands: argparse._SubParsersAction) -> None:
    from tinygrad_bp.demo import DEFAULT_LR, DEFAULT_SVG

    demo = commands.add_parser(
        "demo", help="replay the article on its 2-3-2 network, equations beside the engine",
        description="The article end to end, in its order, on the labelled 2-3-2 sigmoid "
                    "network: its starting weights and biases, forward pass, cost, the chain "
                    "rule for w7 and w1 (section 5), the four equations (section 6: the errors "
                    "delta from BP1 and BP2, all 17 gradients from BP3 and BP4 beside the "
                    "engine's), one SGD step, and the graph as SVG with the path from w7 "
                    "highlighted, beside the network drawn as the article's figure 1.")
    picture = demo.add_mutually_exclusive_group()
    picture.add_argument("--svg", default=DEFAULT_SVG, metavar="PATH",
                         help=f"where to write the graph (default: {DEFAULT_SVG}); the "
                              f"network's figure goes beside it, as NAME-network.svg")
    picture.add_argument("--no-svg", dest="svg", action="store_const", const=None,
                         help="do not draw the pictures")
    demo.add_argument("--html", metavar="PATH",
                      help="also write a page that steps through the forward and the backward "
                           "pass (open it in a browser)")
    demo.add_argument("--lr", type=_positive_float, default=DEFAULT_LR,
                      help=f"learning rate eta of the SGD step (default: {DEFAULT_LR:g})")
    demo.set_defaults(run=_run_demo)


def _run_demo(args: argparse.Namespace) -> int:
    """`tinygrad-bp demo`: 1 when the graph cannot be drawn (the text is printed first)."""
    from tinygrad_bp.demo import draw, replay, step_through

    if args.svg is not None and Path(args.svg).suffix.lower() != ".svg":
        return _fail("demo", f"--svg {args.svg!r} must end in .svg", 2)
    if args.html is not None and Path(args.html).suffix.lower() != ".html":
        return _fail("demo", f"--html {args.html!r} must end in .html", 2)
    for line in replay(lr=args.lr, svg=None):
        print(line, flush=True)
    outputs = ((draw, args.svg, "drawing the graph failed: {} (--no-svg skips it)"),
               (step_through, args.html, "writing the step-through page failed: {}"))
    for write, target, failure in outputs:
        if target is None:
            continue
        try:
            lines = write(target)
        except (ImportError, RuntimeError, OSError, ValueError) as error:
            return _fail("demo", failure.format(error), 1)
        print("\n".join(lines))
    return 0


# --- tinygrad-bp grad

def _add_grad_command(commands: argparse._SubParsersAction) -> None:
    grad = commands.add_parser(
        "grad", help="the value and gradients of an expression, checked",
        description="Print the value of EXPR at a point, its gradient with respect to each "
                    "variable, the numerical check of each (central differences), and with "
                    "--expect how hand-derived gradients compare. EXPR may start with a minus "
                    "sign (-2*x) or follow -- (-- -x). The numerical check evaluates EXPR twice per variable; past "
                    f"{NUMERICAL_CHECK_BUDGET:,} node evaluations in all it checks an evenly "
                    "spread sample of the variables. Exit status 1 when an expectation fails, "
                    "2 for bad usage; the numerical check, which tests the engine and not "
                    "your input, does not change it (at a relu's kink, relu(x) at x=0, it "
                    "differs by nature: the engine takes relu'(0) = 0). With --order 2, also "
                    "the second derivatives, checked against central differences of the "
                    "gradient, and --expect x=... is your d2f/dx2.",
        epilog="examples: tinygrad-bp grad 'x * y + tanh(x)' --at x=1,y=2 --expect x=2.42,y=1"
               "  |  tinygrad-bp grad 'sigmoid(x)' --at x=0.5 --order 2 --expect x=-0.057557")
    grad.add_argument("expression", metavar="EXPR",
                      help=f"numbers, variables, + - * / **, {' '.join(FUNCTIONS)}")
    grad.add_argument("--at", default="", metavar="x=1,y=2", help="the value of each variable")
    grad.add_argument("--wrt", default="", metavar="x,y",
                      help="only these variables (default: every variable)")
    grad.add_argument("--expect", default="", metavar="x=0.5,y=1.2",
                      help="hand-derived gradients to check against the engine, each to the "
                           "digits typed: 0.001186 holds for 0.0011857831..., an integer "
                           "only when exact (with --order 2: second derivatives, x=... for "
                           "d2f/dx2)")
    grad.add_argument("--order", type=int, choices=(1, 2), default=1,
                      help="2: also the second derivatives, of at most "
                           f"{SECOND_ORDER_VARIABLES} variables (default 1: gradients only)")
    grad.add_argument("--explain", action="store_true",
                      help="write each gradient out as the chain rule (of the first "
                           f"{EXPLAINED_VARIABLES} variables)")
    grad.add_argument("--rtol", type=_tolerance,
                      help="relative tolerance of --expect, instead of the digits given "
                           "(default with --atol: 1e-4)")
    grad.add_argument("--atol", type=_tolerance,
                      help="absolute tolerance of --expect, instead of the digits given "
                           "(default with --rtol: 1e-9)")
    grad.set_defaults(run=_run_grad)


def _run_grad(args: argparse.Namespace) -> int:
    """`tinygrad-bp grad`: 2 for bad usage, 1 when evaluation or an expectation fails."""
    # Imported here: each command keeps its dependencies with it.
    from tinygrad_bp.checking import PathLimitError, check, explain, gradcheck, hessian
    from tinygrad_bp.checking.numerical import second_name
    from tinygrad_bp.engine import Value, trace
    from tinygrad_bp.expr import parse, parse_bindings, parse_names, spelled

    try:
        expression = _read(parse, args.expression, "EXPR")
        leaves = _variables(expression, args.at)
        expected = _read(partial(parse_bindings, as_written=True), args.expect, "--expect")
        wrt = _read(parse_names, args.wrt, "--wrt") or list(expression.variables)
        for option, names in (("--wrt", wrt), ("--expect", list(expected))):
            unknown = [n for n in names if n not in leaves]
            if unknown:
                raise _UsageError(f"{option}: {', '.join(map(spelled, unknown))} is not a "
                                  f"variable of {expression.text!r} (its variables: "
                                  f"{', '.join(map(spelled, expression.variables)) or 'none'})")
        if args.order == 2 and len(wrt) > SECOND_ORDER_VARIABLES:
            raise _UsageError(f"--order 2 prints n(n+1)/2 second derivatives of n variables, "
                              f"one pass over the graph each: at most {SECOND_ORDER_VARIABLES} "
                              f"variables, and EXPR has {len(wrt)} (name some with --wrt)")
    except _UsageError as error:
        return _fail("grad", str(error), 2)
    name = "f"                      # what the output prints the expression as
    while name in leaves:
        name += "_"
    try:
        root = expression.evaluate(leaves)
        if not root.label:          # NOTE: a one-variable expression keeps its label
            root.label = name
        root.backward()
    except (ArithmeticError, ValueError) as error:
        return _fail("grad", f"cannot evaluate at {args.at or 'no point'}: {error}", 1)
    point = ", ".join(f"{n}={leaves[n].data!r}" for n in expression.variables)
    print(f"{name}({', '.join(expression.variables)}) = {expression.text.strip()}")
    print(f"{name} = {root.data!r}" + (f"   at {point}" if point else ""))
    for variable in wrt:
        print(f"∂{name}/∂{variable} = {leaves[variable].grad!r}")
    if not wrt:
        print("no variables: nothing to differentiate")
        return 0

    if args.order == 2:
        try:
            matrix = _second_derivatives(expression, leaves, wrt, hessian)
        except (ArithmeticError, ValueError) as error:
            return _fail("grad", f"no second derivatives at {args.at or 'no point'}: {error}", 1)
        for i, u in enumerate(wrt):
            for j, v in enumerate(wrt[i:], i):
                print(f"{second_name(name, u, v)} = {matrix[i][j]!r}")
    checked = _numerical_sample(wrt, len(trace(root)))
    # NOTE: the other variables are the leaves already made: gradcheck reads no .grad
    fixed = dict(leaves)
    for name in checked:
        del fixed[name]

    def f(*values: Value) -> Value:     # the expression of the checked variables, others fixed
        return expression.evaluate({**fixed, **dict(zip(checked, values))})

    try:
        report = gradcheck(f, *(leaves[n].data for n in checked), names=checked,
                           order=args.order)
        if len(checked) < len(wrt):
            print(f"\nthe numerical check below takes two evaluations of EXPR per variable: "
                  f"it checks {len(checked)} of the {len(wrt)} variables, evenly spread "
                  f"(name others with --wrt to check them)")
        print(f"\n{report}")
    except (ArithmeticError, ValueError) as error:
        print(f"\nno numerical check here: a step of the central difference leaves the "
              f"expression's domain ({error})")
    report = check(root, expected, rtol=args.rtol, atol=args.atol, order=args.order) \
        if expected else None
    if report is not None:
        print(f"\n{report}")
    explained = wrt[:EXPLAINED_VARIABLES] if args.explain else []
    if len(explained) < len(wrt) and args.explain:
        print(f"\n--explain writes out the chain rule of the first {len(explained)} of the "
              f"{len(wrt)} variables (name others with --wrt)")
    for variable in explained:
        try:
            chain = explain(root, leaves[variable])
        except PathLimitError as error:
            print(f"\n{error}")
            chain = explain(root, leaves[variable], one_step=True)
        print(f"\n{chain}")
    return 1 if report is not None and not report else 0


# The most variables `grad --explain` writes the chain rule of: each is a pass over the
# graph, and more would be more than anyone reads.
EXPLAINED_VARIABLES = 20

# The most variables `grad --order 2` takes: it prints a line per pair of them.
SECOND_ORDER_VARIABLES = 20


def _second_derivatives(expression: "Expression", leaves: Dict[str, "Value"], wrt: List[str],
                        hessian: Callable) -> List[List[float]]:
    """The Hessian of EXPR in the `wrt` variables, the others fixed at their leaves."""
    fixed = {n: leaf for n, leaf in leaves.items() if n not in wrt}
    return hessian(lambda *values: expression.evaluate({**fixed, **dict(zip(wrt, values))}))(
        *(leaves[n].data for n in wrt))


# The most node evaluations the numerical check of `grad` makes (a few seconds' work): past
# it, it checks an evenly spread sample of the variables, so that `grad` stays linear in
# the number of variables.
NUMERICAL_CHECK_BUDGET = 400_000


def _numerical_sample(names: List[str], nodes: int) -> List[str]:
    """`names`, or as many of them, evenly spread (first and last included), as fit in
    `NUMERICAL_CHECK_BUDGET` at two evaluations of `nodes` nodes each."""
    fits = max(1, NUMERICAL_CHECK_BUDGET // (2 * nodes))
    if len(names) <= fits:
        return names
    if fits == 1:
        return names[:1]
    return [names[round(i * (len(names) - 1) / (fits - 1))] for i in range(fits)]


# --- tinygrad-bp graph

def _add_graph_command(commands: argparse._SubParsersAction) -> None:
    graph = commands.add_parser(
        "graph", help="draw the computation graph of an expression or of the article's network",
        formatter_class=argparse.RawDescriptionHelpFormatter,
        description="Evaluate EXPR at the given point, run backward(), print the value and each\n"
                    "variable's gradient, and draw the graph (format from the -o suffix: .svg,\n"
                    ".png, .jpg, .pdf or .dot; .html: a page that steps through the forward\n"
                    "and the backward pass). EXPR may use numbers, variables, + - * / **,\n"
                    f"unary minus, parentheses and {' '.join(FUNCTIONS)}.",
        epilog="examples:\n"
               "  tinygrad-bp graph 'tanh(a * b + exp(a))' --at a=2,b=-3 -o graph.svg\n"
               "  tinygrad-bp graph --network --highlight w1 -o net.svg\n"
               "  tinygrad-bp graph --network --view neurons -o net.svg")
    graph.add_argument("expression", nargs="?", metavar="EXPR",
                       help="the expression, e.g. 'tanh(a * b + exp(a))'")
    graph.add_argument("--at", metavar="BINDINGS", default="",
                       help="a value for every variable, e.g. a=2,b=-3")
    graph.add_argument("--network", action="store_true",
                       help="draw the article's 2-3-2 network with its quadratic cost C "
                            "instead of EXPR")
    graph.add_argument("--view", choices=("graph", "neurons"), default="graph",
                       help="graph (default): every Value and operation; neurons: with "
                            "--network, one circle per neuron and one labelled arrow per "
                            "weight, as the article's figure 1")
    graph.add_argument("-o", "--output", required=True, metavar="FILE",
                       help="the file to write: .svg, .png, .jpg, .pdf (Graphviz's dot only), "
                            ".dot or .html (the step-through page)")
    graph.add_argument("--edge-labels", action="store_true",
                       help="write each edge's local derivative on it")
    graph.add_argument("--highlight", metavar="LABEL",
                       help="colour every path from the node so labelled to the root")
    graph.add_argument("--rankdir", choices=("LR", "TB", "RL", "BT"), default="LR",
                       help="direction of the graph (default LR: inputs on the left)")
    graph.add_argument("--no-clusters", action="store_true",
                       help="do not box the neurons and layers of a network")
    graph.add_argument("--max-nodes", type=_positive_int, metavar="N",
                       help="refuse pictures whose layout has more than N nodes: Values, "
                            "operations, and the bends of long edges (default 2000)")
    graph.add_argument("--timeout", type=_positive_float, metavar="SECONDS",
                       help="stop the renderer after this long (default: "
                            "$TINYGRAD_BP_RENDER_TIMEOUT, else 60)")
    graph.set_defaults(run=_run_graph)


def _run_graph(args: argparse.Namespace) -> int:
    """`tinygrad-bp graph`: 2 for bad usage, 1 when the computation or the drawing fails."""
    from tinygrad_bp.expr import parse
    try:
        from tinygrad_bp import viz
    except ImportError as error:
        return _fail("graph", f"drawing needs the graphviz package ({error}): "
                            f"pip install graphviz graphviz-pure", 1)

    if args.network == (args.expression is not None):
        return _fail("graph", "give either EXPR or --network", 2)
    if args.network and args.at:
        return _fail("graph", "--at binds the variables of EXPR; --network has its own inputs", 2)
    if Path(args.output).suffix.lower() not in viz.FORMATS:
        return _fail("graph", f"cannot tell the format of -o {args.output!r}: end it with one of "
                            f"{', '.join(viz.FORMATS)}", 2)
    if args.view == "neurons" and Path(args.output).suffix.lower() == ".html":
        return _fail("graph", "a step-through page (.html) steps through the graph of Values: "
                              "use --view graph", 2)
    if args.view == "neurons" and not args.network:
        return _fail("graph", "--view neurons draws a network: use it with --network", 2)
    if args.view == "neurons" and (args.edge_labels or args.no_clusters or args.max_nodes):
        return _fail("graph", "--edge-labels, --no-clusters and --max-nodes apply to "
                              "--view graph only", 2)
    if args.network:
        root, shown, article = _article_cost()
        name = root.label
    else:
        try:
            expression = _read(parse, args.expression, "EXPR")
            variables = _variables(expression, args.at)
        except _UsageError as error:
            return _fail("graph", str(error), 2)
        try:
            root = expression.evaluate(variables)
            root.backward()
        except (ValueError, ArithmeticError) as error:
            return _fail("graph", f"computation failed: {error}", 1)
        name = root.label or "value"
        if not root.label:              # the picture and its messages name it as typed
            root.label = _shortened(expression.text.strip())
        shown = list(variables.values())
    limit = {} if args.max_nodes is None else {"max_nodes": args.max_nodes}
    # NOTE: passed only when given, so that each format keeps its own default (the
    # step-through page shows the local derivatives unless told otherwise).
    labels = {"edge_labels": True} if args.edge_labels else {}
    try:
        if args.view == "neurons":
            drawing = viz.draw_network(*article, highlight=args.highlight, rankdir=args.rankdir)
            path = viz.render(drawing, args.output, timeout=args.timeout)
        else:
            path = viz.render(root, args.output, rankdir=args.rankdir, highlight=args.highlight,
                              clusters=not args.no_clusters, timeout=args.timeout, **labels,
                              **limit)
    except viz.GraphTooLarge as error:
        return _fail("graph", f"{error} (here: --max-nodes)", 1)
    except viz.RenderTimeout as error:
        return _fail("graph", f"drawing failed: {error} (here: --timeout)", 1)
    except viz.FormatUnavailable as error:
        return _fail("graph", str(error), 2)
    except ValueError as error:             # --highlight names no node, or several
        return _fail("graph", str(error), 2)
    except (RuntimeError, OSError) as error:
        return _fail("graph", f"drawing failed: {error}", 1)
    print(f"{name} = {root.data!r}")
    for leaf in shown:
        print(f"{leaf.label}.grad = {leaf.grad!r}")
    print(f"wrote {path}")
    return 0


def _shortened(text: str, width: int = 40) -> str:
    """`text`, its middle elided with … when it is longer than `width` characters."""
    if len(text) <= width:
        return text
    head = (width - 1) * 3 // 4
    return f"{text[:head]}…{text[len(text) - (width - 1 - head):]}"


def _article_cost() -> tuple:
    """The article's 2-3-2 network at its default sample: its cost C, differentiated, its
    parameters, and (net, x, y) for the neuron view."""
    from tinygrad_bp.losses import mse
    from tinygrad_bp.nn import article_network

    net, x, y = article_network()
    cost = mse(net(x), y)
    cost.backward()
    return cost, net.parameters(), (net, x, y)


# --- tinygrad-bp train

def _add_train_command(commands: argparse._SubParsersAction) -> None:
    parser = commands.add_parser(
        "train", help="train the 2-3-2 network on the built-in two-class data set",
        description="Train the article's 2-3-2 sigmoid network on the built-in data set (two "
                    "clouds of points, one-hot targets) by mini-batch SGD on the quadratic "
                    "cost, printing the cost and accuracy over the data after every epoch. "
                    "--seed sets the initial weights and the shuffling: the same options "
                    "print the same numbers.")
    parser.add_argument("--epochs", type=_positive_int, default=20,
                        help="passes over the data set (default: 20)")
    parser.add_argument("--batch-size", type=_positive_int, default=10,
                        help="samples per mini-batch m (default: 10)")
    parser.add_argument("--lr", type=_positive_float, default=2.0,
                        help="learning rate eta (default: 2.0)")
    parser.add_argument("--seed", type=int, default=0,
                        help="seed of the initial weights and of the shuffling (default: 0)")
    parser.add_argument("--no-compile", dest="compiled", action="store_false",
                        help="build every step's graph eagerly instead of replaying one "
                             "compiled graph per sample (slower; the same numbers up to "
                             "rounding)")
    parser.set_defaults(run=_run_train)


def _run_train(args: argparse.Namespace) -> int:
    # Imported here: each command keeps its dependencies with it.
    from tinygrad_bp.data import two_clouds
    from tinygrad_bp.nn import MLP
    from tinygrad_bp.train import evaluate, train

    data = two_clouds()
    net = MLP(2, [3, 2], seed=args.seed)
    steps = args.epochs * -(-len(data) // args.batch_size)
    print(f"training the 2-3-2 sigmoid network ({len(net.parameters())} parameters) on "
          f"{len(data)} samples (two clouds), quadratic cost")
    print(f"mini-batch SGD: {args.epochs} epochs, batch size {args.batch_size}, "
          f"lr {args.lr:g}, seed {args.seed}")
    print(f"{'epoch':>5}  {'cost':>10}  {'accuracy':>8}")
    start_cost, start_accuracy = evaluate(net, data)

    def report(epoch: int, cost: float, accuracy: float) -> None:
        print(f"{epoch:>5}  {cost:>10.6f}  {accuracy:>8.1%}")

    report(0, start_cost, start_accuracy)
    try:
        history = train(net, data, args.epochs, args.batch_size, args.lr, seed=args.seed,
                        on_epoch=lambda record: report(*record), compiled=args.compiled)
    except ArithmeticError as error:
        return _fail("train", str(error), 1)
    final = history[-1]
    epochs = "1 epoch" if args.epochs == 1 else f"{args.epochs} epochs"
    print(f"final: cost {start_cost:.6f} -> {final.cost:.6f}, accuracy {start_accuracy:.1%} "
          f"-> {final.accuracy:.1%} after {epochs} ({steps} steps)")
    return 0


# --- shared by the commands

class _UsageError(TinygradBPError):
    """Bad usage of a command: reported on stderr with exit status 2."""



def _read(reader: Callable[[str], T], text: str, option: str) -> T:
    """`reader(text)` for EXPR, --at, --wrt or --expect; bad text is a `_UsageError` that
    shows it (at most `_SHOWN` characters of it, around the fault) with a caret under the
    column where it goes wrong."""
    from tinygrad_bp.expr import ExpressionError
    try:
        return reader(text)
    except ExpressionError as error:
        start = min(max(0, error.column - 1 - _SHOWN // 2), max(0, len(text) - _SHOWN))
        shown = text[start:start + _SHOWN]
        before, after = ("…" if start else ""), ("…" if start + _SHOWN < len(text) else "")
        caret = " " * (len(before) + error.column - 1 - start) + "^"
        raise _UsageError(f"in {option}, {error}\n  {before}{shown}{after}\n  {caret}") \
            from None


_SHOWN = 76         # characters of a bad EXPR or option value shown around the fault


def _variables(expression: Expression, at: str) -> Dict[str, Value]:
    """Every variable of `expression` as a leaf labelled with its name, valued from --at."""
    from tinygrad_bp.expr import BindingError, bind, parse_bindings
    try:
        return bind(expression, _read(parse_bindings, at, "--at"))
    except BindingError as error:
        raise _UsageError(str(error)) from None


def _fail(command: str, message: str, status: int) -> int:
    """Report a failed command on stderr; return its exit status (1 failed, 2 bad usage)."""
    print(f"tinygrad-bp {command}: error: {message}", file=sys.stderr)
    return status


def _positive_int(text: str) -> int:
    try:
        n = int(text)
    except ValueError:
        n = 0
    if n < 1:
        raise argparse.ArgumentTypeError(f"must be a positive integer, got {text!r}")
    return n


def _positive_float(text: str) -> float:
    x = _float(text)
    if not 0.0 < x < float("inf"):      # NOTE: false for nan too
        raise argparse.ArgumentTypeError(f"must be a positive finite number, got {text!r}")
    return x


def _tolerance(text: str) -> float:
    x = _float(text)
    if not 0.0 <= x < float("inf"):     # NOTE: false for nan too
        raise argparse.ArgumentTypeError(f"must be a finite number >= 0, got {text!r}")
    return x


def _float(text: str) -> float:
    try:
        return float(text)
    except ValueError:
        return math.nan


if __name__ == "__main__":
    sys.exit(main())
