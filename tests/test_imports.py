"""``import miniloop`` imports what every run needs, and the rest when it is first used.

Each check runs in a fresh interpreter, where nothing was imported yet.
No timing is asserted here: ``python -m bench.importtime`` measures.
"""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import miniloop

TIMEOUT = 60

# The loop's own layers and the objects it makes: imported when the first
# loop is made (or named).
LOOP_LAYERS = [
    "miniloop.assembly", "miniloop.contract.loop", "miniloop.contract.objects",
    "miniloop.contract.reprs", "miniloop.contract.stacks", "miniloop.fast.loop",
    "miniloop.toolkit.threads", "miniloop.io.loop", "miniloop.io.readiness",
    "miniloop.io.sockets", "miniloop.io.transports", "miniloop.io.tls", "miniloop.io.servers",
    "miniloop.io.connections", "miniloop.io.sendfile", "miniloop.io.unix",
    "miniloop.io.datagrams", "miniloop.io.pipes", "miniloop.io.subprocesses",
    "miniloop.io.signals",
]
# Imported only when something asks for them.
NOT_AT_IMPORT = [
    *LOOP_LAYERS,
    "miniloop.tools.trace", "miniloop.tools.html", "miniloop.tools.lanes",
    "miniloop.tools.timeline", "miniloop.tools.deadlock", "miniloop.tools.describe",
    "miniloop.tools.stepper", "miniloop.tools.session", "miniloop.io.streams",
    "miniloop.io.processes", "miniloop.toolkit.queues", "miniloop.toolkit.sync",
    "miniloop.toolkit.timeouts", "miniloop.toolkit.waiting", "miniloop.toolkit.taskgroups",
]


def fresh(source: str, *args: str, cwd: Path | None = None) -> str:
    """Run ``source`` in a new interpreter; its stdout."""
    env = dict(os.environ)
    env.pop("MINILOOP_COMPAT_BACKEND", None)
    done = subprocess.run([sys.executable, *args, "-c", textwrap.dedent(source)],
                          cwd=cwd, env=env, capture_output=True, text=True, timeout=TIMEOUT)
    assert done.returncode == 0, done.stderr
    return done.stdout


def test_import_miniloop_leaves_the_rarely_used_parts_unimported() -> None:
    loaded = set(json.loads(fresh("""\
        import json, sys
        import miniloop
        print(json.dumps(sorted(sys.modules)))
    """)))
    assert sorted(loaded & set(NOT_AT_IMPORT)) == []


def test_the_first_run_assembles_the_loop_and_runs_on_it() -> None:
    out = fresh("""\
        import sys
        import miniloop

        async def main():
            return type(miniloop.get_running_loop())

        print("assembled before:", "miniloop.assembly" in sys.modules)
        loop_class = miniloop.run(main())
        print("runs on a miniloop.Loop:", issubclass(loop_class, miniloop.Loop))
        print("new_event_loop too:", isinstance(miniloop.new_event_loop(), miniloop.Loop))
    """)
    assert out.splitlines() == [
        "assembled before: False", "runs on a miniloop.Loop: True", "new_event_loop too: True",
    ]


def test_naming_the_loop_assembles_it_complete() -> None:
    out = fresh("""\
        import asyncio, inspect, sys
        import miniloop
        from miniloop.io import IOMixin

        interface = [name for name, _ in inspect.getmembers(asyncio.AbstractEventLoop)
                     if not name.startswith("_")]
        # Every method of the interface is miniloop's own, none asyncio's stub.
        print([name for name in interface
               if getattr(miniloop.Loop, name) is getattr(asyncio.AbstractEventLoop, name)])
        print(issubclass(miniloop.Loop, IOMixin), issubclass(miniloop.FastLoop, miniloop.Loop))
    """)
    assert out.splitlines() == ["[]", "True True"]


def test_import_miniloop_imports_nothing_from_outside_that_asyncio_does_not() -> None:
    # miniloop imports asyncio (its exceptions, interfaces and running-loop
    # hooks), which imports ssl, subprocess, concurrent.futures, logging...
    # itself. Beyond that, miniloop adds only its own modules.
    added = json.loads(fresh("""\
        import json, sys
        import asyncio
        before = set(sys.modules)
        import miniloop
        print(json.dumps(sorted(set(sys.modules) - before)))
    """))
    assert added and [name for name in added if name.split(".")[0] != "miniloop"] == []


