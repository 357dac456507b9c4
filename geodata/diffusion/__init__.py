"""Diffusion on a dialect graph: simulate spread, fit its parameters, trace its source.

Three simulators step through time on any graph-like object that has ``.edges`` (a
DataFrame indexed by ``(source, target)`` site ids, both directions present) and
``.node_ids`` (a :class:`pandas.Index`), such as :class:`geodata.graph.DialectGraph`:

- :func:`simulate_gravity`: Trudgill's (1974) gravity model of innovation diffusion. The
  influence of an adopter ``i`` on a neighbour ``j`` is
  ``P_i P_j / d_ij**decay * P_i / (P_i + P_j)`` times an optional edge weight, and the
  per-step adoption probability is ``1 - exp(-rate * sum_i influence_ij)``.
- :func:`simulate_conformity`: a neighbour-conformity (voter / surface-tension) model in
  the spirit of Burridge (2017): a site adopts variant ``v`` with probability
  ``(1 - noise) * s_v**conformity / sum_u s_u**conformity + noise / K``, where ``s_v`` is the
  weighted share of its neighbours using ``v``. ``conformity = 1`` is the voter model;
  larger values sharpen the dialect borders (surface tension).
- :func:`simulate_cascade`: independent cascade (each adopter gets one try per edge) or SI
  (adopters keep trying) with per-edge adoption probabilities.

Each returns the state of every site at every step as a tidy table ``step, site, state``
and takes ``random_state``. The edge weights can be a column of ``graph.edges`` (e.g.
weights learned by the GAT), a Series indexed like ``graph.edges``, or uniform.

:func:`fit_conformity` and :func:`fit_spread` estimate parameters from observed maps
(pseudo-likelihood and simulated composite likelihood respectively) with parametric
bootstrap uncertainty; :func:`rank_sources` ranks candidate origins of an innovation;
:func:`dialect_vectors` is Kleiweg's vector map (RuG/L04 ``mapvec``), a model-free
baseline for the direction of change; :func:`net_flow` turns a GAT attention table into
net directed flows per edge and per region.

References
----------
Trudgill, P. (1974). Linguistic change and diffusion: description and explanation in
sociolinguistic dialect geography. Language in Society 3(2), 215-246.
Burridge, J. (2017). Spatial evolution of human dialects. Physical Review X 7, 031008.
Kempe, D., Kleinberg, J. & Tardos, E. (2003). Maximizing the spread of influence through a
social network. KDD.
Kleiweg, P. RuG/L04: software for dialectometrics and cartography (``mapvec``).
"""

from geodata.diffusion.fit import (
    DiffusionFit,
    EstimateAtBoundWarning,
    fit_conformity,
    fit_spread,
)
from geodata.diffusion.flows import NetFlow, dialect_vectors, net_flow
from geodata.diffusion.simulate import simulate_cascade, simulate_conformity, simulate_gravity
from geodata.diffusion.sources import rank_sources

__all__ = [
    "DiffusionFit",
    "EstimateAtBoundWarning",
    "NetFlow",
    "dialect_vectors",
    "fit_conformity",
    "fit_spread",
    "net_flow",
    "rank_sources",
    "simulate_cascade",
    "simulate_conformity",
    "simulate_gravity",
]
