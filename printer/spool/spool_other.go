//go:build !windows

package spool

import (
	"storeedge/printer"
	"storeedge/printer/uri"
)

func init() {
	printer.RegisterUnavailable(uri.Spool, "spool:// prints through an installed Windows printer and exists only in Windows builds")
}
