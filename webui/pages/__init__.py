"""The pages: one blueprint per area, HTTP only (parse the request, call a service, render)."""
