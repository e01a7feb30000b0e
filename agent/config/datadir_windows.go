//go:build windows

package config

import (
	"os"
	"path/filepath"
)

// DefaultDataDir is %ProgramData%\storeedge (C:\ProgramData\storeedge when
// the variable is not set).
func DefaultDataDir() string {
	base := os.Getenv("ProgramData")
	if base == "" {
		base = `C:\ProgramData`
	}
	return filepath.Join(base, "storeedge")
}
