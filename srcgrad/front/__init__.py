"""The front end: reading a function's source into a stamped `gast` tree, the syntax fence, the
context a transformation carries, fresh names, node construction (all of it, in `nodes`), and
the way back out: `emit` (text) and `loading` (a function)."""
