"""Page blueprints, one module per area: HTTP only (parse the request, call a service, render)."""
