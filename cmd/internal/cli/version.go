package cli

import (
	"runtime/debug"
	"strings"
)

// version is stamped by the Makefile from the VERSION file:
// -ldflags "-X github.com/gdetach/gdetach/cmd/internal/cli.version=…".
var version string

// Version is the gdetach version: the one the Makefile stamped, else the
// module version the Go build recorded (go install …@v0.2.0 gives 0.2.0),
// else "devel", with the VCS revision of a source build when Go recorded it.
func Version() string {
	if version != "" {
		return version
	}
	info, ok := debug.ReadBuildInfo()
	if !ok {
		return "unknown"
	}
	return buildVersion(info)
}

// buildVersion is Version for what a Go build recorded.
func buildVersion(info *debug.BuildInfo) string {
	if v := info.Main.Version; v != "" && v != "(devel)" {
		// A build from a checkout with no release tag behind it gets a
		// pseudo-version of v0.0.0 (v0.0.0-20261130005939-32d62e5b192b):
		// no release, only a commit.
		if rev, ok := strings.CutPrefix(v, "v0.0.0-"); ok && len(rev) > 15 {
			return "devel-" + rev[15:]
		}
		return strings.TrimPrefix(v, "v")
	}
	for _, s := range info.Settings {
		if s.Key == "vcs.revision" && len(s.Value) >= 12 {
			return "devel-" + s.Value[:12]
		}
	}
	return "devel"
}

// versionText is what --version prints, in the GNU coding standards' form:
// the program, the package and its version, then the copyright, the
// license and the warranty that is not given.
func versionText(name string) string {
	return name + " (gdetach) " + Version() + `
Copyright (C) 2026 the gdetach authors.
License MIT: <https://opensource.org/licenses/MIT>.
This is free software: you are free to change and redistribute it.
There is NO WARRANTY, to the extent permitted by law.
`
}
