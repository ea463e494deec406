"""The pages people use, one module (blueprint) per area; each parses a request, calls services, renders."""
