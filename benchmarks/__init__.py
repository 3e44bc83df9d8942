"""Scratch vs library timings for every pair (``make bench`` → ``outputs/bench.md``)."""
