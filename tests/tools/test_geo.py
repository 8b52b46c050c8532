"""Tests of the distance helpers."""

import numpy as np
import pytest

from tools.geo import euclidean_matrix, haversine_matrix, haversine_miles


def test_london_to_paris_is_about_213_miles():
    assert haversine_miles(51.5074, -0.1278, 48.8566, 2.3522) == pytest.approx(213.5, abs=1.0)


def test_haversine_matrix_is_symmetric_with_zero_diagonal():
    points = np.array([[32.7767, -96.7970], [29.7604, -95.3698], [33.7490, -84.3880]])
    miles = haversine_matrix(points)
    assert np.allclose(miles, miles.T) and np.all(np.diag(miles) == 0)
    assert miles[0, 1] == pytest.approx(haversine_miles(*points[0], *points[1]))


def test_euclidean_matrix_scales_before_the_square_root():
    distances = euclidean_matrix(np.array([[0.0, 0.0], [3.0, 4.0]]), scale=10)
    assert distances[0, 1] == 50.0 and distances[1, 0] == 50.0
