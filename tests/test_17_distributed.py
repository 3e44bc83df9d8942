"""Stage 17: the ring all-reduce by hand, data-parallel SGD, torch.distributed on 2 processes."""

import pickle
import socket

import numpy as np
import pytest
import torch
import torch.distributed as dist
from torch.utils.data import DistributedSampler, TensorDataset

import journey

ring = journey.load_stage("17", "from_scratch/ring_allreduce_numpy.py")
simulation = journey.load_stage("17", "from_scratch/data_parallel_numpy.py")
launch = journey.load_stage("17", "library_impl/_launch.py")
ddp = journey.load_stage("17", "library_impl/data_parallel_torch.py")
scaling = journey.load_stage("17", "library_impl/scaling_torch.py")

CASES = [(n, size) for n in (1, 2, 3, 4, 5, 8) for size in (0, 1, 3, 7, 8, 64, 1001)]


def worker_arrays(n_workers, size, seed=0):
    rng = np.random.default_rng(seed)
    return [rng.standard_normal(size) for _ in range(n_workers)]


# ---------------------------------------------------------------------- the collectives


@pytest.mark.exercise("17.1", "17.2")
@pytest.mark.parametrize("allreduce", list(ring.ALGORITHMS.values()), ids=list(ring.ALGORITHMS))
def test_every_allreduce_gives_every_worker_the_sum(allreduce):
    for n_workers, size in CASES:
        arrays = worker_arrays(n_workers, size)
        results, _ = allreduce(arrays)
        expected = np.sum(arrays, axis=0)
        assert len(results) == n_workers
        for result in results:
            np.testing.assert_allclose(result, expected, rtol=1e-12, atol=1e-14)


@pytest.mark.exercise("17.1", "17.2")
def test_ring_keeps_shape_and_leaves_the_inputs_alone():
    arrays = [np.arange(12.0).reshape(3, 4) * (w + 1) for w in range(3)]
    before = [a.copy() for a in arrays]
    results, _ = ring.ring_allreduce(arrays)
    assert all(r.shape == (3, 4) for r in results)
    np.testing.assert_array_equal(results[1], np.arange(12.0).reshape(3, 4) * 6)
    for a, b in zip(arrays, before, strict=True):
        np.testing.assert_array_equal(a, b)


@pytest.mark.exercise("17.1", "17.2")
def test_ring_bytes_match_the_formula():
    for n_workers, size in CASES:
        _, sent = ring.ring_allreduce(worker_arrays(n_workers, size))
        nbytes = 8 * size
        assert sent.sum() == 2 * (n_workers - 1) * nbytes
        formula = ring.ring_bytes_formula(n_workers, nbytes)
        assert np.abs(sent - formula).max() <= 2 * 8  # chunks differ by at most one element
        if size % n_workers == 0:
            assert np.all(sent == formula)


