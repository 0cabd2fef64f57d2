// Command bench measures gdetach's commands side by side with the classic
// tools they replace, on the same machine in the same run, and writes the
// results as Markdown (docs/benchmarks.md, through `make bench`).
//
// Usage:
//
//	go run ./tests/bench [-runs N] [-bin DIR] [-o FILE]
//
// It is Linux-only: it reads /proc for memory and CPU figures.
package main
