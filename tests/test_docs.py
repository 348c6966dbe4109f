"""The tour in docs/ is kept true by running it.

Three promises, each checked here for every Markdown file in docs/:

1. **Every reference to the source resolves.** A reference is written in
   backticks as ``path: dotted.name``, the path relative to ``src/`` (or to
   the repository root, for ``demos/`` and ``compat/``)::

       `miniloop/core/tasks.py: Task._step`     `demos/countasync.py: count`

   ``SYMBOL_REFERENCE`` below is the one regex that finds them. The file
   must exist, and the dotted name must be *defined* in it: each step is
   looked up in the namespace of the module or class itself (``vars()``),
   so a method a class only inherits, or a name a module only imports,
   does not count. A bare path in backticks (```miniloop/io/tls.py```)
   must exist too.

2. **Every ```python block runs.** Blocks run one by one, each in a fresh
   namespace, with their printed output captured. Conventions:

   * a ```text block that comes straight after a ```python block (nothing
     but blank lines between) is that snippet's output, and must match
     what it printed;
   * a snippet with a line ``import miniloop as aio`` is an asyncio program
     written for both backends: it runs as written, and again with that
     line saying ``import asyncio as aio``; both must print the same;
   * a snippet preceded by ``<!-- not run: reason -->`` is skipped (rarely:
     say why).

3. **Every ```console block shows what the command really prints.** Its
   first line is ``$ python -m ...`` (miniloop, miniloop.exercises or
   compat), optionally fed by ``printf '...' |`` and optionally ending in
   ``2>/dev/null``; the rest is the expected output (stdout and stderr
   together), where a line ``...`` stands for any number of lines left out.

Read next: ``docs/README.md``.
"""

from __future__ import annotations

import ast
import asyncio
import contextlib
import importlib
import io
import linecache
import os
import re
import subprocess
import sys
import types
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
DOCS = ROOT / "docs"
DOC_FILES = sorted(DOCS.glob("*.md"))
CHAPTERS = [path for path in DOC_FILES if re.match(r"\d\d-", path.name)]

# `miniloop/core/tasks.py: Task._step`: a source path, a colon, a dotted name, in backticks.
SYMBOL_REFERENCE = re.compile(
    r"`((?:miniloop|demos|compat)/[\w/]+\.py): ([A-Za-z_]\w*(?:\.[A-Za-z_]\w*)*)`")
# `miniloop/io/tls.py` or `miniloop/io/`: a path alone, in backticks.
PATH_REFERENCE = re.compile(r"`((?:miniloop|demos|compat)/[\w/]*(?:\.py)?)`")

NOT_RUN = re.compile(r"<!-- not run: .+ -->")
BOTH_BACKENDS = re.compile(r"^import miniloop as aio\b", re.MULTILINE)
ALLOWED_COMMANDS = ("python -m miniloop ", "python -m miniloop.exercises", "python -m compat ")
SLOW_SNIPPET = 3.0  # seconds: a snippet should take a fraction of this


# --- references ------------------------------------------------------------------------------


def source_file(path: str) -> Path:
    """Where a referenced path lives: under src/ for miniloop, else at the root."""
    return ROOT / "src" / path if path.startswith("miniloop") else ROOT / path


def module_name(path: str) -> str:
    """``miniloop/io/tls.py`` -> ``miniloop.io.tls`` (a package's __init__ -> the package)."""
    name = path.removesuffix(".py").replace("/", ".")
    return name.removesuffix(".__init__")


def resolve(path: str, dotted: str) -> str | None:
    """None if ``dotted`` is defined in the file at ``path``; otherwise what is wrong."""
    file = source_file(path)
    if not file.is_file():
        return f"`{path}: {dotted}`: there is no file {path}"
    try:
        module = importlib.import_module(module_name(path))
    except Exception as exc:
        return f"`{path}: {dotted}`: importing {module_name(path)} failed: {exc!r}"
    owner: object = module
    walked = module.__name__
    for part in dotted.split("."):
        namespace = vars(owner) if hasattr(owner, "__dict__") else {}
        if part not in namespace:
            return f"`{path}: {dotted}`: {walked} defines no {part!r}"
        owner = namespace[part]
        walked += "." + part
    if dotted.split(".")[0] not in names_bound_in(file):
        name = dotted.split(".")[0]
        return f"`{path}: {dotted}`: {path} only imports {name}, it does not define it"
    return None


