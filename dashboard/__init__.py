"""The stance dashboard: a Dash app over a warehouse file (see dashboard.app)."""
