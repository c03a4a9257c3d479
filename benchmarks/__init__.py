"""Benchmarks: conversations_async against bare aiohttp and the official twilio SDK.

Run them with ``nox -s bench`` or ``python -m benchmarks``; see docs/benchmarks.md.
"""
