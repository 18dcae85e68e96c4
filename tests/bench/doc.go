// Package bench compares our daemons with the stock Postfix ones under
// the same real master(8), side by side in one run ("make bench").
//
// Everything lives in _test.go files; this file only carries the package
// documentation so that "go doc" and "go vet" see a package.
//
// BenchmarkScache (about 100 s) takes these environment variables:
// POSTFIX_GO_BENCH_PAIRS (pairs per server per round, default 20000),
// POSTFIX_GO_BENCH_ROUNDS (rounds, default 6) and
// POSTFIX_GO_BENCH_DAEMON_ENV (e.g. "GOMAXPROCS=1", added to the daemons'
// environment through import_environment).
//
// The benchmarks measure and report, they never assert on speed: a slow
// or noisy machine must not fail the build. They need root and the
// postfix package (see tests/harness) and skip otherwise.
package bench
