#!/usr/bin/env bash
# Lint and test LiveBoard. Extra arguments go to pytest, e.g. scripts/test.sh -k assets
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

# shellcheck source=scripts/setup.sh
source scripts/setup.sh

# Debian packages the tests need (space-separated), e.g. chromium postgresql redis-server.
APT_PACKAGES="chromium postgresql redis-server nginx-light openssl"

# Installed automatically only on CI or when we are root with apt-get: never touch a
# developer's machine behind their back.
ensure_apt_packages() {
    local pkg status sudo="" missing=()
    [ -n "${APT_PACKAGES//[[:space:]]/}" ] || return 0
    command -v apt-get >/dev/null 2>&1 || return 0
    if [ "${CI:-}" != "true" ] && [ "$(id -u)" != "0" ]; then
        return 0
    fi
    for pkg in $APT_PACKAGES; do
        status="$(dpkg -s "$pkg" 2>/dev/null || true)"
        if [[ "$status" != *"Status: install ok installed"* ]]; then
            missing+=("$pkg")
        fi
    done
    [ "${#missing[@]}" -gt 0 ] || return 0
    if [ "$(id -u)" != "0" ]; then
        if ! command -v sudo >/dev/null 2>&1; then
            echo "error: missing Debian packages ${missing[*]}, and not root and no sudo to install them" >&2
            exit 1
        fi
        sudo="sudo"
    fi
    echo "installing Debian packages: ${missing[*]}"
    $sudo apt-get update -qq
    $sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}"
}
ensure_apt_packages

# The browser tests' tools from npm, pinned in package-lock.json with their integrity: axe-core for
# tests/browser/test_accessibility.py, @guidepup/virtual-screen-reader for tests/browser/test_screen_reader.py.
# Installed again only when package-lock.json changed since the last install (a stamp named after its sha256, as
# setup.sh stamps pip installs) or a tool's file is missing. No npm: a failure on CI, a loud skip of those checks
# elsewhere.
NPM_TOOLS="node_modules/axe-core/axe.min.js node_modules/@guidepup/virtual-screen-reader/lib/esm/index.browser.js"
ensure_npm_tools() {
    local lock_sha stamp tool installed=1
    lock_sha="$(.venv/bin/python -c 'import hashlib; print(hashlib.sha256(open("package-lock.json", "rb").read()).hexdigest())')"
    stamp="node_modules/.installed-$lock_sha"
    for tool in $NPM_TOOLS; do
        [ -e "$tool" ] || installed=0
    done
    if [ "$installed" = 1 ] && [ -e "$stamp" ]; then
        return 0
    fi
    if ! command -v npm >/dev/null 2>&1; then
        if [ "${CI:-}" = "true" ]; then
            echo "error: npm is missing on CI: the accessibility tests need axe-core and the virtual screen reader from package-lock.json (install Node.js with npm; Debian's npm package conflicts with NodeSource's nodejs, which carries its own)" >&2
            exit 1
        fi
        if [ "$installed" = 1 ]; then
            echo "warning: npm not found: node_modules may not match package-lock.json" >&2
        else
            echo "!!! npm not found: axe-core or the virtual screen reader is not installed, the accessibility checks will be SKIPPED. Install npm to run them. !!!" >&2
        fi
        return 0
    fi
    echo "installing the browser tests' npm tools from package-lock.json (npm ci)"
    npm ci --ignore-scripts --no-audit --no-fund --loglevel=error
    rm -f node_modules/.installed-*
    touch "$stamp"
}
ensure_npm_tools

.venv/bin/ruff check .
.venv/bin/ruff format --check .

exec .venv/bin/python -m pytest "$@"
