//go:build !windows

package config

// DefaultDataDir is /var/lib/storeedge.
func DefaultDataDir() string { return "/var/lib/storeedge" }
