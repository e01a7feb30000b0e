//go:build !linux

package file

import (
	"os"

	"storeedge/printer"
)

// lpStatus has no port status to read outside Linux.
func lpStatus(*os.File) (printer.Status, bool) { return printer.Status{}, false }
