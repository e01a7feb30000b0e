//go:build cgo && linux

package usb

import (
	"os"
	"testing"

	"storeedge/printer/usb/usbtest"
)

func TestMain(m *testing.M) { os.Exit(usbtest.Main(m)) }
