"""The o200k_base tokenizer, offline if need be, for measuring prompt budgets.

`tiktoken.get_encoding("o200k_base")` downloads its rank file from
openaipublic.blob.core.windows.net on first use. Where that host is unreachable (CI sandboxes
that only reach PyPI and npm), the same ranks are read from the npm package `js-tiktoken`,
whose `dist/ranks/o200k_base.js` is

    export default {"pat_str": "...", "special_tokens": {...}, "bpe_ranks": "..."}

with `bpe_ranks` a newline-separated list of lines `<ignored> <offset> <b64> <b64> ...`, the
tokens on a line taking ranks offset, offset + 1, ... in order.

The JS file is looked for at `$RECEPTIONIST_O200K_JS`, then at
`.cache/js-tiktoken/package/dist/ranks/o200k_base.js` under the repository root; failing both,
`npm pack js-tiktoken` fetches the package into `.cache/js-tiktoken` and it is unpacked there.

    python -m bench.o200k "some text"      # prints the token count
"""

from __future__ import annotations

import base64
import json
import os
import shutil
import subprocess
import sys
import tarfile
from functools import lru_cache
from pathlib import Path

import tiktoken

REPO_ROOT = Path(__file__).resolve().parent.parent
CACHE_DIR = REPO_ROOT / ".cache" / "js-tiktoken"
RANKS_RELATIVE = Path("package") / "dist" / "ranks" / "o200k_base.js"
ENV_VAR = "RECEPTIONIST_O200K_JS"
NPM_TIMEOUT_SECONDS = 120

# A known count and known ids, so a corrupt or different rank file cannot pass unnoticed.
_CHECK_TEXT = "hello world"
_CHECK_TOKENS = [24912, 2375]


@lru_cache(maxsize=1)
def get_encoding() -> tiktoken.Encoding:
    """o200k_base: tiktoken's own if it can load it, else built from js-tiktoken's ranks."""
    try:
        return tiktoken.get_encoding("o200k_base")
    except Exception:  # noqa: BLE001 - any download/cache failure means "build it locally"
        pass
    encoding = encoding_from_js(_find_or_fetch_js())
    _verify(encoding)
    return encoding


def count_tokens(text: str) -> int:
    """Tokens in `text` under o200k_base (special-token text counted as plain text)."""
    return len(get_encoding().encode(text, disallowed_special=()))


def encoding_from_js(path: Path) -> tiktoken.Encoding:
    """Build the o200k_base Encoding from js-tiktoken's `o200k_base.js` at `path`."""
    source = path.read_text(encoding="utf-8").strip()
    prefix = "export default"
    if not source.startswith(prefix):
        raise ValueError(f"{path}: not a js-tiktoken rank module")
    body = source[len(prefix) :].strip().rstrip(";")
    data = json.loads(body)
    ranks: dict[bytes, int] = {}
    for line in data["bpe_ranks"].split("\n"):
        if not line:
            continue
        fields = line.split(" ")
        offset = int(fields[1])
        for i, token in enumerate(fields[2:]):
            ranks[base64.b64decode(token)] = offset + i
    return tiktoken.Encoding(
        name="o200k_base",
        pat_str=data["pat_str"],
        mergeable_ranks=ranks,
        special_tokens={str(k): int(v) for k, v in data["special_tokens"].items()},
    )


def _verify(encoding: tiktoken.Encoding) -> None:
    tokens = encoding.encode(_CHECK_TEXT)
    if tokens != _CHECK_TOKENS:
        raise RuntimeError(
            f"o200k_base built from js-tiktoken encodes {_CHECK_TEXT!r} as {tokens}, "
            f"expected {_CHECK_TOKENS}"
        )


def _find_or_fetch_js() -> Path:
    configured = os.environ.get(ENV_VAR)
    if configured:
        path = Path(configured)
        if not path.is_file():
            raise FileNotFoundError(f"${ENV_VAR} points at {path}, which is not a file")
        return path
    cached = CACHE_DIR / RANKS_RELATIVE
    if cached.is_file():
        return cached
    return _npm_fetch()


def _npm_fetch() -> Path:
    npm = shutil.which("npm")
    if npm is None:
        raise RuntimeError(
            "o200k_base: tiktoken cannot download its ranks and npm is not installed; "
            f"set ${ENV_VAR} to js-tiktoken's dist/ranks/o200k_base.js"
        )
    CACHE_DIR.mkdir(parents=True, exist_ok=True)
    result = subprocess.run(
        [npm, "pack", "js-tiktoken", "--silent"],
        cwd=CACHE_DIR,
        capture_output=True,
        text=True,
        timeout=NPM_TIMEOUT_SECONDS,
        check=True,
    )
    tarball = CACHE_DIR / result.stdout.strip().splitlines()[-1]
    wanted = f"package/{RANKS_RELATIVE.relative_to('package').as_posix()}"
    with tarfile.open(tarball) as archive:
        member = archive.getmember(wanted)
        archive.extract(member, CACHE_DIR, filter="data")
    tarball.unlink()
    return CACHE_DIR / RANKS_RELATIVE


if __name__ == "__main__":
    text = " ".join(sys.argv[1:]) if len(sys.argv) > 1 else sys.stdin.read()
    print(count_tokens(text))
