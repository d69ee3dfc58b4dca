package main

import (
	"context"
	"fmt"
	"runtime/debug"
	"strings"
)

// version is the release, set at build time with
// -ldflags "-X main.version=v1.2.3"; without it the module version from the
// build info is used.
var version string

func (a *app) version(ctx context.Context, args []string) error {
	fs, _ := a.flags("version", "", "Print the version, the source revision and the Go version it was built with", 0)
	pos, err := a.parse(fs, args)
	if err != nil {
		return err
	}
	if err := wantArgs(fs, pos, 0, 0); err != nil {
		return err
	}
	info, _ := debug.ReadBuildInfo()
	fmt.Fprintln(a.stdout, versionLine(version, info))
	return nil
}

// shortVersion is the release alone, e.g. for a page footer.
func shortVersion() string {
	info, _ := debug.ReadBuildInfo()
	v, _, _ := strings.Cut(strings.TrimPrefix(versionLine(version, info), "waymark "), " ")
	return v
}

// versionLine describes the build: "waymark v1.2.3 (rev 0123abcd, dirty,
// go1.26.8)".
func versionLine(v string, info *debug.BuildInfo) string {
	var details []string
	if info != nil {
		if v == "" && info.Main.Version != "" && info.Main.Version != "(devel)" {
			v = info.Main.Version
		}
		var rev string
		var dirty bool
		for _, s := range info.Settings {
			switch s.Key {
			case "vcs.revision":
				rev = s.Value
			case "vcs.modified":
				dirty = s.Value == "true"
			}
		}
		if rev != "" {
			details = append(details, "rev "+rev[:min(len(rev), 12)])
		}
		if dirty {
			details = append(details, "dirty")
		}
		if info.GoVersion != "" {
			details = append(details, info.GoVersion)
		}
	}
	if v == "" {
		v = "dev"
	}
	line := "waymark " + v
	if len(details) > 0 {
		line += " (" + strings.Join(details, ", ") + ")"
	}
	return line
}
