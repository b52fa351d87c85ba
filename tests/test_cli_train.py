"""`tinygrad-bp train` as a user runs it: a real subprocess."""

import re

import pytest

import tinygrad_bp.train
from tinygrad_bp.cli import main

EPOCH_LINE = re.compile(r"^\s+(\d+)\s+(\d+\.\d{6})\s+(\d+\.\d)%$")


def epoch_lines(stdout):
    return [EPOCH_LINE.match(line).groups() for line in stdout.splitlines()
            if EPOCH_LINE.match(line)]


def test_train_prints_one_line_per_epoch_and_a_summary(run_cli):
    result = run_cli("train", "--epochs", 3, "--batch-size", 20, "--lr", 1.5, "--seed", 2)
    assert result.returncode == 0, result.stderr
    assert [epoch for epoch, _, _ in epoch_lines(result.stdout)] == ["0", "1", "2", "3"]
    assert "mini-batch SGD: 3 epochs, batch size 20, lr 1.5, seed 2" in result.stdout
    assert re.search(r"^final: cost \d\.\d{6} -> \d\.\d{6}, accuracy \d+\.\d% -> \d+\.\d% "
                     r"after 3 epochs \(15 steps\)$", result.stdout, re.MULTILINE)


def test_train_default_run_lowers_the_cost_and_separates_the_classes(run_cli):
    result = run_cli("train")
    assert result.returncode == 0, result.stderr
    lines = epoch_lines(result.stdout)
    assert len(lines) == 21
    assert float(lines[-1][1]) < float(lines[0][1]) / 10
    assert lines[-1][2] == "100.0"


def test_train_same_seed_prints_the_same_numbers(run_cli):
    first = run_cli("train", "--epochs", 4, "--seed", 7)
    second = run_cli("train", "--epochs", 4, "--seed", 7)
    assert first.returncode == 0 and first.stdout == second.stdout


def test_train_without_compiling_prints_the_same_numbers(run_cli):
    compiled = run_cli("train", "--epochs", 5, "--batch-size", 7, "--seed", 3)
    eager = run_cli("train", "--epochs", 5, "--batch-size", 7, "--seed", 3, "--no-compile")
    assert compiled.returncode == eager.returncode == 0
    assert compiled.stdout == eager.stdout


def test_train_no_compile_trains_eagerly(monkeypatch, capsys):
    options = []
    real_train = tinygrad_bp.train.train
    monkeypatch.setattr(tinygrad_bp.train, "train",
                        lambda *args, **kwargs: options.append(kwargs) or real_train(*args, **kwargs))
    assert main(["train", "--epochs", "1", "--no-compile"]) == 0
    assert main(["train", "--epochs", "1"]) == 0
    assert [o["compiled"] for o in options] == [False, True]


def test_train_different_seeds_print_different_numbers(run_cli):
    first = run_cli("train", "--epochs", 2, "--seed", 1)
    second = run_cli("train", "--epochs", 2, "--seed", 2)
    assert epoch_lines(first.stdout) != epoch_lines(second.stdout)


@pytest.mark.parametrize("option, value, message", [
    ("--batch-size", "0", "argument --batch-size: must be a positive integer, got '0'"),
    ("--epochs", "-3", "argument --epochs: must be a positive integer, got '-3'"),
    ("--epochs", "2.5", "argument --epochs: must be a positive integer, got '2.5'"),
    ("--lr", "0", "argument --lr: must be a positive finite number, got '0'"),
    ("--lr", "nan", "argument --lr: must be a positive finite number, got 'nan'"),
    ("--seed", "x", "argument --seed: invalid int value: 'x'"),
])
def test_train_bad_option_exits_2_with_a_message(run_cli, option, value, message):
    result = run_cli("train", option, value)
    assert result.returncode == 2
    assert message in result.stderr
    assert result.stdout == ""


def test_train_that_diverges_exits_1_with_the_error(monkeypatch, capsys):
    # NOTE: a sigmoid network saturates rather than overflowing, so the failure is simulated.
    def diverge(*args, **kwargs):
        raise OverflowError("SGD step would set 'w1' to inf: training diverged")
    monkeypatch.setattr(tinygrad_bp.train, "train", diverge)
    assert main(["train", "--epochs", "1"]) == 1
    assert ("tinygrad-bp train: error: SGD step would set 'w1' to inf: training diverged"
            in capsys.readouterr().err)


def test_train_is_listed_in_the_help(run_cli):
    assert "train" in run_cli("--help").stdout
