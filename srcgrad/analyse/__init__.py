"""Analyses of the normalized function: what is active, what shapes values have, which arrays
change in place, what the reverse sweep must find on the tape, and the scans of the program
that both modes start from."""
