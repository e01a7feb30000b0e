//go:build !windows

package queue

import (
	"fmt"
	"os"
)

// replaceFile renames from over to and makes the new name durable by
// syncing the directory.
func replaceFile(from, to, dir string) error {
	if err := os.Rename(from, to); err != nil {
		return err
	}
	d, err := os.Open(dir)
	if err != nil {
		return fmt.Errorf("open directory to sync it: %w", err)
	}
	defer d.Close()
	if err := d.Sync(); err != nil {
		return fmt.Errorf("sync directory %s: %w", dir, err)
	}
	return nil
}
