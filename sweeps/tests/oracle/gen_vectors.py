"""Writes golden vectors from the official `sweeps` package (0.3.0) for the
wandb-sweeps tests: config validation/filling, ppf/cdf, grid order, seeded
random draws, bayes suggestions on fixed histories and hyperband decisions.

Run with the venv of scripts/sweeps-venv.sh:
    $(scripts/sweeps-venv.sh) sweeps/tests/oracle/gen_vectors.py sweeps/tests/fixtures/vectors.json
"""
import glob
import json
import math
import os
import random
import sys

import numpy as np
import yaml
import sweeps
from sweeps import SweepConfig, RunState, SweepRun
from sweeps.bayes_search import bayes_search_next_run
from sweeps.grid_search import grid_search_next_runs
from sweeps.hyperband_stopping import hyperband_stop_runs
from sweeps.params import HyperParameter
from sweeps.random_search import random_search_next_runs

HERE = os.path.dirname(os.path.abspath(__file__))
FIX = os.path.join(HERE, "..", "fixtures")


def jsonable(x):
    if isinstance(x, dict):
        return {k: jsonable(v) for k, v in x.items()}
    if isinstance(x, (list, tuple)):
        return [jsonable(v) for v in x]
    if isinstance(x, np.ndarray):
        return jsonable(x.tolist())
    if isinstance(x, np.integer):
        return int(x)
    if isinstance(x, (float, np.floating)):
        return float(x) if math.isfinite(x) else None
    return x


def validate(cfg):
    try:
        filled = SweepConfig(cfg)
        return {"ok": True, "filled": jsonable(dict(filled))}
    except Exception as e:  # noqa: BLE001
        return {"ok": False, "error": str(e)}


def config_cases():
    out = []
    for path in sorted(glob.glob(os.path.join(FIX, "configs", "*.yaml"))):
        with open(path) as f:
            cfg = yaml.safe_load(f)
        out.append({"name": os.path.basename(path), "file": os.path.basename(path),
                    "parsed": cfg, **validate(cfg)})
    with open(os.path.join(HERE, "config_cases.json")) as f:
        for case in json.load(f):
            out.append({"name": case["name"], "config": case["config"],
                        "key": case.get("key"), "deprecated": case.get("deprecated", False),
                        **validate(case["config"])})
    return out


DISTS = [
    {"values": ["a", "b", "c", "d"]},
    {"values": [1, 2, 3], "probabilities": [0.2, 0.5, 0.3]},
    {"min": -3, "max": 7},
    {"min": -1.5, "max": 2.5},
    {"distribution": "q_uniform", "min": 0, "max": 10, "q": 2},
    {"distribution": "q_uniform", "min": 0.0, "max": 1.0, "q": 0.1},
    {"distribution": "log_uniform", "min": -5, "max": 0},
    {"distribution": "log_uniform_values", "min": 1e-5, "max": 0.1},
    {"distribution": "inv_log_uniform", "min": 0, "max": 3},
    {"distribution": "inv_log_uniform_values", "min": 0.01, "max": 10},
    {"distribution": "q_log_uniform", "min": 0, "max": 5, "q": 3},
    {"distribution": "q_log_uniform_values", "min": 1, "max": 1000, "q": 4},
    {"distribution": "normal", "mu": 1.5, "sigma": 2},
    {"distribution": "q_normal", "mu": 10, "sigma": 5, "q": 2},
    {"distribution": "log_normal", "mu": 0.5, "sigma": 0.7},
    {"distribution": "q_log_normal", "mu": 2, "sigma": 0.5, "q": 1},
    {"distribution": "beta", "a": 2, "b": 5},
    {"distribution": "beta", "a": 0.5, "b": 0.5},
    {"distribution": "q_beta", "a": 3, "b": 1.5, "q": 0.05},
    {"value": 42},
]
PS = [1e-9, 1e-4, 0.01, 0.1, 0.25, 0.333, 0.5, 0.6180339887, 0.75, 0.9, 0.99, 0.9999, 1 - 1e-9]


def ppf_cases():
    out = []
    for d in DISTS:
        hp = HyperParameter("p", d)
        ppf = [jsonable(hp.ppf(p)) for p in PS]
        cdf = None
        if hp.type not in (HyperParameter.CATEGORICAL_PROB, HyperParameter.CONSTANT):
            xs = ppf if hp.type != HyperParameter.CATEGORICAL else [float(i) for i in range(len(d["values"]))]
            cdf = [float(hp.cdf(np.array([float(x)]))[0]) for x in xs]
        out.append({"param": d, "p": PS, "ppf": ppf, "cdf_at": xs if cdf else None, "cdf": cdf})
    return out


GRIDS = [
    {"method": "grid", "parameters": {"lr": {"values": [0.1, 0.01]}, "batch_size": {"values": [16, 32]},
                                      "opt": {"value": "adam"}}},
    {"method": "grid", "parameters": {"z": {"values": [1, 2]}, "a": {"min": 1, "max": 3},
                                      "m": {"distribution": "q_uniform", "min": 0, "max": 1, "q": 0.25}}},
    {"method": "grid", "parameters": {"batch_size": {"values": [32, 64]}, "optimizer": {"parameters": {
        "lr": {"values": [0.001, 0.0001]}, "nadam": {"parameters": {"beta": {"values": [0.9, 0.95]}}}}}}},
    {"method": "grid", "parameters": {"x": {"values": [3e6, 2, "s", True, None, [1, 2], {"k": 1}]},
                                      "B": {"values": [1.0, 2]}}},
]


