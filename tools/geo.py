"""Distances between points: great-circle miles for latitude/longitude, straight lines for planar x/y."""

import numpy as np

EARTH_RADIUS_MILES = 3958.7613


def haversine_miles(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    """Great-circle distance in miles between two latitude/longitude points (degrees)."""
    return float(haversine_matrix(np.array([[lat1, lon1], [lat2, lon2]]))[0, 1])


def haversine_matrix(latlon: np.ndarray) -> np.ndarray:
    """All pairwise great-circle distances in miles for an (n, 2) array of latitude/longitude degrees."""
    lat, lon = np.radians(latlon[:, 0])[:, None], np.radians(latlon[:, 1])[:, None]
    half = np.sin((lat - lat.T) / 2) ** 2 + np.cos(lat) * np.cos(lat.T) * np.sin((lon - lon.T) / 2) ** 2
    return 2 * EARTH_RADIUS_MILES * np.arcsin(np.sqrt(np.clip(half, 0.0, 1.0)))


def euclidean_matrix(xy: np.ndarray, scale: float = 1.0) -> np.ndarray:
    """All pairwise straight-line distances for an (n, 2) array of planar points, computed on `scale * xy`."""
    scaled = xy * scale
    return np.sqrt(((scaled[:, None, :] - scaled[None, :, :]) ** 2).sum(axis=2))
