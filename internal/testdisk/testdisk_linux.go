// Package testdisk gives tests a real, small disk to fill: a tmpfs mounted
// for the length of one test, for proving what happens when a disk is full.
package testdisk

import (
	"fmt"
	"os"
	"testing"

	"golang.org/x/sys/unix"
)

// Small mounts a tmpfs of size bytes in a temporary directory for the length
// of the test and returns the directory. It needs root: without it the test
// is skipped on a developer's machine and fails in CI (CI=true).
func Small(t testing.TB, size int) string {
	t.Helper()
	unavailable := func(format string, args ...any) {
		t.Helper()
		if os.Getenv("CI") == "true" {
			t.Fatalf(format, args...)
		}
		t.Skipf(format+" (skipped outside CI)", args...)
	}
	if os.Geteuid() != 0 {
		unavailable("mounting a small tmpfs to fill needs root")
	}
	dir := t.TempDir()
	if err := unix.Mount("storeedge-test", dir, "tmpfs", unix.MS_NOSUID|unix.MS_NODEV, fmt.Sprintf("size=%d,mode=0700", size)); err != nil {
		unavailable("mount tmpfs on %s: %v", dir, err)
	}
	t.Cleanup(func() {
		if err := unix.Unmount(dir, 0); err != nil {
			t.Errorf("unmount %s: %v", dir, err)
			_ = unix.Unmount(dir, unix.MNT_DETACH)
		}
	})
	return dir
}

// Ballast takes n bytes of the disk in a file at path, to be freed later by
// removing it.
func Ballast(t testing.TB, path string, n int) {
	t.Helper()
	if err := os.WriteFile(path, make([]byte, n), 0o600); err != nil {
		t.Fatalf("write ballast: %v", err)
	}
}
