//go:build !(cgo && (linux || darwin))

// Package usb is the usb://VID:PID printer transport through libusb. This
// build has none: it was built without cgo, or for a system where it is not
// offered.
package usb

import (
	"storeedge/printer"
	"storeedge/printer/uri"
)

func init() {
	printer.RegisterUnavailable(uri.USB, "this build has no USB support (it was built without cgo or for Windows): "+
		"print through the Windows printer with spool://NAME, or on Linux through file:///dev/usb/lp0")
}
