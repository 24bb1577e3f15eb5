"""Parties: one profile per person across every court of the state (MyKad lookup)."""
