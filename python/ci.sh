#!/usr/bin/env bash
# Tests of the Python package `bnm` (python/). Uses the active virtual environment, or creates
# (or reuses) .venv at the repository root; installs ./python and pytest into it (never into the
# system Python) and runs pytest on python/tests. Exits with pytest's status.
#
# The tests that convert the Keras fixtures need the Swift CLI: $BNCONVERT, default
# .build/debug/bnconvert (build it with `swift build`); without it they are skipped with a
# message saying so.
set -uo pipefail
cd "$(dirname "$0")/.."
root="$(pwd)"
if [ -n "${VIRTUAL_ENV:-}" ] && [ -x "$VIRTUAL_ENV/bin/python" ]; then
    py="$VIRTUAL_ENV/bin/python"
else
    if [ ! -x .venv/bin/python ]; then
        python3 -m venv .venv || { echo "ci.sh: python3 -m venv .venv failed" >&2; exit 1; }
    fi
    py="$root/.venv/bin/python"
fi
# The package builds with the setuptools of the environment (no build isolation: nothing to
# download for the build itself); numpy and pytest come from the pip cache or PyPI.
if ! "$py" -c "import setuptools, wheel, sys; sys.exit(0 if int(setuptools.__version__.split('.')[0]) >= 61 else 1)" 2>/dev/null; then
    "$py" -m pip install --quiet --disable-pip-version-check "setuptools>=61" wheel || exit 1
fi
"$py" -m pip install --quiet --disable-pip-version-check --no-build-isolation "./python" pytest || {
    echo "ci.sh: pip install ./python pytest failed" >&2
    exit 1
}
# Run from outside python/ so the tests import the installed package, not the source folder.
cd "$root"
"$py" -m pytest -p no:cacheprovider python/tests "$@"
exit $?
