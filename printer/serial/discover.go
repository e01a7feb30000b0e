package serial

import (
	"context"
	"fmt"
	"strings"

	"go.bug.st/serial/enumerator"

	"storeedge/printer"
	"storeedge/printer/uri"
)

func init() { printer.RegisterDiscoverer(uri.Serial, Discover) }

// Discover lists this PC's serial ports (a printer may hang on any of them),
// each with a URI at the usual 9600 baud without flow control.
func Discover(ctx context.Context) ([]printer.Found, error) {
	ports, err := enumerator.GetDetailedPortsList()
	if err != nil {
		return nil, fmt.Errorf("list serial ports: %w", err)
	}
	out := make([]printer.Found, 0, len(ports))
	for _, p := range ports {
		out = append(out, found(p))
	}
	return out, nil
}

func found(p *enumerator.PortDetails) printer.Found {
	u := uri.URI{Scheme: uri.Serial, Path: p.Name, Baud: uri.DefaultBaud, Flow: uri.DefaultFlow}
	f := printer.Found{URI: u.String(), Name: "serial port"}
	if p.IsUSB {
		name := strings.TrimSpace(strings.Join([]string{p.Manufacturer, p.Product}, " "))
		if name == "" {
			name = "USB serial adapter"
		}
		f.Name = name
		f.Detail = fmt.Sprintf("usb %s:%s", strings.ToLower(p.VID), strings.ToLower(p.PID))
		if p.SerialNumber != "" {
			f.Detail += " serial " + p.SerialNumber
		}
	}
	return f
}
