//go:build windows

package queue

import (
	"fmt"

	"golang.org/x/sys/windows"
)

// replaceFile renames from over to; MOVEFILE_WRITE_THROUGH returns only
// once the rename is on disk (Windows cannot sync a directory).
func replaceFile(from, to, dir string) error {
	f, err := windows.UTF16PtrFromString(from)
	if err != nil {
		return fmt.Errorf("rename %s: %w", from, err)
	}
	t, err := windows.UTF16PtrFromString(to)
	if err != nil {
		return fmt.Errorf("rename to %s: %w", to, err)
	}
	if err := windows.MoveFileEx(f, t, windows.MOVEFILE_REPLACE_EXISTING|windows.MOVEFILE_WRITE_THROUGH); err != nil {
		return fmt.Errorf("rename %s to %s: %w", from, to, err)
	}
	return nil
}