def names_bound_in(file: Path) -> set[str]:
    """The names a module's own code binds at top level (def, class, assignment), imports aside."""
    bound: set[str] = set()

    def visit(statements: list[ast.stmt]) -> None:
        for node in statements:
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
                bound.add(node.name)
                continue  # what is bound inside belongs to it, not to the module
            if isinstance(node, (ast.Assign, ast.AnnAssign, ast.AugAssign)):
                targets = node.targets if isinstance(node, ast.Assign) else [node.target]
                for target in targets:
                    bound.update(n.id for n in ast.walk(target) if isinstance(n, ast.Name))
            for block in ("body", "orelse", "finalbody"):  # if, try, with, for...
                visit(getattr(node, block, []))
            for handler in getattr(node, "handlers", []):
                visit(handler.body)

    visit(ast.parse(file.read_text()).body)
    return bound


def path_problem(path: str) -> str | None:
    """None if a bare path reference exists."""
    return None if source_file(path).exists() else f"`{path}`: there is no such file or folder"


def reference_problems(text: str) -> list[str]:
    """Every broken reference in a piece of Markdown."""
    problems = []
    for match in SYMBOL_REFERENCE.finditer(text):
        problem = resolve(match.group(1), match.group(2))
        if problem:
            problems.append(problem)
    for match in PATH_REFERENCE.finditer(text):
        problem = path_problem(match.group(1))
        if problem:
            problems.append(problem)
    return problems


@pytest.mark.parametrize("doc", DOC_FILES, ids=lambda path: path.name)
def test_every_reference_to_the_source_resolves(doc: Path) -> None:
    assert reference_problems(doc.read_text()) == []


@pytest.mark.parametrize("reference, complaint", [
    ("`miniloop/core/tasks.py: Task._run`", "miniloop.core.tasks.Task defines no '_run'"),
    ("`miniloop/taskz.py: Task._step`", "there is no file"),
    ("`miniloop/contract/selector.py: SelectorMixin._run_once`",
     "defines no '_run_once'"),
    ("`miniloop/core/loop.py: Future`", "only imports Future, it does not define it"),
    ("`miniloop/io/nothing.py`", "no such file"),
])
def test_a_broken_reference_is_caught(reference: str, complaint: str) -> None:
    problems = reference_problems(f"Read {reference} next.")
    assert len(problems) == 1 and complaint in problems[0]


def test_a_good_reference_passes_and_both_kinds_are_found() -> None:
    text = ("`miniloop/core/loop.py: CoreLoop._run_once`, `miniloop/contract/selector.py: "
            "SelectorMixin._add_io_handle`, `demos/countasync.py: count`, "
            "`miniloop/io/`, `miniloop/core/events.py: enter_task`, "
            "`miniloop/fast/futures.py: Task._run`")
    assert reference_problems(text) == []
    assert len(SYMBOL_REFERENCE.findall(text)) == 5
    assert len(PATH_REFERENCE.findall(text)) == 1


# --- code blocks -----------------------------------------------------------------------------


@dataclass
class Block:
    """A fenced block of a Markdown file."""

    doc: str
    line: int  # where its first line of content is
    lang: str
    code: str
    skipped: bool = False  # marked <!-- not run: ... -->
    output: str | None = None  # the ```text block that follows it, if any

    @property
    def id(self) -> str:
        return f"{self.doc}:{self.line}"


def blocks_of(text: str, doc: str = "doc.md") -> list[Block]:
    """The fenced blocks of ``text``, with outputs attached to the python blocks."""
    lines = text.splitlines()
    found: list[Block] = []
    index = 0
    last_closed_python: Block | None = None  # a python block with only blank lines since
    while index < len(lines):
        opening = re.match(r"^```(\w*)", lines[index])
        if not opening:
            if lines[index].strip():
                last_closed_python = None
            index += 1
            continue
        previous = next((lines[i] for i in range(index - 1, -1, -1) if lines[i].strip()), "")
        end = index + 1
        while end < len(lines) and not lines[end].startswith("```"):
            end += 1
        block = Block(doc, index + 2, opening.group(1), "\n".join(lines[index + 1:end]) + "\n",
                      skipped=bool(NOT_RUN.search(previous)))
        if block.lang == "text" and last_closed_python is not None:
            last_closed_python.output = block.code
            last_closed_python = None
        else:
            found.append(block)
            last_closed_python = block if block.lang == "python" else None
        index = end + 1
    return found


def all_blocks(lang: str) -> list[Block]:
    return [block for doc in DOC_FILES for block in blocks_of(doc.read_text(), doc.name)
            if block.lang == lang]


