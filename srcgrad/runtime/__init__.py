"""What generated code calls at run time (`helpers`), and the markers users write in their
code (`markers`: `stop_gradient`, `no_grad`)."""
