#!/usr/bin/env bash
# Start LiveBoard with the demo data, on a fresh clone or an existing one.
# Extra arguments go to run.py, e.g. scripts/run.sh --port 8080
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

# shellcheck source=scripts/setup.sh
source scripts/setup.sh

exec .venv/bin/python run.py --demo "$@"