def run_snippet(code: str, name: str) -> str:
    """Run ``code`` as a fresh module; return what it printed."""
    filename = f"<docs/{name}>"
    linecache.cache[filename] = (len(code), None, code.splitlines(True), filename)
    module = types.ModuleType("docs_snippet")
    module.__file__ = filename
    sys.modules["docs_snippet"] = module
    printed = io.StringIO()
    asyncio.set_event_loop_policy(None)  # each snippet starts from plain asyncio
    try:
        with contextlib.redirect_stdout(printed):
            exec(compile(code, filename, "exec"), module.__dict__)
    finally:
        del sys.modules["docs_snippet"]
        asyncio.set_event_loop_policy(None)
    return printed.getvalue()


def test_blocks_are_found_with_their_outputs_and_markers() -> None:
    text = ("```python\nprint(1)\n```\n\n```text\n1\n```\n\nwords\n\n```text\na diagram\n```\n"
            "<!-- not run: needs the network -->\n```python\nfetch()\n```\n"
            "```console\n$ python -m miniloop x\n```\n")
    blocks = blocks_of(text)
    assert [(b.lang, b.output, b.skipped) for b in blocks] == [
        ("python", "1\n", False), ("text", None, False), ("python", None, True),
        ("console", None, False)]
    assert blocks[0].line == 2


@pytest.mark.parametrize("block", all_blocks("python"), ids=lambda block: block.id)
def test_every_python_snippet_runs(block: Block) -> None:
    if block.skipped:
        pytest.skip("marked <!-- not run -->")
    printed = run_snippet(block.code, block.id)
    if BOTH_BACKENDS.search(block.code):
        on_asyncio = run_snippet(BOTH_BACKENDS.sub("import asyncio as aio", block.code),
                                 block.id + " (asyncio)")
        assert on_asyncio == printed, "the snippet prints differently on asyncio and miniloop"
    if block.output is not None:
        assert lines_of(printed) == lines_of(block.output)


def lines_of(text: str) -> list[str]:
    """The lines of ``text``, without trailing spaces (editors strip them from docs)."""
    return [line.rstrip() for line in text.splitlines()]


def test_a_snippet_that_prints_something_else_is_caught() -> None:
    block = blocks_of("```python\nprint('two')\n```\n```text\none\n```\n")[0]
    assert lines_of(run_snippet(block.code, "fake")) != lines_of(block.output or "")


# --- console blocks --------------------------------------------------------------------------


def matches_excerpt(expected: list[str], actual: list[str]) -> bool:
    """True if ``actual`` reads as ``expected``, where a line ``...`` skips any lines."""
    if not expected:
        return not actual
    if expected[0].strip() == "...":
        rest = expected[1:]
        return any(matches_excerpt(rest, actual[start:]) for start in range(len(actual) + 1))
    return bool(actual) and actual[0].rstrip() == expected[0].rstrip() and matches_excerpt(
        expected[1:], actual[1:])


def test_an_excerpt_may_leave_lines_out_but_not_change_them() -> None:
    actual = ["a", "b", "c", "d"]
    assert matches_excerpt(["a", "...", "d"], actual)
    assert matches_excerpt(["...", "c", "d"], actual)
    assert not matches_excerpt(["a", "...", "x"], actual)
    assert not matches_excerpt(["a", "c"], actual)


CONSOLE_BLOCKS = [block for block in all_blocks("console") if not block.skipped]


@pytest.fixture(scope="module")
def console_runs() -> Iterator[dict[str, subprocess.Popen[str]]]:
    """Every console block's command, all started at once (they mostly wait on imports)."""
    runs = {block.id: start_console_command(block.code.splitlines()[0])
            for block in CONSOLE_BLOCKS}
    yield runs
    for run in runs.values():
        if run.poll() is None:
            run.kill()
        run.wait()
        if run.stdout is not None:
            run.stdout.close()


@pytest.mark.parametrize("block", CONSOLE_BLOCKS, ids=lambda block: block.id)
def test_every_console_block_shows_real_output(
        block: Block, console_runs: dict[str, subprocess.Popen[str]]) -> None:
    expected = block.code.splitlines()[1:]
    actual = output_of(console_runs[block.id]).splitlines()
    assert matches_excerpt(expected, actual), "\n".join(actual)


