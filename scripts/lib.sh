# Shared by scripts/run-portal and scripts/run-tests; sourced, not run.

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
VENV="$ROOT/.venv"
PY="$VENV/bin/python"

say() { printf '==> %s\n' "$*" >&2; }

# Creates .venv if missing and installs requirements/dev.txt, but only when the
# requirements files (or the Python) changed since the last successful install.
ensure_venv() {
    local python="${PYTHON:-python3}"
    if [[ ! -x "$PY" ]]; then
        "$python" -c 'import sys; sys.exit(sys.version_info < (3, 11))' \
            || { say "Python 3.11 or newer is needed; $python is $("$python" --version 2>&1)."; return 1; }
        say "Creating the virtual environment in .venv"
        # A failed attempt leaves a .venv without pip that the next run would take as made.
        "$python" -m venv "$VENV" || {
            rm -rf "$VENV"
            say "Could not create .venv: on Debian or Ubuntu, install python3-venv (apt install python3-venv) first."
            return 1
        }
    fi
    local stamp="$VENV/.requirements.sha256" wanted
    wanted="$(cat "$ROOT"/requirements/*.txt <("$PY" --version) | sha256sum | cut -d' ' -f1)"
    if [[ -f "$stamp" && "$(cat "$stamp")" == "$wanted" ]]; then
        return 0
    fi
    say "Installing requirements/dev.txt"
    "$PY" -m pip install --quiet -r "$ROOT/requirements/dev.txt"
    # sslyze without the cryptography<47 it declares (requirements/tls-scan.txt says why).
    "$PY" -m pip install --quiet --no-deps -r "$ROOT/requirements/tls-scan.txt"
    echo "$wanted" >"$stamp"
}

# Installs package.json's test tools (axe-core, for the accessibility tests) into node_modules/
# with npm ci, but only when package-lock.json changed since the last successful install.
ensure_node_modules() {
    command -v npm >/dev/null || { say "npm is missing: install Node.js for the accessibility tests."; return 0; }
    local stamp="$ROOT/node_modules/.package-lock.sha256" wanted
    wanted="$(sha256sum "$ROOT/package-lock.json" | cut -d' ' -f1)"
    if [[ -f "$stamp" && "$(cat "$stamp")" == "$wanted" ]]; then
        return 0
    fi
    say "Installing package.json's tools into node_modules/"
    (cd "$ROOT" && npm ci --no-audit --no-fund --loglevel=error)
    echo "$wanted" >"$stamp"
}

# GNU gettext's msgfmt (Debian package gettext) compiles the translation catalogs; installed as root,
# the way the browser tests get chromium. Without root, compile_catalogs uses polib instead.
ensure_gettext() {
    command -v msgfmt >/dev/null && return 0
    if [[ "$(id -u)" -eq 0 ]] && command -v apt-get >/dev/null; then
        say "Installing Debian's gettext (msgfmt) for the translation catalogs"
        export DEBIAN_FRONTEND=noninteractive
        apt-get update -qq
        apt-get install -y -qq gettext >/dev/null || say "Could not install gettext; polib compiles the catalogs instead."
    else
        say "Not installing gettext: that needs root (apt-get). polib (requirements/dev.txt) compiles the catalogs instead."
    fi
}

# Compiles locale/*/LC_MESSAGES/*.po into the .mo files Django reads (built here, never committed).
compile_catalogs() {
    if command -v msgfmt >/dev/null; then
        "$PY" "$ROOT/manage.py" compilemessages --verbosity 0 --ignore=.venv --ignore=node_modules --ignore=var
        return
    fi
    "$PY" - "$ROOT/locale" <<'PY'
import sys
from pathlib import Path

import polib

# As msgfmt does: fuzzy and untranslated entries are left out, so their English shows.
for po in sorted(Path(sys.argv[1]).glob("*/LC_MESSAGES/*.po")):
    polib.pofile(str(po)).save_as_mofile(str(po.with_suffix(".mo")))
PY
}
