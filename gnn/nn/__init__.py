"""Network building blocks: the edge-prior attention layers, the location encoder and the
single- and multi-relation networks (torch and PyTorch Geometric)."""

from gnn.nn.encoding import LocationEncoder
from gnn.nn.layers import EdgePrior, EdgePriorGATConv, EdgePriorGATv2Conv
from gnn.nn.models import DialectNet
from gnn.nn.relational import RelationalNet

__all__ = ["DialectNet", "EdgePrior", "EdgePriorGATConv", "EdgePriorGATv2Conv",
           "LocationEncoder", "RelationalNet"]
