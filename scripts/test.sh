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

# axe-core (npm, pinned in package-lock.json with its integrity) for tests/browser/test_accessibility.py. Installed
# again only when package-lock.json changed since the last install (a stamp named after its sha256, as setup.sh
# stamps pip installs). No npm: a failure on CI, a loud skip of the accessibility checks elsewhere.
ensure_axe() {
    local lock_sha stamp
    lock_sha="$(.venv/bin/python -c 'import hashlib; print(hashlib.sha256(open("package-lock.json", "rb").read()).hexdigest())')"
    stamp="node_modules/.installed-$lock_sha"
    if [ -e node_modules/axe-core/axe.min.js ] && [ -e "$stamp" ]; then
        return 0
    fi
    if ! command -v npm >/dev/null 2>&1; then
        if [ "${CI:-}" = "true" ]; then
            echo "error: npm is missing on CI: the accessibility tests need axe-core from package-lock.json (install Node.js with npm; Debian's npm package conflicts with NodeSource's nodejs, which carries its own)" >&2
            exit 1
        fi
        if [ -e node_modules/axe-core/axe.min.js ]; then
            echo "warning: npm not found: node_modules/axe-core may not match package-lock.json" >&2
        else
            echo "!!! npm not found: axe-core is not installed, the accessibility checks will be SKIPPED. Install npm to run them. !!!" >&2
        fi
        return 0
    fi
    echo "installing axe-core from package-lock.json (npm ci)"
    npm ci --ignore-scripts --no-audit --no-fund --loglevel=error
    rm -f node_modules/.installed-*
    touch "$stamp"
}
ensure_axe

.venv/bin/ruff check .
.venv/bin/ruff format --check .

exec .venv/bin/python -m pytest "$@"
