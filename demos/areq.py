"""An HTTP crawler: real network and file IO, all pages at once.

For every URL in a list, fetch the page with ``aiohttp``, find the links
in it, and append ``source<TAB>link`` lines to an output file with
``aiofiles``. Every URL is fetched concurrently: while one request waits
for its server, the loop runs the others, so the whole crawl takes about
as long as the slowest page, not the sum of all of them. A page that
fails (an HTTP error, a host that refuses, a URL that is not one) is
logged and skipped; it never stops the others.

With no arguments the crawler first starts a small web site of its own
(an ``aiohttp.web`` application on 127.0.0.1, on a port the system picks)
and crawls that, so it works on a machine without internet. The site has
a few linked pages, one broken link (a 404) and one slow page; the list
also holds a URL nobody answers and one that is not a URL at all.

    python -m demos.areq                     # crawl the built-in site, on asyncio
    python -m miniloop demos.areq            # the same on miniloop
    python -m compat demos.areq              # both, side by side
    python -m demos.areq --urls urls.txt     # your own list, one URL a line
    python -m demos.areq -o links.tsv        # where the links go

Standard output says what was found, page by page (in the order of the
list, whatever order the pages arrived in); progress and errors are
logged to standard error as they happen. Paths on the built-in site are
printed without its host and port, which change from run to run.
"""

from __future__ import annotations

import argparse
import logging
import re
import sys
import time
import urllib.parse
from dataclasses import dataclass, field
from pathlib import Path

import aiofiles
import aiohttp
from aiohttp import web

from compat import gather, run, sleep

log = logging.getLogger("areq")

HREF = re.compile(r'href="(.*?)"')
SLOW_PAGE_DELAY = 0.3  # seconds the built-in site's slow page takes

# The built-in site: path -> the links on that page. /missing is not a page.
SITE: dict[str, list[str]] = {
    "/": ["/about", "/articles", "/slow", "/missing", "https://example.org/elsewhere"],
    "/about": ["/", "/team"],
    "/team": ["/about", "mailto:team@example.org"],
    "/articles": ["/articles/1", "/articles/2", "/"],
    "/articles/1": ["/articles/2", "https://docs.python.org/3/library/asyncio.html"],
    "/articles/2": ["/articles/1"],
    "/slow": ["/"],
}
# What the built-in crawl fetches: every page, the broken link, a port
# nobody listens on, and something that is not a URL at all.
BUILT_IN_LIST = [*SITE, "/missing"]
UNREACHABLE = "http://127.0.0.1:1/"
NOT_A_URL = "htp://not a url"


@dataclass
class Outcome:
    """What happened to one URL of the list."""

    url: str
    links: list[str] = field(default_factory=list)
    error: str | None = None


# --- the crawler --------------------------------------------------------------------------


async def fetch_html(session: aiohttp.ClientSession, url: str) -> str:
    """GET ``url``; its text. Raises on HTTP errors (4xx, 5xx)."""
    async with session.get(url) as response:
        response.raise_for_status()
        log.info("Got response [%s] for URL: %s", response.status, url)
        return await response.text()


def find_links(html: str, base: str) -> list[str]:
    """Every href in ``html``, made absolute against ``base``, in page order."""
    return [urllib.parse.urljoin(base, link) for link in HREF.findall(html)]


def describe_error(exc: BaseException) -> str:
    """A short, run-independent reason (no ports, no addresses)."""
    if isinstance(exc, aiohttp.ClientResponseError):
        return f"HTTP {exc.status}"
    # Older aiohttp versions have no NonHttpUrlClientError: InvalidURL stands in.
    not_a_url = (aiohttp.InvalidURL, getattr(aiohttp, "NonHttpUrlClientError", aiohttp.InvalidURL),
                 ValueError)
    if isinstance(exc, not_a_url):
        return "not a URL"
    if isinstance(exc, aiohttp.ClientConnectorError):
        return "cannot connect"
    if isinstance(exc, aiohttp.ClientError | TimeoutError):
        return type(exc).__name__
    return repr(exc)


async def crawl_one(session: aiohttp.ClientSession, url: str, output: Path) -> Outcome:
    """Fetch one page, find its links, append them to ``output``. Never raises."""
    outcome = Outcome(url)
    try:
        html = await fetch_html(session, url)
    except (aiohttp.ClientError, ValueError, TimeoutError) as exc:
        outcome.error = describe_error(exc)
        log.error("Skipping %s: %s", url, exc)
        return outcome
    outcome.links = find_links(html, url)
    log.info("Found %d links for %s", len(outcome.links), url)
    if outcome.links:
        async with aiofiles.open(output, "a") as file:
            for link in outcome.links:
                await file.write(f"{url}\t{link}\n")
        log.info("Wrote results for source URL: %s", url)
    return outcome


