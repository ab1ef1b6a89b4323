"""The life cycles: their states, allowed moves and the one function that moves each (records:
lines, numbers, SIMs; files: subscription files)."""
