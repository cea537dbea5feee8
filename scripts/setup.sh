# Common set-up for run.sh and test.sh; sourced, not executed.
# Expects to be sourced from the repository root with `set -euo pipefail` in effect.
#
# Why: one command on a fresh clone must give a working environment, and repeated
# runs must be fast and offline-friendly, so the slow steps (pip, downloads) only
# happen when something changed.

# Python interpreter used to create the venv; override with PYTHON=python3.12 if the
# default python3 is too old.
LIVEBOARD_PYTHON="${PYTHON:-python3}"
VENV=".venv"

if ! command -v "$LIVEBOARD_PYTHON" >/dev/null 2>&1; then
    echo "error: $LIVEBOARD_PYTHON not found; LiveBoard needs Python >= 3.11 (set PYTHON=/path/to/python3.11+)" >&2
    exit 1
fi

if [ ! -x "$VENV/bin/python" ]; then
    if ! "$LIVEBOARD_PYTHON" -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else 1)'; then
        echo "error: LiveBoard needs Python >= 3.11, but $LIVEBOARD_PYTHON is $("$LIVEBOARD_PYTHON" -c 'import platform; print(platform.python_version())' 2>/dev/null || echo 'of unknown version')" >&2
        echo "       install a newer Python, or set PYTHON=/path/to/python3.11+" >&2
        exit 1
    fi
    echo "creating $VENV with $LIVEBOARD_PYTHON"
    "$LIVEBOARD_PYTHON" -m venv "$VENV"
fi

# Reinstall only when pyproject.toml changed since the last successful install.
pyproject_sha="$("$VENV/bin/python" -c 'import hashlib; print(hashlib.sha256(open("pyproject.toml", "rb").read()).hexdigest())')"
stamp="$VENV/.installed-$pyproject_sha"
if [ ! -e "$stamp" ]; then
    echo "installing LiveBoard and its dependencies into $VENV"
    "$VENV/bin/python" -m pip install --quiet --disable-pip-version-check --upgrade pip
    "$VENV/bin/python" -m pip install --quiet --disable-pip-version-check -e '.[test,postgres,redis]'
    rm -f "$VENV"/.installed-*
    touch "$stamp"
fi
unset pyproject_sha stamp

# Front-end files (htmx): fetched only when missing or outdated.
"$VENV/bin/python" -c 'from liveboard.assets import ensure_assets; ensure_assets()'
