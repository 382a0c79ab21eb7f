"""The transforms proper: reverse mode (the forward sweep, then each statement's adjoint in
reverse order) and forward mode (each statement followed by its tangent)."""
