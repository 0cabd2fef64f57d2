// Package testutil holds what gdetach's tests share:
//
//   - one helper-process mechanism for every package (RegisterHelper,
//     HelperCommand, HelperArgs, Main): the test binary re-executed under the
//     name "helper", failing a full run on a helper nobody used;
//   - readers for /proc, where the tests inspect the processes the commands
//     leave behind;
//   - waits: WaitFor polls a condition on files until a deadline derived from
//     the test's own, and Proc watches a process through a pidfd, so that a
//     wait on it fails at once when it exits;
//   - a reader for rotated logs.
//
// It is for tests and the benchmark program only.
package testutil
