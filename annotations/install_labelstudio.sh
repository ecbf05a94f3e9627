#!/usr/bin/env bash
# Install Label Studio into its own virtualenv (.venv-ls/): it pins Django, pyarrow and more that clash
# with the project's .venv. The annotation tests start it as a subprocess (annotations/server.py).
# Idempotent: does nothing when the pinned version is already there.
set -euo pipefail
cd "$(dirname "$0")/.."
VENV="${GOVREPORT_LS_VENV:-.venv-ls}"
VERSION="${LABEL_STUDIO_VERSION:-1.23.2}"
PYTHON="${PYTHON:-python3.11}"
if [ -x "$VENV/bin/label-studio" ] \
  && [ "$("$VENV/bin/python" -c 'import importlib.metadata as m; print(m.version("label-studio"))')" = "$VERSION" ]; then
  echo "label-studio $VERSION already in $VENV"
  exit 0
fi
"$PYTHON" -m venv "$VENV"
"$VENV/bin/pip" install --quiet --upgrade pip
"$VENV/bin/pip" install --quiet "label-studio==$VERSION"
echo "label-studio $VERSION installed in $VENV"
