"""A lease renewed with too thin a margin: a slow step lets the expiry fire first.

A worker holds a lease that runs out LEASE seconds after it was last
renewed. It renews every RENEW seconds, and renewing takes a short round
trip. On an idle machine the renewal always lands 20 ms before the expiry,
so the program passes every time. If one step of the worker starts 20 ms
late (the machine was busy), the expiry timer is due first and fires: for
a moment two workers could both believe they hold the lock.

Kind of bug: a slow step lets a timer fire first.
"""

import asyncio
import sys

LEASE = 0.1
RENEW = 0.07
ROUND_TRIP = 0.01


async def main() -> int:
    loop = asyncio.get_running_loop()
    lost = []

    def expire() -> None:
        lost.append(True)

    expiry = loop.call_later(LEASE, expire)
    for _ in range(3):
        await asyncio.sleep(RENEW)
        await asyncio.sleep(ROUND_TRIP)  # the lock service confirms the renewal
        expiry.cancel()
        expiry = loop.call_later(LEASE, expire)
    expiry.cancel()
    if lost:
        print("lease expired while the worker still held it")
        return 1
    print("lease held throughout")
    return 0


if __name__ == "__main__":
    sys.exit(asyncio.run(main()))
