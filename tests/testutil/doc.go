// Package testutil holds what gdetach's tests share: readers for /proc,
// where the tests inspect the processes the commands leave behind, and
// waits that poll a condition until a deadline derived from the test's own.
// It is for tests and the benchmark program only.
package testutil
