"""contextvars: each task gets a copy; callbacks take context=."""
import asyncio
import contextvars

request = contextvars.ContextVar("request", default="none")


async def handler(name: str) -> None:
    request.set(name)
    await asyncio.sleep(0.01)
    print("handler", name, "still sees", request.get())


async def main() -> None:
    request.set("main")
    await asyncio.gather(handler("a"), handler("b"))
    print("main sees", request.get())
    loop = asyncio.get_running_loop()
    ctx = contextvars.copy_context()
    ctx.run(request.set, "custom")
    done = loop.create_future()
    loop.call_soon(lambda: print("callback sees", request.get()), context=ctx)
    loop.call_soon(lambda: print("default callback sees", request.get()))
    loop.call_later(0.01, done.set_result, None)
    await done
    task = asyncio.create_task(asyncio.sleep(0), context=ctx)
    await task
    same = task.get_context() is ctx if hasattr(task, "get_context") else True
    print("task context is ctx:", same)


asyncio.run(main())
