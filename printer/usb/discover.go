//go:build cgo && (linux || darwin)

package usb

import (
	"context"
	"fmt"
	"strings"

	"github.com/google/gousb"

	"storeedge/printer"
	"storeedge/printer/uri"
)

// Discover lists the USB devices with a printer-class interface, each with a
// URI naming its serial number when it has one (so that two printers of the
// same model stay apart).
func Discover(ctx context.Context) ([]printer.Found, error) {
	uctx, err := newContext()
	if err != nil {
		return nil, err
	}
	defer uctx.Close()
	var descs []*gousb.DeviceDesc
	_, lerr := uctx.OpenDevices(func(d *gousb.DeviceDesc) bool {
		if _, _, _, _, ok := printerSetting(d); ok {
			descs = append(descs, d)
		}
		return false
	})
	out := make([]printer.Found, 0, len(descs))
	for _, d := range descs {
		if ctx.Err() != nil {
			return out, ctx.Err()
		}
		var mfr, prod, serial, note string
		devs, oerr := uctx.OpenDevices(func(x *gousb.DeviceDesc) bool { return x.Bus == d.Bus && x.Address == d.Address })
		if len(devs) > 0 {
			mfr, _ = devs[0].Manufacturer()
			prod, _ = devs[0].Product()
			serial, _ = devs[0].SerialNumber()
		} else if oerr != nil {
			note = fmt.Sprintf("cannot open it to read its names: %v", oerr)
		}
		for _, x := range devs {
			x.Close()
		}
		out = append(out, found(d, mfr, prod, serial, note))
	}
	if len(out) == 0 && lerr != nil {
		return nil, fmt.Errorf("list usb devices: %w", lerr)
	}
	return out, nil
}

func found(d *gousb.DeviceDesc, mfr, prod, serial, note string) printer.Found {
	u := uri.URI{Scheme: uri.USB, VID: uint16(d.Vendor), PID: uint16(d.Product), Serial: strings.TrimSpace(serial)}
	name := strings.TrimSpace(mfr + " " + prod)
	if name == "" {
		name = "USB printer"
	}
	detail := fmt.Sprintf("bus %d address %d", d.Bus, d.Address)
	if u.Serial != "" {
		detail += ", serial " + u.Serial
	}
	if _, _, _, in, _ := printerSetting(d); in != nil {
		detail += ", two-way: it can report its status"
	} else {
		detail += ", one-way: no status channel"
	}
	if note != "" {
		detail += "; " + note
	}
	return printer.Found{URI: u.String(), Name: name, Detail: detail}
}
