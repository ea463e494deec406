"""The pages: one Flask blueprint per area, HTTP only (parse the request, call one service, render)."""
