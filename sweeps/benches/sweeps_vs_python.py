"""Times the official `sweeps` package's bayes suggestion on the same kind
of history as benches/bayes.rs (100 and 1000 finished runs, 4 searchable
parameters). Run: $(scripts/sweeps-venv.sh) sweeps/benches/sweeps_vs_python.py
"""
import math
import time

import numpy as np
from sweeps import RunState, SweepRun
from sweeps.bayes_search import bayes_search_next_run

CONFIG = {
    "method": "bayes",
    "metric": {"name": "loss", "goal": "minimize"},
    "parameters": {
        "lr": {"distribution": "log_uniform_values", "min": 1e-4, "max": 1.0},
        "bs": {"values": [16, 32, 64, 128]},
        "depth": {"min": 1, "max": 8},
        "drop": {"min": 0.0, "max": 0.5},
        "act": {"value": "relu"},
    },
}


def history(n):
    rs = np.random.RandomState(1234)
    runs = []
    for i in range(n):
        lr = 10 ** (-4 + 4 * rs.random_sample())
        bs = [16, 32, 64, 128][rs.randint(0, 4)]
        depth = int(rs.randint(1, 9))
        drop = 0.5 * rs.random_sample()
        loss = (math.log10(lr) + 2.2) ** 2 + 0.3 * abs(math.log2(bs) - 5) + 0.1 * (depth - 5) ** 2 + (drop - 0.2) ** 2
        runs.append(SweepRun(name=f"r{i}", state=RunState.finished,
                             config={"lr": {"value": lr}, "bs": {"value": bs}, "depth": {"value": depth},
                                     "drop": {"value": drop}, "act": {"value": "relu"}},
                             history=[{"loss": loss}]))
    return runs


def main():
    np.random.seed(0)
    for n in (100, 1000):
        runs = history(n)
        bayes_search_next_run(runs, CONFIG)  # warm up
        times = []
        for _ in range(10):
            t = time.perf_counter()
            bayes_search_next_run(runs, CONFIG)
            times.append(time.perf_counter() - t)
        times.sort()
        print(f"official sweeps bayes_search_next_run, {n} finished runs: "
              f"median {1000 * times[len(times) // 2]:.1f} ms, min {1000 * times[0]:.1f} ms")


if __name__ == "__main__":
    main()
