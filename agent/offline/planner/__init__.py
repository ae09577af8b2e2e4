"""The offline planner, one module per concern; ``agent/offline/parse.py`` runs its passes."""
