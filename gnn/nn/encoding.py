"""Location encodings of longitude/latitude that respect the sphere.

Raw latitude/longitude does not wrap around the globe (179.9 and -179.9 are neighbours),
and its scale is not a distance. These encodings map coordinates in degrees to features a
network can use directly.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import torch
from torch import Tensor

from geodata.validation import DialectGraphError

__all__ = ["LocationEncoder", "sinusoidal_encoding", "unit_vectors"]


def _check_pos(pos: Tensor) -> Tensor:
    if pos.dim() != 2 or pos.size(1) != 2:
        raise DialectGraphError(
            f"`pos` must be an [n, 2] tensor of (longitude, latitude) in degrees; "
            f"got shape {tuple(pos.shape)}."
        )
    lat = pos[:, 1]
    if bool(((lat < -90) | (lat > 90)).any()):
        bad = int(((lat < -90) | (lat > 90)).sum())
        raise DialectGraphError(
            f"`pos` must hold (longitude, latitude) in degrees; {bad} rows have latitude "
            f"outside [-90, 90] (first: {float(lat[(lat < -90) | (lat > 90)][0]):.3f}). "
            "Did you swap the columns?"
        )
    return pos


def unit_vectors(pos: Tensor) -> Tensor:
    """Longitude/latitude in degrees to 3-D unit vectors on the sphere.

    Parameters
    ----------
    pos : Tensor
        ``[n, 2]`` tensor of (longitude, latitude) in degrees.

    Returns
    -------
    Tensor
        ``[n, 3]`` tensor ``(cos lat cos lon, cos lat sin lon, sin lat)``; the chord
        between two rows is ``2 sin(angle / 2)``, so it is monotone in great-circle distance.

    Examples
    --------
    >>> v = unit_vectors(torch.tensor([[180.0, 0.0], [-180.0, 0.0]]))
    >>> torch.allclose(v[0], v[1], atol=1e-6)
    True
    """
    pos = _check_pos(pos)
    lon = torch.deg2rad(pos[:, 0].double())
    lat = torch.deg2rad(pos[:, 1].double())
    out = torch.stack(
        [torch.cos(lat) * torch.cos(lon), torch.cos(lat) * torch.sin(lon), torch.sin(lat)], dim=1
    )
    return out.to(pos.dtype if pos.is_floating_point() else torch.float32)


def sinusoidal_encoding(pos: Tensor, *, scales_km: Sequence[float] = (50.0, 200.0, 1000.0, 5000.0)) -> Tensor:
    """Multi-scale sinusoids of the 3-D unit vector (a sphere-aware Space2Vec).

    Each coordinate of the unit vector (which wraps around the globe) is multiplied by
    ``R / s`` for every wavelength ``s`` in ``scales_km`` (``R`` = 6371 km) and passed
    through ``sin`` and ``cos``; the unit vector itself is included.

    Parameters
    ----------
    pos : Tensor
        ``[n, 2]`` (longitude, latitude) in degrees.
    scales_km : sequence of float, keyword-only
        Wavelengths in km, from the local to the continental scale.

    Returns
    -------
    Tensor
        ``[n, 3 + 6 * len(scales_km)]``.

    Examples
    --------
    >>> sinusoidal_encoding(torch.zeros(4, 2), scales_km=[100.0]).shape
    torch.Size([4, 9])
    """
    if not len(scales_km) or any(float(s) <= 0 for s in scales_km):
        raise DialectGraphError(
            f"`scales_km` must be a non-empty list of positive wavelengths in km; got {list(scales_km)}."
        )
    u = unit_vectors(pos)
    parts = [u]
    for s in scales_km:
        f = 2 * math.pi * 6371.0 / float(s)
        parts += [torch.sin(f * u), torch.cos(f * u)]
    return torch.cat(parts, dim=1)


class LocationEncoder(torch.nn.Module):
    """A fixed (parameter-free) location encoding, as a module.

    Parameters
    ----------
    kind : {"unit", "sinusoid", "none"}, keyword-only
        ``"unit"``: 3-D unit vectors; ``"sinusoid"``: :func:`sinusoidal_encoding`;
        ``"none"``: no encoding (zero columns).
    scales_km : sequence of float, keyword-only
        Wavelengths for ``"sinusoid"``.

    Examples
    --------
    >>> LocationEncoder(kind="unit")(torch.zeros(2, 2)).shape
    torch.Size([2, 3])
    """

    KINDS = ("unit", "sinusoid", "none")

    def __init__(self, *, kind: str = "sinusoid", scales_km: Sequence[float] = (50.0, 200.0, 1000.0, 5000.0)):
        super().__init__()
        if kind not in self.KINDS:
            raise DialectGraphError(
                f"`location_encoding` must be one of {self.KINDS}; got {kind!r}."
            )
        self.kind = kind
        self.scales_km = tuple(float(s) for s in scales_km)
        # (pos, its version, encoding): a network sees one pos tensor every epoch, and
        # sin/cos of it cost 3 % of a fit; the encoding has no parameters to go stale
        self._last: tuple[Tensor, int, Tensor] | None = None

    @property
    def out_channels(self) -> int:
        return {"unit": 3, "sinusoid": 3 + 6 * len(self.scales_km), "none": 0}[self.kind]

    def forward(self, pos: Tensor) -> Tensor:
        last = self._last
        if (last is not None and last[0] is pos and not pos.is_inference()
                and last[1] == pos._version):
            return last[2]
        if self.kind == "unit":
            out = unit_vectors(pos)
        elif self.kind == "sinusoid":
            out = sinusoidal_encoding(pos, scales_km=self.scales_km)
        else:
            out = pos.new_zeros((pos.size(0), 0))
        if not (pos.requires_grad or out.requires_grad or pos.is_inference()
                or torch.is_inference_mode_enabled()):  # a version counter, no graph lost
            self._last = (pos, pos._version, out)
        return out
