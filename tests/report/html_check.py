"""html_check.py - two checks of tests/report/browser_test.sh, run with
Debian's python3 (its python3-html5lib package):

  html_check.py parse FILE.html
      Parses the file with html5lib in strict mode: the WHATWG HTML parsing
      algorithm, the one browsers run, raising at the first parse error.
      Prints "ok" or the error with its line and column; exit 0 or 1.

  html_check.py netlog NETLOG.json
      Reads a Chromium net log (--log-net-log) and prints every request the
      page made (a URL_REQUEST_START_JOB whose network isolation key is the
      page's file:// site) for anything but a file: URL, one a line; exit 1
      if there is one. Chromium's own background requests (their key is
      "null null") are not the page's and are not counted.
"""
import json
import sys


def parse(path):
    import html5lib

    parser = html5lib.HTMLParser(strict=True)
    try:
        with open(path, "rb") as f:
            parser.parse(f)
    except html5lib.html5parser.ParseError as e:
        line, col = parser.errors[-1][0] if parser.errors else ("?", "?")
        print(f"{path}:{line}:{col}: parse error: {e}")
        return 1
    print("ok")
    return 0


def netlog(path):
    with open(path, encoding="utf-8") as f:
        log = json.load(f)
    names = {v: k for k, v in log["constants"]["logEventTypes"].items()}
    loads = []
    for e in log["events"]:
        if names.get(e["type"]) != "URL_REQUEST_START_JOB":
            continue
        p = e.get("params") or {}
        url, key = p.get("url") or "", p.get("network_isolation_key") or ""
        if "file://" in key and not url.startswith("file:"):
            loads.append(url)
    for url in sorted(set(loads)):
        print(url)
    return 1 if loads else 0


if __name__ == "__main__":
    if len(sys.argv) != 3 or sys.argv[1] not in ("parse", "netlog"):
        print("usage: html_check.py parse FILE.html | netlog NETLOG.json", file=sys.stderr)
        sys.exit(2)
    sys.exit(parse(sys.argv[2]) if sys.argv[1] == "parse" else netlog(sys.argv[2]))
