"""The demos: small programs that each teach one idea of async IO.

Every demo is written once and runs on either backend: it imports its
async primitives from ``compat`` (``from compat import run, sleep, gather``),
which hands it asyncio's or miniloop's own, depending on who runs it:

    python -m demos.countasync            asyncio
    python demos/countasync.py            asyncio
    python -m miniloop demos.countasync   miniloop
    python -m compat demos.countasync     both, side by side, with a verdict

Each demo's docstring starts with a one-line summary (``python -m miniloop
--help`` lists them) and each accepts ``--help``. Demos that sleep accept
``--speed FACTOR`` to run faster; demos that draw random numbers accept
``--seed``, and have a fixed default so that their transcript is reproducible.
"""
