"""Counter mode: the same package on a cashier's PC, working offline."""
