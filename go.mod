module github.com/gdetach/gdetach

go 1.26.0

require (
	github.com/creack/pty v1.1.24
	github.com/spf13/pflag v1.0.10
	golang.org/x/sys v0.49.0
)
