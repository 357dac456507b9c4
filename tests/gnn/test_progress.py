"""The time left printed by the long runs."""

from gnn.progress import time_left


def test_time_left_is_the_mean_pace_times_the_steps_left():
    assert time_left(100.0, 2, 10) == "7 min"  # 50 s a step, 8 steps: 400 s
    assert time_left(10.0, 1, 9) == "80 s"
    assert time_left(0.0, 0, 4) == "0 s"
