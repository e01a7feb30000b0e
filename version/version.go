// Package version says which build this is. Release builds set the variables
// with -ldflags "-X storeedge/version.Version=... -X ...Commit=... -X ...Date=...".
package version

import (
	"fmt"
	"runtime"
	"runtime/debug"
)

// Set at build time.
var (
	Version = "dev"
	Commit  = ""
	Date    = ""
)

// Info is the build's identity.
type Info struct {
	Version, Commit, Date, Go, Platform string
}

// Get returns the build's identity, filling the commit from the Go build info
// when it was not set at link time.
func Get() Info {
	i := Info{Version: Version, Commit: Commit, Date: Date, Go: runtime.Version(), Platform: runtime.GOOS + "/" + runtime.GOARCH}
	if bi, ok := debug.ReadBuildInfo(); ok {
		for _, s := range bi.Settings {
			switch s.Key {
			case "vcs.revision":
				if i.Commit == "" {
					i.Commit = s.Value
				}
			case "vcs.time":
				if i.Date == "" {
					i.Date = s.Value
				}
			}
		}
	}
	if i.Commit == "" {
		i.Commit = "unknown"
	}
	if i.Date == "" {
		i.Date = "unknown"
	}
	return i
}

// String is the one-line form `storeedge version` prints.
func (i Info) String() string {
	return fmt.Sprintf("storeedge %s (commit %s, built %s, %s %s)", i.Version, i.Commit, i.Date, i.Go, i.Platform)
}