def test_every_public_name_resolves_in_a_fresh_process() -> None:
    missing = json.loads(fresh("""\
        import json
        import miniloop
        missing = [name for name in miniloop.__all__ if not hasattr(miniloop, name)]
        namespace = {}
        exec("from miniloop import *", namespace)
        missing += [name for name in miniloop.__all__ if name not in namespace]
        missing += [name for name in miniloop.__all__ if name not in dir(miniloop)]
        print(json.dumps(missing))
    """))
    assert missing == []


def test_a_name_imported_on_first_use_is_the_defining_module_s_object() -> None:
    from miniloop import assembly
    from miniloop.contract import objects
    from miniloop.io import processes, servers, streams
    from miniloop.toolkit import queues, sync, threads, waiting
    from miniloop.tools import deadlock

    assert miniloop.subprocess is processes
    assert miniloop.create_subprocess_exec is processes.create_subprocess_exec
    assert miniloop.StreamReader is streams.StreamReader
    assert miniloop.Queue is queues.Queue
    assert miniloop.Lock is sync.Lock
    assert miniloop.FIRST_COMPLETED == waiting.FIRST_COMPLETED
    assert miniloop.DeadlockError is deadlock.DeadlockError
    assert miniloop.Loop is assembly.Loop and miniloop.Server is servers.Server
    assert miniloop.Future is objects.Future and miniloop.Task is objects.Task
    assert miniloop.Protocol is asyncio.Protocol and miniloop.to_thread is threads.to_thread


def test_an_unknown_name_is_an_attribute_error() -> None:
    try:
        miniloop.no_such_name  # type: ignore[attr-defined]  # noqa: B018
    except AttributeError as exc:
        assert "no_such_name" in str(exc)
    else:
        raise AssertionError("miniloop.no_such_name resolved")


def test_the_deadlock_report_is_on_without_importing_it_first() -> None:
    out = fresh("""\
        import sys
        import miniloop
        print("imported before:", "miniloop.tools.deadlock" in sys.modules)

        async def main():
            await miniloop.get_running_loop().create_future()  # nobody will set it

        try:
            miniloop.run(main())
        except Exception as exc:
            print("raised:", type(exc).__name__)
        print("imported after:", "miniloop.tools.deadlock" in sys.modules)
    """)
    lines = out.splitlines()
    assert lines[0] == "imported before: False"
    assert "raised: DeadlockError" in lines
    assert lines[-1] == "imported after: True"


def test_the_loop_has_its_io_methods_at_import() -> None:
    out = fresh("""\
        import miniloop
        names = ["create_connection", "create_server", "start_tls", "subprocess_exec",
                 "connect_read_pipe", "create_datagram_endpoint", "add_signal_handler",
                 "sock_recv", "sendfile", "create_unix_server", "run_in_executor"]
        print(all(callable(getattr(miniloop.Loop, name)) for name in names))
    """)
    assert out.strip() == "True"


def test_the_command_line_imports_the_tracer_only_to_trace(tmp_path: Path) -> None:
    program = tmp_path / "prog.py"
    program.write_text(textwrap.dedent("""\
        import sys
        tools = ["miniloop.tools.trace", "miniloop.tools.html", "miniloop.tools.describe",
                 "miniloop.tools.session", "miniloop.tools.stepper"]
        print(sorted(name for name in tools if name in sys.modules))
    """))
    env = dict(os.environ)
    env.pop("MINILOOP_COMPAT_BACKEND", None)
    done = subprocess.run([sys.executable, "-m", "miniloop", str(program)], cwd=tmp_path,
                          env=env, capture_output=True, text=True, timeout=TIMEOUT)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "[]"


def test_the_step_option_names_the_stepper_s_quit_status() -> None:
    from miniloop.__main__ import OPTIONS, STEP_QUIT_STATUS
    from miniloop.tools.stepper import QUIT_STATUS

    assert STEP_QUIT_STATUS == QUIT_STATUS
    [step] = [option for option in OPTIONS if option.flags == ("--step",)]
    assert f"exit status {QUIT_STATUS})" in step.help
