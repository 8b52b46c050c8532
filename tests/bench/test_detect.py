"""The detector-pass benchmark: growth over scale per number of workers, its report lines, and the skip without a
twin."""

from bench import detect
from bench.detect import ScaleRun, WorkersRun


def _run(scale: int, *seconds: float) -> ScaleRun:
    """A scale's pass with 1, 2, ... workers taking these seconds."""
    workers = [WorkersRun(workers=n, seconds=s, runs=[s]) for n, s in enumerate(seconds, start=1)]
    return ScaleRun(scale=scale, trucks=40 * scale, in_transit=12 * scale, parts=7, exceptions=13, workers=workers)


def test_growth_is_the_worst_ratio_to_linear_per_number_of_workers():
    runs = [_run(1, 2.0, 1.0), _run(2, 4.4, 1.6), _run(8, 12.0, 9.6)]
    assert detect.growth(runs) == {1: 1.1, 2: 1.2}
    lines = detect.describe(detect.DetectBench(scales=runs, growth=detect.growth(runs), speedup={}))
    assert (
        lines[0] == "scale 1 (40 trucks, 12 in transit, 7 parts): 1 worker(s) 2.00 s, 2 worker(s) 1.00 s; 13 exceptions"
    )
    assert lines[-1] == "growth over scale with 2 worker(s): 1.20 (1 = linear)"


def test_without_a_twin_the_benchmark_skips(tmp_path, skip_reason):
    reason = skip_reason(detect.app, ["--json", "--scales", "2"], YM_DATA_DIR=str(tmp_path), YM_DATABASE_URL=None)
    assert "run `yardmaster seed`" in reason
