//go:build linux && cgo

// Package usbtest emulates a USB receipt printer for tests of code that
// drives printers through libusb (gousb). It builds a umockdev testbed with
// one printer-class device (bulk OUT 0x01, bulk IN 0x81) and answers every
// usbdevfs ioctl live: it records the exact bytes written, answers DLE EOT
// status queries, serves string descriptors and the printer-class port
// status, and can be unplugged (ENODEV), even in the middle of a transfer,
// and plugged in again.
//
// The process must run with umockdev's preload library: call Main from the
// test's TestMain, which re-runs the test binary with LD_PRELOAD set.
package usbtest

/*
#cgo pkg-config: umockdev-1.0
#include <stdlib.h>
#include "emu.h"
*/
import "C"

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"unsafe"
)

// PreloadLib is the umockdev library that must be preloaded.
const PreloadLib = "libumockdev-preload.so.0"

// Preloaded reports whether this process runs with umockdev's preload
// library (umockdev_in_mock_environment caches its first answer, so the
// environment is checked instead).
func Preloaded() bool { return strings.Contains(os.Getenv("LD_PRELOAD"), "libumockdev-preload") }

// Available reports whether umockdev's preload library is installed.
func Available() bool {
	for _, pat := range []string{"/usr/lib/*/" + PreloadLib, "/usr/lib/" + PreloadLib, "/usr/lib64/" + PreloadLib, "/usr/local/lib/" + PreloadLib} {
		if m, _ := filepath.Glob(pat); len(m) > 0 {
			return true
		}
	}
	return false
}

// Main runs the tests of m under umockdev: it re-executes the test binary
// with LD_PRELOAD set when it is not, and returns the exit code otherwise.
// When umockdev is not installed the tests run as they are, and New fails or
// skips them (see New).
func Main(m *testing.M) int {
	if !Preloaded() && Available() {
		env := append(os.Environ(), "LD_PRELOAD="+strings.TrimPrefix(os.Getenv("LD_PRELOAD")+" "+PreloadLib, " "))
		exe, err := os.Executable()
		if err == nil {
			err = syscall.Exec(exe, os.Args, env)
		}
		fmt.Fprintf(os.Stderr, "usbtest: cannot re-run the tests under %s: %v\n", PreloadLib, err)
		return 1
	}
	return m.Run()
}

// Options describe the emulated device.
type Options struct {
	VID, PID     uint16 // default 0416:5011
	Serial       string // default "SE0001"
	Manufacturer string // default "Winbond"
	Product      string // default "POS-80"
}

// only one testbed at a time: umockdev keeps its root in $UMOCKDEV_DIR
var one sync.Mutex

// Printer is one emulated USB printer.
type Printer struct {
	p   *C.emu_printer
	opt Options
}

// DevNode is the emulated device node.
const DevNode = "/dev/bus/usb/001/002"

// New plugs in an emulated printer for the rest of the test. Without umockdev
// the test fails when the environment variable CI is "true" and is skipped
// otherwise.
func New(t testing.TB, opt Options) *Printer {
	t.Helper()
	if !Preloaded() {
		msg := "umockdev's " + PreloadLib + " is not preloaded (install the Debian packages umockdev and libumockdev-dev, and call usbtest.Main from TestMain)"
		if os.Getenv("CI") == "true" {
			t.Fatal(msg)
		}
		t.Skip(msg)
	}
	if opt.VID == 0 && opt.PID == 0 {
		opt.VID, opt.PID = 0x0416, 0x5011
	}
	if opt.Serial == "" {
		opt.Serial = "SE0001"
	}
	if opt.Manufacturer == "" {
		opt.Manufacturer = "Winbond"
	}
	if opt.Product == "" {
		opt.Product = "POS-80"
	}
	one.Lock()
	p, err := newPrinter(opt)
	if err != nil {
		one.Unlock()
		t.Fatal(err)
	}
	t.Cleanup(func() {
		C.emu_free(p.p)
		one.Unlock()
	})
	return p
}

