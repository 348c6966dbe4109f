"""asyncio.Runner runs several coroutines on one loop; new_event_loop works."""
import asyncio


async def step(n: int) -> int:
    await asyncio.sleep(0.001)
    return n


with asyncio.Runner() as runner:
    print(runner.run(step(1)), runner.run(step(2)))
    print(type(runner.get_loop()).__name__ in {"_UnixSelectorEventLoop", "Loop", "FastLoop"})

loop = asyncio.new_event_loop()
try:
    print(loop.run_until_complete(step(3)))
    print("running:", loop.is_running(), "closed:", loop.is_closed())
finally:
    loop.close()
print("closed:", loop.is_closed())
try:
    asyncio.run(step)  # type: ignore[arg-type]
except ValueError as exc:
    print("ValueError:", exc.__class__.__name__)
