"""The pages, one blueprint per area: HTTP only (parse the request, call one service, render)."""
