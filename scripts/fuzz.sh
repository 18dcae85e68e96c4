#!/bin/sh
# Runs every fuzz target in the module for FUZZTIME each (default 30s).
# Targets are found by name, so a new Fuzz function is fuzzed without
# editing the Makefile; crashers land in the package's testdata/fuzz and
# then run as regression cases in `make test`.
set -eu
cd "$(dirname "$0")/.."
FUZZTIME=${FUZZTIME:-30s}
GO=${GO:-go}
grep -rl --include='*_test.go' '^func Fuzz' . | sort | while read -r file; do
	pkg="./$(dirname "${file#./}")"
	for target in $(sed -n 's/^func \(Fuzz[A-Za-z0-9_]*\)(.*/\1/p' "$file"); do
		echo "== $pkg $target"
		"$GO" test "$pkg" -run '^$' -fuzz "^${target}\$" -fuzztime "$FUZZTIME"
	done
done