def grid_cases():
    out = []
    for cfg in GRIDS:
        runs, order = [], []
        while True:
            nxt = grid_search_next_runs(runs, cfg)[0]
            if nxt is None:
                break
            order.append(jsonable(nxt.config))
            runs.append(SweepRun(name=f"r{len(runs)}", state=RunState.finished, config=nxt.config))
        # Resuming with a partial history skips what was done (ints for floats).
        done = [SweepRun(name="x", state=RunState.finished, config=c) for c in order[1:3]]
        resumed = grid_search_next_runs(done, cfg, n=3)
        out.append({"config": cfg, "order": order, "done": [r.config for r in done],
                    "resumed": [jsonable(r.config) if r else None for r in resumed]})
    return out


RANDOMS = [
    {"method": "random", "parameters": {d.get("distribution", f"p{i}") + f"_{i}": d for i, d in enumerate(DISTS)}},
    {"method": "random", "parameters": {"opt": {"parameters": {"lr": {"distribution": "log_uniform_values", "min": 1e-4, "max": 1e-1},
                                                               "momentum": {"min": 0.0, "max": 0.99}}},
                                        "bs": {"values": [16, 32, 64]}, "epochs": {"value": 3}}},
]


def random_cases():
    out = []
    for cfg in RANDOMS:
        for seed in (0, 7, 123456789):
            random.seed(seed)
            draws = [jsonable(random_search_next_runs(cfg, validate=False)[0].config) for _ in range(25)]
            out.append({"config": cfg, "seed": seed, "draws": draws})
    return out


BAYES_CFG = {
    "method": "bayes",
    "metric": {"name": "loss", "goal": "minimize"},
    "parameters": {"lr": {"distribution": "log_uniform_values", "min": 1e-4, "max": 1.0},
                   "bs": {"values": [16, 32, 64, 128]},
                   "depth": {"min": 1, "max": 8},
                   "drop": {"min": 0.0, "max": 0.5},
                   "act": {"value": "relu"}},
}


def objective(lr, bs, depth, drop):
    return (math.log10(lr) + 2.2) ** 2 + 0.3 * abs(math.log2(bs) - 5) + 0.1 * (depth - 5) ** 2 + (drop - 0.2) ** 2


def history(n, seed, goal="minimize", states=None):
    rs = np.random.RandomState(seed)
    runs = []
    for i in range(n):
        lr = float(10 ** rs.uniform(-4, 0))
        bs = int(rs.choice([16, 32, 64, 128]))
        depth = int(rs.randint(1, 9))
        drop = float(rs.uniform(0, 0.5))
        loss = objective(lr, bs, depth, drop) + float(rs.normal(0, 0.05))
        metric = loss if goal == "minimize" else -loss
        state = RunState.finished
        if states and i in states:
            state = states[i]
        hist = [] if state in (RunState.failed, RunState.pending) else [{"loss": metric * 1.5}, {"loss": metric}]
        runs.append({"name": f"r{i}", "state": state.value,
                     "config": {"lr": {"value": lr}, "bs": {"value": bs}, "depth": {"value": depth},
                                "drop": {"value": drop}, "act": {"value": "relu"}},
                     "history": hist, "summary": {"loss": metric} if hist else {}})
    return runs


def bayes_cases():
    out = []
    specs = [
        ("n0", 0, "minimize", None, 1),
        ("n1", 1, "minimize", None, 2),
        ("n5", 5, "minimize", None, 3),
        ("n20", 20, "minimize", None, 4),
        ("n60_max", 60, "maximize", None, 5),
        ("n100", 100, "minimize", None, 6),
        ("n30_states", 30, "minimize", {3: RunState.failed, 7: RunState.running, 11: RunState.pending,
                                        15: RunState.crashed}, 7),
        ("n150_subsample", 150, "minimize", None, 8),
    ]
    for name, n, goal, states, seed in specs:
        cfg = json.loads(json.dumps(BAYES_CFG))
        cfg["metric"]["goal"] = goal
        runs = history(n, 1000 + seed, goal, states)
        np.random.seed(seed)
        sug = bayes_search_next_run([SweepRun(**r) for r in runs], cfg, validate=True)
        out.append({"name": name, "config": cfg, "runs": runs, "seed": seed,
                    "suggestion": jsonable(sug.config), "info": jsonable(sug.search_info)})
    return out


def hyperband_cases():
    out = []
    cfgs = [
        {"type": "hyperband", "max_iter": 27, "s": 3, "eta": 3},
        {"type": "hyperband", "min_iter": 2, "eta": 2},
        {"type": "hyperband", "min_iter": 1, "strict": False},
    ]
    rs = np.random.RandomState(3)
    runs = []
    for i in range(24):
        length = int(rs.randint(0, 30))
        base = rs.uniform(0.5, 2.0)
        hist = [{"loss": float(base / (1 + 0.1 * k) + rs.normal(0, 0.05))} for k in range(length)]
        state = "running" if i % 3 else "finished"
        runs.append({"name": f"h{i}", "state": state, "config": {}, "history": hist, "summary": {}})
    for et in cfgs:
        for goal in ("minimize", "maximize"):
            cfg = {"method": "random", "metric": {"name": "loss", "goal": goal},
                   "early_terminate": et, "parameters": {"a": {"values": [1]}}}
            stop = hyperband_stop_runs([SweepRun(**r) for r in runs], cfg, validate=True)
            out.append({"config": cfg, "runs": runs, "stop": [r.name for r in stop]})
    return out


def main():
    vectors = {
        "sweeps_version": getattr(sweeps, "__version__", "0.3.0"),
        "configs": config_cases(),
        "ppf": ppf_cases(),
        "grid": grid_cases(),
        "random": random_cases(),
        "bayes": bayes_cases(),
        "hyperband": hyperband_cases(),
    }
    with open(sys.argv[1], "w") as f:
        json.dump(vectors, f, sort_keys=True, separators=(",", ":"))


if __name__ == "__main__":
    main()
