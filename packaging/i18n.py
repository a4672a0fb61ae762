"""Update the zh_CN translation: lupdate over widgets/*.py, fill it from zh_CN.json, lrelease to the .qm.

Usage: ``python packaging/i18n.py`` (rewrite .ts and .qm) or ``--check`` (fail if either is out of date).
Keys of zh_CN.json are English source texts; ``"Context::text"`` overrides one context.
"""

from __future__ import annotations

import argparse
import json
import shutil
import subprocess
import sys
import tempfile
import xml.etree.ElementTree as ET
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
TRANSLATIONS = ROOT / "resources" / "translations"
TS = TRANSLATIONS / "campus_console_zh_CN.ts"
QM = TRANSLATIONS / "campus_console_zh_CN.qm"
DICTIONARY = TRANSLATIONS / "zh_CN.json"


def tool(name: str) -> str:
    """The venv's pyside6-<name> next to this interpreter, else whatever is on PATH."""
    local = Path(sys.executable).parent / f"pyside6-{name}"
    found = str(local) if local.exists() else shutil.which(f"pyside6-{name}")
    if not found:
        raise SystemExit(f"pyside6-{name} not found; install PySide6 in this environment")
    return found


def sources() -> list[str]:
    return sorted(str(p) for p in (ROOT / "widgets").glob("*.py"))


def lupdate(ts: Path) -> None:
    # No locations: line numbers would make every unrelated edit churn the .ts file.
    cmd = [tool("lupdate"), "-silent", "-no-obsolete", "-locations", "none", "-source-language", "en",
           "-target-language", "zh_CN", *sources(), "-ts", str(ts)]
    subprocess.run(cmd, check=True)


def messages(ts: Path) -> list[tuple[str, str, str | None]]:
    """(context, source, finished translation or None) for every message of a .ts file."""
    out = []
    for context in ET.parse(ts).getroot().iter("context"):
        name = context.findtext("name") or ""
        for message in context.iter("message"):
            translation = message.find("translation")
            done = translation is not None and translation.get("type") is None and bool(translation.text)
            out.append((name, message.findtext("source") or "", translation.text if done else None))
    return out


def fill(ts: Path, dictionary: dict[str, str]) -> list[str]:
    """Write the dictionary's translations into ``ts``; return the sources it has none for."""
    tree = ET.parse(ts)
    missing = []
    for context in tree.getroot().iter("context"):
        name = context.findtext("name") or ""
        for message in context.iter("message"):
            source = message.findtext("source") or ""
            text = dictionary.get(f"{name}::{source}", dictionary.get(source))
            translation = message.find("translation")
            if translation is None:
                translation = ET.SubElement(message, "translation")
            if text:
                translation.text = text
                translation.attrib.pop("type", None)
            else:
                translation.set("type", "unfinished")
                missing.append(f"{name}: {source}")
    body = ET.tostring(tree.getroot(), encoding="unicode")
    ts.write_text('<?xml version="1.0" encoding="utf-8"?>\n<!DOCTYPE TS>\n' + body + "\n", encoding="utf-8")
    return missing


def lrelease(ts: Path, qm: Path) -> None:
    subprocess.run([tool("lrelease"), "-silent", str(ts), "-qm", str(qm)], check=True)


def build(ts: Path, qm: Path) -> list[str]:
    lupdate(ts)
    missing = fill(ts, json.loads(DICTIONARY.read_text(encoding="utf-8")))
    lrelease(ts, qm)
    return missing


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="rebuild in a temporary folder and compare")
    args = parser.parse_args(argv)
    if not args.check:
        missing = build(TS, QM)
        for line in missing:
            print(f"untranslated: {line}", file=sys.stderr)  # noqa: T201 - a build script reports
        return 1 if missing else 0
    with tempfile.TemporaryDirectory() as tmp:
        ts, qm = Path(tmp) / TS.name, Path(tmp) / QM.name
        shutil.copy(TS, ts)
        missing = build(ts, qm)
        stale = missing or messages(ts) != messages(TS) or qm.read_bytes() != QM.read_bytes()
    if stale:
        print("translations are out of date: run python packaging/i18n.py", file=sys.stderr)  # noqa: T201
    return 1 if stale else 0


if __name__ == "__main__":
    sys.exit(main())
