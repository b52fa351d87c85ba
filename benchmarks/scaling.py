"""How checking and `tinygrad-bp grad` grow with size: the time at n and at 2n, and their
ratio (about 2 when the cost is linear, 4 when quadratic).

    python3 benchmarks/scaling.py
"""

import contextlib
import io
import time

from tinygrad_bp import gradcheck
from tinygrad_bp.cli import main


def relu_chain(n):
    def f(x):
        v = x
        for _ in range(n):
            v = v.relu()
        return v
    return f


def gradcheck_of_relus(n):
    gradcheck(relu_chain(n), 1.0)


def grad_command(n):
    expression = "+".join(f"x{i}" for i in range(n))
    bindings = ",".join(f"x{i}=1" for i in range(n))
    with contextlib.redirect_stdout(io.StringIO()):
        assert main(["grad", expression, "--at", bindings]) == 0


def seconds(work, n):
    start = time.perf_counter()
    work(n)
    return time.perf_counter() - start


for name, work, sizes in [("gradcheck, chain of n relus", gradcheck_of_relus, (1500, 3000, 6000)),
                          ("grad, sum of n variables", grad_command, (2500, 5000, 10000))]:
    times = [seconds(work, n) for n in sizes]
    print(name)
    for n, t in zip(sizes, times):
        print(f"  n = {n:>6}: {t:7.3f} s")
    print("  ratio per doubling: " + ", ".join(f"{b / a:.2f}" for a, b in zip(times, times[1:])))
