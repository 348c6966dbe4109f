"""Two withdrawals, each checking the balance, then asking a remote service, then writing.

The first withdrawal reads the balance, asks a fraud-check service over
TCP, and writes the new balance when the answer comes. The second starts
50 ms later. The answer normally takes well under a millisecond, so the
second withdrawal sees the first one's result and is refused. If the
answer is 50 ms late (a slow network), both read the same balance and
both are paid out: a lost update.

Kind of bug: IO latency (a reply later than usual).
"""

import asyncio
import sys


async def fraud_check(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    await reader.readline()
    writer.write(b"ok\n")
    await writer.drain()
    writer.close()


async def main() -> int:
    server = await asyncio.start_server(fraud_check, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    account = {"balance": 100}
    paid = []

    async def withdraw(amount: int, after: float) -> None:
        await asyncio.sleep(after)
        balance = account["balance"]
        if balance < amount:
            print(f"withdrawal of {amount} refused")
            return
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        writer.write(b"check\n")
        await reader.readline()
        writer.close()
        await writer.wait_closed()
        account["balance"] = balance - amount
        paid.append(amount)

    await asyncio.gather(withdraw(70, 0.0), withdraw(50, 0.05))
    server.close()
    await server.wait_closed()
    print(f"paid out {sum(paid)} from an account of 100")
    return 1 if sum(paid) > 100 else 0


if __name__ == "__main__":
    sys.exit(asyncio.run(main()))
