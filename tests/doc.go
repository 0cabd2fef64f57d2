// Package tests holds gdetach's end-to-end tests: the commands are built once,
// run from an interactive bash on a real pseudo-terminal as in an SSH login,
// the terminal is hung up, and what survived is inspected through /proc. Every
// survival scenario has a control case that must die without gdetach.
//
// The tests are Linux-only; the package has no code outside its _test files.
package tests
