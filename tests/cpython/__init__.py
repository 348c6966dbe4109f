"""CPython's own asyncio tests, run on miniloop's loop (see run_cpython_asyncio.py)."""
