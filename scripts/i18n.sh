#!/usr/bin/env bash
# Refresh the translation catalogs after changing a translatable text in liveboard/**.py or templates/.
#
#   bash scripts/i18n.sh
#
# 1. extracts every message (babel.cfg says where and how) into liveboard/locale/messages.pot;
# 2. updates liveboard/locale/{da,en}/LC_MESSAGES/messages.po from it: new messages come in untranslated
#    (or fuzzy, with a guess from a similar one), messages no longer used are dropped.
# Then translate what is new or fuzzy in the .po files (and remove the "fuzzy" flag) until
# tests/test_i18n.py passes. English msgstr are simply the msgid.
#
# A re-run without text changes leaves the files as they are: locations are file names only (no line
# numbers), output is sorted, and the .pot is rewritten only when its messages changed.
# pybabel: $PYBABEL, else .venv/bin/pybabel (scripts/setup.sh makes it), else the one on PATH.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

PYBABEL="${PYBABEL:-}"
if [ -z "$PYBABEL" ]; then
    if [ -x .venv/bin/pybabel ]; then
        PYBABEL=.venv/bin/pybabel
    elif command -v pybabel >/dev/null 2>&1; then
        PYBABEL=pybabel
    else
        echo "error: pybabel not found; run 'source scripts/setup.sh' (or set PYBABEL=/path/to/pybabel)" >&2
        exit 1
    fi
fi

LOCALES="da en"
POT=liveboard/locale/messages.pot
new_pot="$(mktemp)"
trap 'rm -f "$new_pot"' EXIT

"$PYBABEL" --quiet extract \
    --mapping-file=babel.cfg \
    --output-file="$new_pot" \
    --project=LiveBoard \
    --version=1 \
    --header-comment="# Messages of LiveBoard, made by scripts/i18n.sh from babel.cfg: do not edit by hand." \
    --add-comments=Translators: \
    --add-location=file \
    --sort-output \
    --width=120 \
    .

# POT-Creation-Date changes on every run: keep the old file when nothing else did.
without_date() { grep -v '^"POT-Creation-Date: ' "$1" || true; }
if [ -f "$POT" ] && [ "$(without_date "$POT")" = "$(without_date "$new_pot")" ]; then
    echo "$POT: no changes"
else
    cp "$new_pot" "$POT"
    echo "$POT: updated"
fi

for lang in $LOCALES; do
    "$PYBABEL" --quiet update \
        --input-file="$POT" \
        --output-dir=liveboard/locale \
        --locale="$lang" \
        --init-missing \
        --ignore-obsolete \
        --ignore-pot-creation-date \
        --width=120
done

echo "Now translate the new and fuzzy messages in liveboard/locale/*/LC_MESSAGES/messages.po," \
    "then run: .venv/bin/python -m pytest tests/test_i18n.py"
