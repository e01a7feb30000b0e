//go:build !linux && !windows

package serial

import (
	"errors"
	"runtime"
)

func openPort(path string, baud int, flow string) (port, error) {
	return nil, errors.New("serial printers are supported on Linux and Windows, not " + runtime.GOOS)
}
