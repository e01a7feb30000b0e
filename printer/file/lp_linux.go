package file

import (
	"os"

	"golang.org/x/sys/unix"

	"storeedge/printer"
	"storeedge/printer/status"
)

// lpGetStatus is LPGETSTATUS from linux/lp.h.
const lpGetStatus = 0x060b

// lpStatus asks a Linux printer device (lp, usblp) for its port status. ok is
// false for other devices or when the status holds no bad news.
func lpStatus(f *os.File) (printer.Status, bool) {
	rc, err := f.SyscallConn()
	if err != nil {
		return printer.Status{}, false
	}
	var st int
	var ierr error
	if err := rc.Control(func(fd uintptr) { st, ierr = unix.IoctlGetInt(int(fd), lpGetStatus) }); err != nil || ierr != nil {
		return printer.Status{}, false
	}
	return status.FromPortStatus(byte(st))
}
