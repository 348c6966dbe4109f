"""Subprocesses: a child process as a transport, its exit as a readiness event.

Running a program is ``subprocess.Popen``; what the loop adds is waiting
for it without blocking. A child has up to three pipes (stdin, stdout,
stderr), and each becomes a pipe transport (``pipes.py``) whose protocol
forwards to one ``SubprocessProtocol``:

    pipe_data_received(fd, data)    bytes on stdout (fd 1) or stderr (fd 2)
    pipe_connection_lost(fd, exc)   that pipe closed
    process_exited()                the child is gone
    connection_lost(exc)            all of the above are over

How does the loop learn that a child exited? Classically by catching
SIGCHLD, or by parking a thread in ``waitpid()``. Linux offers something
that fits an event loop much better: ``os.pidfd_open(pid)`` gives a file
descriptor for the process that turns *readable* when the process exits.
So a process exit is just one more thing the selector watches, like a
socket. When it fires we reap the child with ``waitpid`` (immediate: it
has exited) and pass on its exit code. Where pidfds are not available the
watcher falls back to one waiting thread per child.

``asyncio.create_subprocess_exec`` (and miniloop's own, ``processes.py``)
are built on ``loop.subprocess_exec`` below.

Read next: ``signals.py``.
"""

from __future__ import annotations

import asyncio
import collections
import os
import signal
import subprocess
import sys
import threading
import warnings
from collections.abc import Callable
from typing import Any

from miniloop.contract.reporting import logger
from miniloop.io.pipes import PipesMixin
from miniloop.io.readiness import READ
from miniloop.io.transports import shown_as


def exit_code(status: int) -> int:
    """A wait status as a return code (negative: killed by that signal)."""
    try:
        return os.waitstatus_to_exitcode(status)
    except ValueError:
        return status  # a status we do not understand: pass it on as it is


def _pidfds_work() -> bool:
    if not hasattr(os, "pidfd_open"):
        return False
    try:
        os.close(os.pidfd_open(os.getpid(), 0))
    except OSError:
        return False  # e.g. forbidden by a seccomp policy
    return True


PIDFDS_WORK = _pidfds_work()


class ChildWatcher:
    """Tells a loop when its child processes exit.

    With pidfds, the exit is a readiness event on the loop's own selector;
    otherwise a thread per child waits in ``waitpid`` and wakes the loop.
    """

    def __init__(self, loop: Any) -> None:
        self._loop = loop
        self._pidfds: dict[int, int] = {}  # pid -> pidfd
        self._threads: dict[int, threading.Thread] = {}

    def __len__(self) -> int:
        return len(self._pidfds) + len(self._threads)

    def watch(self, process: subprocess.Popen[bytes], on_exit: Callable[[int], None]) -> None:
        """Call ``on_exit(returncode)`` on the loop once ``process`` exits."""
        pid = process.pid
        if PIDFDS_WORK:
            try:
                pidfd = os.pidfd_open(pid)
            except ProcessLookupError:
                # Reaped already (by Popen.poll, say).
                self._loop.call_soon(self._report_reaped, process, on_exit)
                return
            self._pidfds[pid] = pidfd
            self._loop._watch(pidfd, READ, self._reap, (process, pidfd, on_exit))
            return
        thread = threading.Thread(target=self._wait_in_thread, args=(pid, on_exit),
                                  name=f"miniloop-waitpid-{pid}", daemon=True)
        self._threads[pid] = thread
        thread.start()

    def _reap(self, process: subprocess.Popen[bytes], pidfd: int,
              on_exit: Callable[[int], None]) -> None:
        # The pidfd is readable: the child has exited.
        self._loop._unwatch(pidfd, READ)
        del self._pidfds[process.pid]
        os.close(pidfd)
        try:
            _, status = os.waitpid(process.pid, 0)
        except ChildProcessError:
            self._report_reaped(process, on_exit)
            return
        on_exit(exit_code(status))

    def _report_reaped(self, process: subprocess.Popen[bytes],
                       on_exit: Callable[[int], None]) -> None:
        # Someone reaped the child before us. If it was the Popen object
        # (its poll() does that), it knows the code; otherwise it is lost.
        if process.returncode is not None:
            on_exit(process.returncode)
            return
        logger.warning("child process pid %d exit status already read: "
                       " will report returncode 255", process.pid)
        on_exit(255)

    def _wait_in_thread(self, pid: int, on_exit: Callable[[int], None]) -> None:
        try:
            _, status = os.waitpid(pid, 0)
            code = exit_code(status)
        except ChildProcessError:
            logger.warning("Unknown child process pid %d, will report returncode 255", pid)
            code = 255
        loop = self._loop
        if not loop.is_closed():
            loop.call_soon_threadsafe(self._threads.pop, pid, None)
            loop.call_soon_threadsafe(on_exit, code)

    def close(self) -> None:
        """Stop watching (the loop is closing); children are not waited for."""
        for pidfd in self._pidfds.values():
            os.close(pidfd)
        self._pidfds.clear()