def parse_console_command(line: str) -> tuple[str | None, list[str], bool]:
    """``$ [printf '...' |] python -m ... [2>/dev/null]`` -> (stdin, argv, quiet)."""
    match = re.fullmatch(r"\$ (?:printf '([^']*)' \| )?(python -m .+?)( 2>/dev/null)?", line)
    assert match, f"a console block starts with `$ python -m ...`, not {line!r}"
    stdin, command, quiet = match.groups()
    assert command.startswith(ALLOWED_COMMANDS), f"not a command the tests run: {command}"
    fed = None if stdin is None else stdin.replace("\\n", "\n")
    return fed, [sys.executable, *command.split()[1:]], quiet is not None


def start_console_command(line: str) -> subprocess.Popen[str]:
    """Start a console block's command; its stdout and stderr come out together."""
    stdin, argv, quiet = parse_console_command(line)
    env = dict(os.environ, PYTHONPATH=str(ROOT), PYTHONUNBUFFERED="1")
    env.pop("MINILOOP_COMPAT_BACKEND", None)
    run = subprocess.Popen(
        argv, cwd=ROOT, env=env, text=True,
        stdin=subprocess.DEVNULL if stdin is None else subprocess.PIPE,
        stdout=subprocess.PIPE, stderr=subprocess.DEVNULL if quiet else subprocess.STDOUT)
    if stdin is not None and run.stdin is not None:
        run.stdin.write(stdin)
        run.stdin.close()
    return run


def output_of(run: subprocess.Popen[str]) -> str:
    """Everything ``run`` prints, once it has ended."""
    assert run.stdout is not None
    printed = run.stdout.read()
    run.wait(timeout=60)
    return printed


def test_a_console_command_may_be_fed_and_silenced() -> None:
    stdin, argv, quiet = parse_console_command(
        "$ printf 'c\\n' | python -m miniloop --step demos.countasync 2>/dev/null")
    assert (stdin, argv[1:], quiet) == ("c\n", ["-m", "miniloop", "--step", "demos.countasync"],
                                        True)
    assert parse_console_command("$ python -m compat demos.rand")[::2] == (None, False)
    with pytest.raises(AssertionError):
        parse_console_command("$ rm -rf /")


# --- the shape of the tour -------------------------------------------------------------------


def test_there_are_ten_chapters_each_listed_in_the_index() -> None:
    assert len(CHAPTERS) == 10
    index = (DOCS / "README.md").read_text()
    for chapter in CHAPTERS:
        assert f"({chapter.name})" in index, f"docs/README.md does not link {chapter.name}"


@pytest.mark.parametrize("chapter", CHAPTERS, ids=lambda path: path.name)
def test_a_chapter_is_short_and_ends_with_reading_and_an_exercise(chapter: Path) -> None:
    text = chapter.read_text()
    number = int(chapter.name[:2])
    assert len(text.splitlines()) <= 220, "a chapter should stay short"
    reading = text.split("## Where to read next", 1)
    assert len(reading) == 2, "a chapter ends with a 'Where to read next' section"
    assert SYMBOL_REFERENCE.search(reading[1]), "'Where to read next' names source symbols"
    assert "## Exercise" in reading[1], "the exercise comes last"
    exercise = reading[1].split("## Exercise", 1)[1]
    assert f"python -m miniloop.exercises {number} --template" in exercise
    assert f"python -m miniloop.exercises {number} " in exercise


@pytest.mark.parametrize("doc", DOC_FILES, ids=lambda path: path.name)
def test_links_between_pages_resolve(doc: Path) -> None:
    for target in re.findall(r"\]\(([^)#:]+\.md)(?:#[^)]*)?\)", doc.read_text()):
        assert (doc.parent / target).is_file(), f"{doc.name} links to missing {target}"


def prose_of(text: str) -> str:
    """``text`` without its fenced blocks (where real output may show line numbers)."""
    return re.sub(r"^```.*?^```", "", text, flags=re.MULTILINE | re.DOTALL)


@pytest.mark.parametrize("doc", DOC_FILES, ids=lambda path: path.name)
def test_the_prose_never_points_at_a_line_number(doc: Path) -> None:
    found = re.findall(r"\S+\.py:\d+", prose_of(doc.read_text()))
    assert found == [], "name a symbol (`miniloop/x.py: Name`) instead of a line"


def test_a_line_number_in_prose_is_caught() -> None:
    text = "See loop.py:120 for it.\n```console\n$ x\nat demos/countasync.py:38\n```\n"
    assert re.findall(r"\S+\.py:\d+", prose_of(text)) == ["loop.py:120"]
