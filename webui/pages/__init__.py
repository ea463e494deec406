"""The pages for people, one blueprint module per area: parse the request, call one service, render."""
