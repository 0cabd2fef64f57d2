// Package fdio holds the file-descriptor primitives that gdetach's commands
// share: telling terminals from other files, pointing descriptors 0-2 somewhere
// else, opening output files safely, replacing files atomically, reading small
// regular files without blocking on a FIFO, and keeping inherited descriptors
// out of the programs gdetach runs.
//
// Descriptor numbers are always this process's own. Every function retries
// when a system call is interrupted (EINTR), and every error names the system
// call or the path that failed.
package fdio
