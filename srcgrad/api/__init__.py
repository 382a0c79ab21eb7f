"""The public layer: the transforms users call (`grad`, `vjp`, `jvp`, `hessian`, ...), custom
rules, `check_grad`, `export`, `graph`, the command line, and the guard that dispatches a call
to the code generated for its signature. Everything here sits on `srcgrad.pipeline`."""