class _PipeProtocol(asyncio.Protocol):
    """Forwards one pipe's events to the subprocess transport, tagged with the fd."""

    def __init__(self, process: SubprocessTransport, fd: int) -> None:
        self.proc: SubprocessTransport | None = process
        self.fd = fd
        self.pipe: Any = None
        self.disconnected = False

    def __repr__(self) -> str:
        return f"<{type(self).__name__} fd={self.fd} pipe={self.pipe!r}>"

    def connection_made(self, transport: Any) -> None:
        """Remember the pipe transport."""
        self.pipe = transport

    def connection_lost(self, exc: BaseException | None) -> None:
        """The pipe closed."""
        self.disconnected = True
        assert self.proc is not None
        self.proc._pipe_connection_lost(self.fd, exc)
        self.proc = None

    def pause_writing(self) -> None:
        """stdin's buffer is full: the process protocol is paused."""
        assert self.proc is not None
        self.proc._protocol.pause_writing()

    def resume_writing(self) -> None:
        """stdin drained."""
        assert self.proc is not None
        self.proc._protocol.resume_writing()

    def data_received(self, data: bytes) -> None:
        """Output from the child."""
        assert self.proc is not None
        self.proc._pipe_data_received(self.fd, data)


@shown_as("_UnixSubprocessTransport")
class SubprocessTransport(asyncio.SubprocessTransport):
    """A running child process, its pipes, and its exit.

    asyncio contract: ``asyncio.SubprocessTransport`` is inherited as an interface.
    """

    _closed = True  # read by __del__ even if __init__ failed

    def __init__(self, loop: Any, protocol: Any, args: Any, shell: bool, stdin: Any,
                 stdout: Any, stderr: Any, bufsize: int, waiter: Any = None,
                 extra: dict[str, Any] | None = None, **kwargs: Any) -> None:
        self._extra: dict[str, Any] = {} if extra is None else dict(extra)
        self._closed = False
        self._protocol = protocol
        self._loop = loop
        self._proc: subprocess.Popen[bytes] | None = None
        self._pid: int | None = None
        self._returncode: int | None = None
        self._exit_waiters: list[Any] | None = []
        # Events that happen before the protocol is told connection_made
        # wait here, so that it always hears of the connection first.
        self._pending_calls: collections.deque[Any] | None = collections.deque()
        self._pipes: dict[int, Any] = {}
        self._finished = False
        for fd, how in ((0, stdin), (1, stdout), (2, stderr)):
            if how == subprocess.PIPE:
                self._pipes[fd] = None
        try:
            self._proc = subprocess.Popen(
                args, shell=shell, stdin=stdin, stdout=stdout, stderr=stderr,
                universal_newlines=False, bufsize=bufsize, **kwargs)
        except BaseException:
            self.close()
            raise
        self._pid = self._proc.pid
        self._extra["subprocess"] = self._proc  # asyncio.BaseTransport.get_extra_info reads it
        if loop.get_debug():
            program = args if isinstance(args, (bytes, str)) else args[0]
            logger.debug("process %r created: pid %s", program, self._pid)
        loop.create_task(self._connect_pipes(waiter))

    def __repr__(self) -> str:
        info = [type(self).__name__]
        if self._closed:
            info.append("closed")
        if self._pid is not None:
            info.append(f"pid={self._pid}")
        if self._returncode is not None:
            info.append(f"returncode={self._returncode}")
        elif self._pid is not None:
            info.append("running")
        else:
            info.append("not started")
        stdin = self._pipes.get(0)
        if stdin is not None:
            info.append(f"stdin={stdin.pipe}")
        stdout: Any = self._pipes.get(1)
        stderr: Any = self._pipes.get(2)
        if stdout is not None and stderr is stdout:
            info.append(f"stdout=stderr={stdout.pipe}")
        else:
            if stdout is not None:
                info.append(f"stdout={stdout.pipe}")
            if stderr is not None:
                info.append(f"stderr={stderr.pipe}")
        return f"<{' '.join(info)}>"

    async def _connect_pipes(self, waiter: Any) -> None:
        try:
            proc = self._proc
            loop = self._loop
            assert proc is not None
            if proc.stdin is not None:
                _, pipe = await loop.connect_write_pipe(lambda: _PipeProtocol(self, 0), proc.stdin)
                self._pipes[0] = pipe
            if proc.stdout is not None:
                _, pipe = await loop.connect_read_pipe(lambda: _PipeProtocol(self, 1), proc.stdout)
                self._pipes[1] = pipe
            if proc.stderr is not None:
                _, pipe = await loop.connect_read_pipe(lambda: _PipeProtocol(self, 2), proc.stderr)
                self._pipes[2] = pipe
            assert self._pending_calls is not None
            loop.call_soon(self._protocol.connection_made, self)
            for callback, data in self._pending_calls:
                loop.call_soon(callback, *data)
            self._pending_calls = None
        except (SystemExit, KeyboardInterrupt):
            raise
        except BaseException as exc:
            if waiter is not None and not waiter.cancelled():
                waiter.set_exception(exc)
        else:
            if waiter is not None and not waiter.cancelled():
                waiter.set_result(None)

    def set_protocol(self, protocol: Any) -> None:
        """Deliver future events to ``protocol``."""
        self._protocol = protocol

    def get_protocol(self) -> Any:
        """The SubprocessProtocol."""
        return self._protocol

    def is_closing(self) -> bool:
        """True once close() was called."""
        return self._closed

    def close(self) -> None:
        """Close the pipes and kill the child if it still runs."""
        if self._closed:
            return
        self._closed = True
        for pipe_protocol in self._pipes.values():
            if pipe_protocol is not None:
                pipe_protocol.pipe.close()
        if (self._proc is not None and self._returncode is None
                and self._proc.poll() is None):
            if self._loop.get_debug():
                logger.warning("Close running child process: kill %r", self)
            try:
                self._proc.kill()
            except (ProcessLookupError, PermissionError):
                pass  # already gone (or running setuid)

    def __del__(self, _warn: Any = warnings.warn) -> None:
        if not self._closed:
            _warn(f"unclosed transport {self!r}", ResourceWarning, source=self)
            self.close()

    def get_pid(self) -> int:
        """The child's process id."""
        return self._pid  # type: ignore[return-value]

    def get_returncode(self) -> int | None:
        """The exit code once the child has exited (negative: killed by a signal)."""
        return self._returncode

    def get_pipe_transport(self, fd: int) -> Any:
        """The transport of pipe ``fd`` (0, 1, 2), or None."""
        if fd in self._pipes:
            return self._pipes[fd].pipe
        return None

    def _check_proc(self) -> subprocess.Popen[bytes]:
        if self._proc is None:
            raise ProcessLookupError()
        return self._proc

    def send_signal(self, signal: int) -> None:
        """Send ``signal`` to the child (nothing happens if it already exited)."""
        proc = self._check_proc()
        # os.kill rather than Popen.send_signal: the latter may reap the
        # child behind the watcher's back.
        try:
            os.kill(proc.pid, signal)
        except ProcessLookupError:
            pass

    def terminate(self) -> None:
        """SIGTERM."""
        self.send_signal(signal.SIGTERM)

    def kill(self) -> None:
        """SIGKILL."""
        self.send_signal(signal.SIGKILL)

    def _call(self, callback: Callable[..., object], *data: Any) -> None:
        if self._pending_calls is not None:
            self._pending_calls.append((callback, data))
        else:
            self._loop.call_soon(callback, *data)

    def _pipe_connection_lost(self, fd: int, exc: BaseException | None) -> None:
        self._call(self._protocol.pipe_connection_lost, fd, exc)
        self._try_finish()

    def _pipe_data_received(self, fd: int, data: bytes) -> None:
        self._call(self._protocol.pipe_data_received, fd, data)

    def _process_exited(self, returncode: int) -> None:
        assert returncode is not None, returncode
        assert self._returncode is None, self._returncode
        if self._loop.get_debug():
            logger.info("%r exited with return code %r", self, returncode)
        self._returncode = returncode
        if self._proc is not None and self._proc.returncode is None:
            # We reaped the child, not Popen: tell it, or it would think
            # the child still runs (and warn about it).
            self._proc.returncode = returncode
        self._call(self._protocol.process_exited)
        self._try_finish()

    async def _wait(self) -> int:
        """Wait for the child to exit; its return code.

        asyncio contract: ``asyncio.subprocess.Process.wait`` calls this.
        """
        if self._returncode is not None:
            return self._returncode
        waiter = self._loop.create_future()
        assert self._exit_waiters is not None
        self._exit_waiters.append(waiter)
        return await waiter  # type: ignore[no-any-return]

    def _try_finish(self) -> None:
        assert not self._finished
        if self._returncode is None:
            return
        if all(pipe is not None and pipe.disconnected for pipe in self._pipes.values()):
            self._finished = True
            self._call(self._call_connection_lost, None)

    def _call_connection_lost(self, exc: BaseException | None) -> None:
        try:
            self._protocol.connection_lost(exc)
        finally:
            for waiter in self._exit_waiters or ():
                if not waiter.cancelled():
                    waiter.set_result(self._returncode)
            self._exit_waiters = None
            self._loop = None
            self._proc = None
            self._protocol = None


