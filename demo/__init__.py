"""The demo world: fake county portals served on loopback and synthetic reports.

Used by ``nianbao demo``, the tests and the benchmarks. Product code (``crawler``, ``monitor``)
never imports it; only the CLI's ``demo`` command loads it, lazily.
"""
