#!/usr/bin/env bash
# Sets up what Switchboard needs on this machine, idempotently:
#   scripts/setup.sh app    Debian: libportaudio2; Python venv with requirements.txt
#   scripts/setup.sh test   the same, plus chromium (browser tests) and tmux
# Without root it does not install Debian packages; it says which are missing.
set -euo pipefail
cd "$(dirname "$0")/.."

want=(libportaudio2)
[ "${1:-app}" = "test" ] && want+=(chromium tmux)

missing=()
for pkg in "${want[@]}"; do
  dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || missing+=("$pkg")
done
if [ ${#missing[@]} -gt 0 ]; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
    echo "setup: installing Debian packages: ${missing[*]}"
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
  else
    echo "setup: missing Debian packages: ${missing[*]}" >&2
    echo "setup: install them with: sudo apt-get install -y ${missing[*]}" >&2
    echo "setup: (without libportaudio2 the assistant runs text-only; without chromium the browser tests skip)" >&2
  fi
fi

PY=${PYTHON:-python3}
if [ ! -x .venv/bin/python ]; then
  echo "setup: creating .venv"
  "$PY" -m venv .venv
fi
stamp=.venv/.requirements.sha256
sum=$(sha256sum requirements.txt | cut -d' ' -f1)
if [ ! -f "$stamp" ] || [ "$(cat "$stamp")" != "$sum" ]; then
  echo "setup: installing Python packages (requirements.txt)"
  .venv/bin/python -m pip install -q --upgrade pip
  .venv/bin/python -m pip install -q -r requirements.txt
  echo "$sum" > "$stamp"
fi