class SubprocessMixin(PipesMixin):
    """``subprocess_exec`` and ``subprocess_shell``, and the child watcher."""

    def __init__(self, **options: Any) -> None:
        super().__init__(**options)
        self._child_watcher = ChildWatcher(self)

    def _outside_work_pending(self) -> bool:
        # A running child may call us back at any time: a virtual clock
        # must wait for it for real instead of jumping ahead.
        return bool(len(self._child_watcher)) or bool(super()._outside_work_pending())

    def close(self) -> None:
        """Close the loop (children are left running, as asyncio does)."""
        super().close()
        self._child_watcher.close()

    async def subprocess_shell(
        self, protocol_factory: Callable[[], Any], cmd: Any, *, stdin: Any = subprocess.PIPE,
        stdout: Any = subprocess.PIPE, stderr: Any = subprocess.PIPE,
        universal_newlines: bool = False, shell: bool = True, bufsize: int = 0,
        encoding: Any = None, errors: Any = None, text: Any = None, **kwargs: Any,
    ) -> tuple[Any, Any]:
        """Run ``cmd`` in the shell: ``(transport, protocol)``."""
        if not isinstance(cmd, (bytes, str)):
            raise ValueError("cmd must be a string")
        if universal_newlines:
            raise ValueError("universal_newlines must be False")
        if not shell:
            raise ValueError("shell must be True")
        _check_binary_options(bufsize, text, encoding, errors)
        protocol = protocol_factory()
        debug_log = None
        if self._debug:
            # Not the command itself: it may hold a password.
            debug_log = f"run shell command {cmd!r}"
            _log_subprocess(debug_log, stdin, stdout, stderr)
        transport = await self._start_subprocess(protocol, cmd, True, stdin, stdout, stderr,
                                                 bufsize, **kwargs)
        if self._debug and debug_log is not None:
            logger.info("%s: %r", debug_log, transport)
        return transport, protocol

    async def subprocess_exec(
        self, protocol_factory: Callable[[], Any], program: Any, *args: Any,
        stdin: Any = subprocess.PIPE, stdout: Any = subprocess.PIPE,
        stderr: Any = subprocess.PIPE, universal_newlines: bool = False, shell: bool = False,
        bufsize: int = 0, encoding: Any = None, errors: Any = None, text: Any = None,
        **kwargs: Any,
    ) -> tuple[Any, Any]:
        """Run ``program`` with ``args``: ``(transport, protocol)``."""
        if universal_newlines:
            raise ValueError("universal_newlines must be False")
        if shell:
            raise ValueError("shell must be False")
        _check_binary_options(bufsize, text, encoding, errors)
        protocol = protocol_factory()
        debug_log = None
        if self._debug:
            debug_log = f"execute program {program!r}"
            _log_subprocess(debug_log, stdin, stdout, stderr)
        transport = await self._start_subprocess(protocol, (program, *args), False, stdin,
                                                 stdout, stderr, bufsize, **kwargs)
        if self._debug and debug_log is not None:
            logger.info("%s: %r", debug_log, transport)
        return transport, protocol

    async def _start_subprocess(self, protocol: Any, args: Any, shell: bool, stdin: Any,
                                stdout: Any, stderr: Any, bufsize: int, extra: Any = None,
                                **kwargs: Any) -> SubprocessTransport:
        waiter = self.create_future()
        transport = SubprocessTransport(self, protocol, args, shell, stdin, stdout, stderr,
                                        bufsize, waiter=waiter, extra=extra, **kwargs)
        assert transport._proc is not None
        self._child_watcher.watch(transport._proc, self._exit_reporter(transport))
        try:
            await waiter
        except (SystemExit, KeyboardInterrupt):
            raise
        except BaseException:
            transport.close()
            await transport._wait()
            raise
        return transport

    def _exit_reporter(self, transport: SubprocessTransport) -> Callable[[int], None]:
        if sys.version_info >= (3, 12):
            def report(returncode: int) -> None:
                self.call_soon(transport._process_exited, returncode)
        else:
            def report(returncode: int) -> None:
                # Python 3.11's watcher took one more turn of the loop.
                self.call_soon(self.call_soon, transport._process_exited, returncode)
        return report


def _check_binary_options(bufsize: int, text: Any, encoding: Any, errors: Any) -> None:
    if bufsize != 0:
        raise ValueError("bufsize must be 0")
    if text:
        raise ValueError("text must be False")
    if encoding is not None:
        raise ValueError("encoding must be None")
    if errors is not None:
        raise ValueError("errors must be None")


def _pipe_name(fd: Any) -> str:
    if fd == subprocess.PIPE:
        return "<pipe>"
    if fd == subprocess.STDOUT:
        return "<stdout>"
    return repr(fd)


def _log_subprocess(message: str, stdin: Any, stdout: Any, stderr: Any) -> None:
    info = [message]
    if stdin is not None:
        info.append(f"stdin={_pipe_name(stdin)}")
    if stdout is not None and stderr == subprocess.STDOUT:
        info.append(f"stdout=stderr={_pipe_name(stdout)}")
    else:
        if stdout is not None:
            info.append(f"stdout={_pipe_name(stdout)}")
        if stderr is not None:
            info.append(f"stderr={_pipe_name(stderr)}")
    logger.debug(" ".join(info))
