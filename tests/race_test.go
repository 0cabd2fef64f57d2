//go:build linux && race

package tests

// raceEnabled makes TestMain build the commands with -race as well.
const raceEnabled = true