def test_naive_and_tree_load_the_root():
    arrays = worker_arrays(8, 96)  # S = 768 bytes per worker
    _, naive = ring.naive_allreduce(arrays)
    _, tree = ring.tree_allreduce(arrays)
    _, ring_sent = ring.ring_allreduce(arrays)
    assert naive[0] == 7 * 768 and np.all(naive[1:] == 768)
    assert tree[0] == 3 * 768  # the root sends down one edge per level: log2(8) levels
    assert np.all(ring_sent == 2 * 7 * 768 // 8)  # 2(N-1)/N · S, the same for everyone


@pytest.mark.exercise("17.1", "17.2")
def test_ring_trace_is_a_ring_and_every_chunk_ends_complete():
    n = 5
    trace = []
    ring.ring_allreduce(worker_arrays(n, 13), trace)
    assert len(trace) == 2 * (n - 1) * n
    for phase in ("reduce-scatter", "all-gather"):
        for step in range(n - 1):
            moves = [m for m in trace if m["phase"] == phase and m["step"] == step]
            assert sorted(m["sender"] for m in moves) == list(range(n))
            assert all(m["receiver"] == (m["sender"] + 1) % n for m in moves)
            assert sorted(m["chunk"] for m in moves) == list(range(n))
    figures = journey.load_stage("17", "from_scratch/_ring_figures.py")
    states = figures.contributions_after_each_step(trace, n)
    assert len(states) == 2 * (n - 1) + 1
    assert np.all(states[n - 1][np.arange(n), (np.arange(n) + 1) % n] == n)  # after reduce-scatter
    assert np.all(states[-1] == n)


def test_collectives_refuse_mismatched_or_non_finite_buffers():
    with pytest.raises(ValueError, match="same shape"):
        ring.ring_allreduce([np.zeros(3), np.zeros(4)])
    with pytest.raises(ValueError, match="NaN"):
        ring.tree_allreduce([np.zeros(3), np.array([0.0, np.nan, 0.0])])
    with pytest.raises(ValueError, match="one array per worker"):
        ring.naive_allreduce([])


def test_cost_model():
    s, alpha, beta = 1e8, 5e-6, 1e10
    bandwidth_term = ring.cost_model_seconds("ring", 256, s, 0.0, beta)
    assert bandwidth_term == pytest.approx(2 * s / beta, rel=0.01)  # → 2S/β whatever N
    ring_16 = ring.cost_model_seconds("ring", 16, s, alpha, beta)
    assert ring.cost_model_seconds("naive", 16, s, alpha, beta) > 7 * ring_16
    assert ring.cost_model_seconds("tree", 64, 8, alpha, beta) < ring.cost_model_seconds(
        "ring", 64, 8, alpha, beta
    )  # tiny messages: latency dominates, fewer rounds win
    with pytest.raises(ValueError, match="algorithm"):
        ring.cost_model_seconds("star", 4, s, alpha, beta)


# ---------------------------------------------------------------------- data-parallel SGD


@pytest.fixture(scope="module")
def digits_problem():
    state, X, y, settings = ddp.problem(seed=0, quick=True, batch_size=32, steps=4, hidden=16)
    return state, X, y, settings


@pytest.mark.exercise("17.3")
def test_data_parallel_sgd_equals_one_worker_on_the_global_batch(digits_problem):
    state, X, y, _ = digits_problem
    batches = simulation.global_batches(len(X), 24, 6, np.random.default_rng(1))
    reference = simulation.flatten(simulation.single_worker_sgd(state, X, y, batches, 0.1))
    for n_workers in (1, 2, 3, 4, 6):
        replicas, _ = simulation.data_parallel_sgd(state, X, y, batches, n_workers, 0.1)
        for replica in replicas:
            got = simulation.flatten(replica)
            assert np.max(np.abs(got - reference)) <= 1e-12 * np.max(np.abs(reference))
        assert not np.allclose(simulation.flatten(state), reference)  # training moved θ


def test_flatten_round_trip(digits_problem):
    state = digits_problem[0]
    back = simulation.unflatten(simulation.flatten(state), state)
    assert list(back) == list(state)
    for name in state:
        np.testing.assert_array_equal(back[name], state[name])


def test_a_batch_that_does_not_split_is_refused():
    with pytest.raises(ValueError, match="multiple of 4"):
        simulation.shard(np.arange(30), 4)
    with pytest.raises(ValueError, match="multiple of 3"):
        launch.check_divides(64, 3)
    with pytest.raises(ValueError, match="1 to 10 samples"):
        ddp.global_batches(10, 16, 3, seed=0)
    with pytest.raises(ValueError, match="1 to 10 samples"):
        simulation.global_batches(10, 16, 3, np.random.default_rng(0))


def test_distributed_sampler_shards_are_the_global_batches():
    n, batch, steps, seed = 103, 8, 30, 5
    expected = ddp.global_batches(n, batch, steps, seed)
    dataset = TensorDataset(torch.arange(n))
    for world in (2, 4):
        per_rank = []
        for rank in range(world):
            sampler = DistributedSampler(dataset, world, rank, seed=seed, drop_last=True)
            indices = []
            for epoch in range(3):
                sampler.set_epoch(epoch)
                usable = len(sampler) - len(sampler) % (batch // world)
                indices += list(sampler)[:usable]
            per_rank.append(np.array(indices))
        for k, global_batch in enumerate(expected):
            for rank in range(world):
                shard = per_rank[rank][k * batch // world : (k + 1) * batch // world]
                np.testing.assert_array_equal(shard, global_batch[rank::world])


# ---------------------------------------------------------------------- torch.distributed


@pytest.fixture(scope="module")
def two_process_run(digits_problem):
    state, X, y, settings = digits_problem
    worker = launch.StageFunction("17", "library_impl/data_parallel_torch.py", "ddp_worker")
    return launch.spawn(worker, 2, state, X, y, settings)


def test_two_processes_match_the_references(two_process_run, digits_problem):
    records = ddp.compare(two_process_run, *digits_problem)
    assert len(records) == 5
    failed = [r.line() for r in records if not r.passed]
    assert not failed, "\n".join(failed)
    for record in records:
        assert record.rel_error < (1e-5 if "float32" in record.name else 1e-10), record.line()


def test_ddp_really_trained(two_process_run, digits_problem):
    start = simulation.flatten(digits_problem[0])
    trained = simulation.flatten(two_process_run["ddp_float64"])
    assert two_process_run["world"] == 2
    assert np.max(np.abs(trained - start)) > 1e-3


def test_stage_function_survives_pickling():
    target = launch.StageFunction("17", "library_impl/data_parallel_torch.py", "ddp_worker")
    assert pickle.loads(pickle.dumps(target)) is ddp.ddp_worker


def test_a_busy_port_is_refused_with_advice():
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as busy:
        busy.bind((launch.LOCALHOST, 0))
        busy.listen()
        port = busy.getsockname()[1]
        with pytest.raises(RuntimeError, match="already in use.*--master-port 0"):
            launch.check_port_free(port)
        with pytest.raises(RuntimeError, match="already in use"):
            launch.spawn(scaling.time_rank, 2, {}, port=port)
    launch.check_port_free(launch.free_port())


def test_a_missing_backend_is_refused_with_advice(monkeypatch):
    with pytest.raises(RuntimeError, match="'no-such-backend' backend is not available.*gloo"):
        launch.check_backend("no-such-backend")
    monkeypatch.setattr(dist, "is_backend_available", lambda name: False)
    with pytest.raises(RuntimeError, match="'gloo' backend is not available"):
        launch.spawn(scaling.time_rank, 2, {})


def test_the_script_refuses_a_world_size_that_does_not_divide_the_batch():
    with pytest.raises(ValueError, match="does not split evenly over 3 workers"):
        ddp.main(["--nproc", "3", "--batch-size", "64"])


def test_scaling_figure_and_table(capsys):
    rows = [
        dict(world=1, n_params=100, compute=0.02, all_reduce=1e-5, step=0.021, replica_gap=0.0),
        dict(world=2, n_params=100, compute=0.011, all_reduce=1e-3, step=0.013, replica_gap=0.0),
    ]
    fig = scaling.plot_scaling(rows)
    assert len(fig.axes[0].patches) == 4
    scaling.print_table(rows)
    assert "1.62" in capsys.readouterr().out  # speed-up 0.021 / 0.013


def test_the_scaling_script_refuses_torchrun(monkeypatch, capsys):
    monkeypatch.setattr(scaling.launch, "launched_by_torchrun", lambda: True)
    with pytest.raises(SystemExit):
        scaling.main([])
    assert "run it without torchrun" in capsys.readouterr().err
