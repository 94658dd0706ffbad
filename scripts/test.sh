#!/usr/bin/env bash
# The test command (README "Test"): installs what the tests need, checks types, lint and format,
# then runs every suite. Under CI (the CI variable set) a missing tool or service fails the run.
set -euo pipefail
cd "$(dirname "$0")/.."

only=""
if [ "${1:-}" = "--only" ]; then only="${2:-}"; fi

if [ -z "$only" ]; then
  bash scripts/setup-test-env.sh
  echo "== typecheck"; npm run --silent typecheck
  echo "== lint"; npx eslint .
  echo "== format"; npx prettier --check . >/dev/null || { npx prettier --check .; exit 1; }
fi
# The browser tests and the server's web routes use the built app.
echo "== build web"; npm run --silent build:web

# PostgreSQL for the repository suites: the local server in CI, or OKNO_TEST_DATABASE_URL.
export OKNO_TEST_DATABASE_URL="${OKNO_TEST_DATABASE_URL:-postgres://postgres@127.0.0.1:5432/test}"

files=()
case "$only" in
  "") mapfile -t files < <(find test web/test -name '*.test.ts' | sort) ;;
  *) mapfile -t files < <(find "test/$only" -name '*.test.ts' | sort) ;;
esac
echo "== tests (${#files[@]} files)"
exec node --import tsx --test --test-concurrency=2 --test-reporter=spec "${files[@]}"
