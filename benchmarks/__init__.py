"""Benchmarks: run by hand (``python -m benchmarks.<name>``), never by pytest.

Each prints its figures next to a baseline measured in the same run, so a
slower or busier machine moves both and the ratio stays meaningful.
"""
