"""gnn: graph attention networks with an interpretable edge-weighting scheme."""
