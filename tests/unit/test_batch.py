"""atlas.batch: tasks on a Dask LocalCluster, failures listed, retries, an unreachable scheduler (issue 18)."""

from __future__ import annotations

import socket

import pytest

from atlas import batch, cli
from atlas.errors import AtlasError

ATTEMPTS: dict = {}


def scaled(x, factor):
    if x == 3:
        raise ValueError(f"no value for area {x}")
    return x * factor


def flaky(key):
    ATTEMPTS[key] = ATTEMPTS.get(key, 0) + 1
    if ATTEMPTS[key] == 1:
        raise OSError("first try fails")
    return ATTEMPTS[key]


def test_a_batch_with_one_failing_task_finishes_the_others_and_names_the_failure(capsys):
    tasks = {f"E0600000{i}": (i,) for i in range(5)}
    result = batch.run_batch(scaled, tasks, shared={"factor": 10}, workers=2, processes=False, retries=0,
                             label="districts")
    assert result.results == {"E06000000": 0, "E06000001": 10, "E06000002": 20, "E06000004": 40}
    assert result.failed == {"E06000003": "ValueError: no value for area 3"}
    assert result.workers == 2
    assert "failed: E06000003: ValueError: no value for area 3" in result.summary()
    progress = capsys.readouterr().err
    assert "5/5 districts, 1 failed" in progress and "Compute Failed" not in progress


def test_a_failed_task_is_tried_again():
    ATTEMPTS.clear()
    result = batch.run_batch(flaky, {"a": ("a",), "b": ("b",)}, workers=1, processes=False, retries=1,
                             progress=False)
    assert result.failed == {} and result.results == {"a": 2, "b": 2}
    ATTEMPTS.clear()
    again = batch.run_batch(flaky, {"a": ("a",)}, workers=1, processes=False, retries=0, progress=False)
    assert again.failed == {"a": "OSError: first try fails"}


def test_an_empty_batch_starts_no_cluster():
    assert batch.run_batch(scaled, {}).results == {}


def test_workers_below_one_are_refused():
    with pytest.raises(AtlasError, match="--workers must be 1 or more"):
        batch.run_batch(scaled, {"a": (1,)}, workers=0, processes=False)


def _closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_an_unreachable_scheduler_is_one_clear_error():
    address = f"tcp://127.0.0.1:{_closed_port()}"
    with pytest.raises(AtlasError) as error:
        batch.run_batch(scaled, {"a": (1,)}, scheduler=address, connect_timeout=1)
    assert f"Cannot reach the Dask scheduler at {address} within 1 s" in str(error.value)


def test_a_scheduler_that_speaks_something_else_is_one_clear_error():
    """A port that answers with bytes that are not Dask's."""
    import threading

    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(1)

    def answer():
        conn, _ = server.accept()
        conn.sendall(b"HTTP/1.1 400 Bad Request\r\n\r\n" * 4)
        conn.close()

    threading.Thread(target=answer, daemon=True).start()
    address = f"tcp://127.0.0.1:{server.getsockname()[1]}"
    try:
        with pytest.raises(AtlasError, match="Cannot reach the Dask scheduler at"):
            batch.check_scheduler(address, timeout=2)
    finally:
        server.close()


def test_the_cli_says_so_with_exit_status_2(tmp_path, capsys):
    address = f"tcp://127.0.0.1:{_closed_port()}"
    status = cli.main(["stats", "--all-districts", "--out", str(tmp_path / "x.csv"), "--scheduler", address,
                       "--source", str(tmp_path)])
    err = capsys.readouterr().err
    assert status == 2 and "Traceback" not in err
    assert err.count("\n") == 1 and f"Cannot reach the Dask scheduler at {address}" in err
    assert not (tmp_path / "x.csv").exists()


def test_an_existing_cluster_is_used_through_its_scheduler_address():
    from distributed import LocalCluster

    with LocalCluster(n_workers=1, threads_per_worker=2, processes=False, protocol="tcp",
                      dashboard_address=None) as cluster:
        result = batch.run_batch(scaled, {"a": (1,), "b": (2,), "c": (3,)}, shared={"factor": 5},
                                 scheduler=cluster.scheduler_address, retries=0, progress=False)
        assert result.scheduler == cluster.scheduler_address and result.workers == 1
        assert result.results == {"a": 5, "b": 10} and list(result.failed) == ["c"]
        assert len(cluster.scheduler.workers) == 1  # the cluster is left running for its owner
