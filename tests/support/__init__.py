"""Test support that is not part of any shipped package (also used by benchmarks/)."""
