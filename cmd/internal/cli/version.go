package cli

import "runtime/debug"

// version is stamped by the Makefile:
// -ldflags "-X github.com/gdetach/gdetach/cmd/internal/cli.version=…".
var version string

// Version is the gdetach version: the stamped one, else what the Go build
// recorded (a module version, or the VCS revision of a source build).
func Version() string {
	if version != "" {
		return version
	}
	info, ok := debug.ReadBuildInfo()
	if !ok {
		return "unknown"
	}
	if v := info.Main.Version; v != "" && v != "(devel)" {
		return v
	}
	for _, s := range info.Settings {
		if s.Key == "vcs.revision" && len(s.Value) >= 12 {
			return "devel-" + s.Value[:12]
		}
	}
	return "devel"
}
