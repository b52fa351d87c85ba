"""The `tinygrad-bp` command line.

Exit status: 0 on success, 1 when a computation fails (or a check does not hold),
2 for bad usage (argparse's own convention).
"""

from __future__ import annotations

import argparse
import sys
from typing import List, Optional

from tinygrad_bp import __version__


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="tinygrad-bp",
        description="A scalar autograd engine for learning, teaching and checking "
                    "backpropagation.")
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")
    _add_train_command(commands)
    return parser


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
                        on_epoch=lambda record: report(*record))
    except ArithmeticError as error:
        print(f"tinygrad-bp train: error: {error}", file=sys.stderr)
        return 1
    final = history[-1]
    epochs = "1 epoch" if args.epochs == 1 else f"{args.epochs} epochs"
    print(f"final: cost {start_cost:.6f} -> {final.cost:.6f}, accuracy {start_accuracy:.1%} "
          f"-> {final.accuracy:.1%} after {epochs} ({steps} steps)")
    return 0


def _positive_int(text: str) -> int:
    try:
        n = int(text)
    except ValueError:
        n = 0
    if n < 1:
        raise argparse.ArgumentTypeError(f"must be a positive integer, got {text!r}")
    return n


def _positive_float(text: str) -> float:
    try:
        x = float(text)
    except ValueError:
        x = 0.0
    if not 0.0 < x < float("inf"):      # NOTE: false for nan too
        raise argparse.ArgumentTypeError(f"must be a positive finite number, got {text!r}")
    return x


def main(argv: Optional[List[str]] = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.command is None:
        parser.print_help()
        return 0
    return args.run(args)


if __name__ == "__main__":
    sys.exit(main())
