"""Allocation: assigning cases to judges by pluggable, recorded strategies."""