// Record is the umockdev description of the device: a full-speed device with
// one configuration and one printer-class interface (7/1/2, bidirectional)
// with bulk OUT 0x01 and bulk IN 0x81 of 64 bytes; string descriptors 1, 2
// and 3 are the manufacturer, product and serial number.
func Record(vid, pid uint16) string {
	desc := fmt.Sprintf("12010002000000%02x%02x%02x%02x%02x0001010203%02x", 0x40, vid&0xff, vid>>8, pid&0xff, pid>>8, 1) +
		"09022000010100C032" + "0904000002070102" + "00" + "0705010240000007058102400000"
	return "P: /devices/usb1/1-1\n" +
		"N: bus/usb/001/002\n" +
		"E: SUBSYSTEM=usb\n" +
		"E: DEVTYPE=usb_device\n" +
		"E: DEVNAME=/dev/bus/usb/001/002\n" +
		"E: BUSNUM=001\n" +
		"E: DEVNUM=002\n" +
		fmt.Sprintf("E: PRODUCT=%x/%x/100\n", vid, pid) +
		"A: busnum=1\\n\n" +
		"A: devnum=2\\n\n" +
		"A: speed=12\\n\n" +
		"A: bConfigurationValue=1\\n\n" +
		fmt.Sprintf("A: idVendor=%04x\\n\n", vid) +
		fmt.Sprintf("A: idProduct=%04x\\n\n", pid) +
		"H: descriptors=" + desc + "\n" +
		"\n" +
		"P: /devices/usb1/1-1/1-1:1.0\n" +
		"E: SUBSYSTEM=usb\n" +
		"E: DEVTYPE=usb_interface\n" +
		"A: bInterfaceClass=07\\n\n" +
		"A: bInterfaceSubClass=01\\n\n" +
		"A: bInterfaceProtocol=02\\n\n" +
		"A: bInterfaceNumber=00\\n\n"
}

func newPrinter(opt Options) (*Printer, error) {
	rec := C.CString(Record(opt.VID, opt.PID))
	node := C.CString(DevNode)
	mfr, prod, ser := C.CString(opt.Manufacturer), C.CString(opt.Product), C.CString(opt.Serial)
	defer func() {
		for _, s := range []*C.char{rec, node, mfr, prod, ser} {
			C.free(unsafe.Pointer(s))
		}
	}()
	var msg [256]C.char
	p := C.emu_new(rec, node, mfr, prod, ser, &msg[0], C.size_t(len(msg)))
	if p == nil {
		return nil, errors.New("usbtest: " + C.GoString(&msg[0]))
	}
	return &Printer{p: p, opt: opt}, nil
}

// Options returns the device's description.
func (p *Printer) Options() Options { return p.opt }

// SetReplies sets the answers to DLE EOT 1, 2, 3 and 4.
func (p *Printer) SetReplies(r [4]byte) {
	C.emu_set_replies(p.p, C.uchar(r[0]), C.uchar(r[1]), C.uchar(r[2]), C.uchar(r[3]))
}

// SetSilent makes the printer ignore status queries.
func (p *Printer) SetSilent(silent bool) { C.emu_set_silent(p.p, cbool(silent)) }

// SetPortStatus sets the printer-class GET_PORT_STATUS answer (default 0x18:
// selected, no error; 0x20 is paper empty).
func (p *Printer) SetPortStatus(b byte) { C.emu_set_port_status(p.p, C.uchar(b)) }

// Unplug makes every ioctl fail with ENODEV and ends waiting transfers.
func (p *Printer) Unplug() { C.emu_set_unplugged(p.p, 1) }

// Plug plugs the printer back in.
func (p *Printer) Plug() { C.emu_set_unplugged(p.p, 0) }

// Unplugged reports whether the printer is unplugged.
func (p *Printer) Unplugged() bool { return C.emu_unplugged(p.p) != 0 }

// FailAfter pulls the cable once n bytes arrived on bulk OUT, in the middle
// of the transfer that carries them.
func (p *Printer) FailAfter(n int) { C.emu_fail_after(p.p, C.long(n)) }

// Received returns every byte written to bulk OUT so far.
func (p *Printer) Received() []byte {
	n := C.emu_received_len(p.p)
	if n == 0 {
		return nil
	}
	b := make([]byte, n)
	got := C.emu_received(p.p, (*C.uchar)(unsafe.Pointer(&b[0])), n)
	return b[:got]
}

// Reset forgets what was received.
func (p *Printer) Reset() { C.emu_reset(p.p) }

// Queries counts the status queries received.
func (p *Printer) Queries() int { return int(C.emu_queries(p.p)) }

// Ioctls counts the ioctls handled (a measure of libusb's activity).
func (p *Printer) Ioctls() int { return int(C.emu_ioctls(p.p)) }

func cbool(b bool) C.int {
	if b {
		return 1
	}
	return 0
}