async def crawl(urls: list[str], output: Path) -> list[Outcome]:
    """Crawl every URL concurrently; the outcomes in the order of ``urls``."""
    timeout = aiohttp.ClientTimeout(total=10)
    async with aiohttp.ClientSession(timeout=timeout) as session:
        return list(await gather(*(crawl_one(session, url, output) for url in urls)))


# --- the built-in site ----------------------------------------------------------------------


def page(path: str) -> str:
    """The HTML of one page of the built-in site."""
    items = "".join(f'<li><a href="{link}">{link}</a></li>' for link in SITE[path])
    return f"<html><head><title>{path}</title></head><body><ul>{items}</ul></body></html>"


def site_app() -> web.Application:
    """The built-in site as an aiohttp.web application."""

    async def serve(request: web.Request) -> web.Response:
        path = request.path
        if path not in SITE:
            raise web.HTTPNotFound()
        if path == "/slow":
            await sleep(SLOW_PAGE_DELAY)
        return web.Response(text=page(path), content_type="text/html")

    app = web.Application()
    app.router.add_get("/{tail:.*}", serve)
    return app


async def start_site() -> tuple[web.AppRunner, str]:
    """Serve the built-in site on 127.0.0.1; the runner and the site's base URL."""
    runner = web.AppRunner(site_app(), access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = runner.addresses[0][1]
    return runner, f"http://127.0.0.1:{port}"


# --- the program ---------------------------------------------------------------------------------


def shorten(url: str, base: str | None) -> str:
    """Paths on the built-in site without host and port (they change every run)."""
    if base and url.startswith(base):
        return url[len(base):] or "/"
    return url


def report(outcomes: list[Outcome], base: str | None, output: Path, took: float) -> None:
    """Print what was found, URL by URL, then the totals."""
    width = max(len(shorten(outcome.url, base)) for outcome in outcomes)
    for outcome in outcomes:
        name = shorten(outcome.url, base).ljust(width)
        if outcome.error is not None:
            print(f"{name}  skipped: {outcome.error}")
            continue
        links = ", ".join(shorten(link, base) for link in outcome.links) or "(none)"
        count = f"{len(outcome.links)} link{'' if len(outcome.links) == 1 else 's'}"
        print(f"{name}  {count}: {links}")
    pages = sum(outcome.error is None for outcome in outcomes)
    found = sum(len(outcome.links) for outcome in outcomes)
    print(f"Wrote {found} links from {pages} of {len(outcomes)} URLs to {output}")
    print(f"The crawl took {took:.2f} seconds: about the slowest page, not the sum.")


async def main(urls_file: Path | None, output: Path) -> None:
    """Crawl the list from ``urls_file``, or the built-in site."""
    runner = None
    base = None
    if urls_file is None:
        runner, base = await start_site()
        urls = [base + path for path in BUILT_IN_LIST] + [UNREACHABLE, NOT_A_URL]
        print(f"Crawling {len(urls)} URLs of a built-in site on 127.0.0.1 "
              f"(its pages, a broken link, a slow page, two bad URLs)")
    else:
        lines = urls_file.read_text(encoding="utf-8").splitlines()
        urls = [line.strip() for line in lines if line.strip() and not line.startswith("#")]
        print(f"Crawling {len(urls)} URLs from {urls_file}")
    try:
        output.write_text("", encoding="utf-8")  # a fresh file for this crawl
        started = time.perf_counter()
        outcomes = await crawl(urls, output)
        report(outcomes, base, output, time.perf_counter() - started)
    finally:
        if runner is not None:
            await runner.cleanup()


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    """The command line."""
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--urls", type=Path, metavar="FILE",
                        help="crawl the URLs in FILE (one a line) instead of the built-in site")
    parser.add_argument("-o", "--output", type=Path, default=Path("foundurls.txt"),
                        metavar="FILE", help="where the found links go (default: %(default)s)")
    return parser.parse_args(argv)


if __name__ == "__main__":
    options = parse_args()
    logging.basicConfig(format="%(asctime)s %(levelname)s %(name)s: %(message)s",
                        level=logging.INFO, stream=sys.stderr)
    logging.getLogger("aiohttp").setLevel(logging.WARNING)
    run(main(options.urls, options.output))
