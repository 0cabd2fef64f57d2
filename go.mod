module github.com/gdetach/gdetach

go 1.26.8

require golang.org/x/sys v0.49.0

require (
	github.com/creack/pty v1.1.24 // indirect
	github.com/spf13/pflag v1.0.10 // indirect
)
