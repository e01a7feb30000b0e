//go:build cgo && (linux || darwin)

// Package usb is the usb://VID:PID[?serial=S] printer transport, through
// libusb (github.com/google/gousb). It finds the device by vendor and product
// id (and serial number when given), claims its printer-class interface
// (detaching the kernel's usblp driver), writes each job whole to the bulk OUT
// endpoint and asks the printer's real-time status (DLE EOT) on bulk OUT and
// bulk IN. Printers without bulk IN are asked the printer-class port status.
//
// The device stays open between jobs. After any failure it is closed, and the
// next job or status poll looks for it again, so a printer that was unplugged
// or switched off comes back by itself. Builds without cgo have no usb://
// transport.
package usb

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"sort"
	"time"

	"github.com/google/gousb"

	"storeedge/printer"
	"storeedge/printer/status"
	"storeedge/printer/uri"
)

func init() {
	printer.Register(uri.USB, Open)
	printer.RegisterDiscoverer(uri.USB, Discover)
}

// Conn prints to one USB printer.
type Conn struct {
	vid, pid gousb.ID
	serial   string
	name     string // VID:PID[ serial S] for messages
	log      *slog.Logger
	prober   status.Prober

	// open device, nil while closed
	ctx  *gousb.Context
	dev  *gousb.Device
	cfg  *gousb.Config
	intf *gousb.Interface
	out  *gousb.OutEndpoint
	in   *gousb.InEndpoint // nil: the printer has no bulk IN endpoint
	ifn  int               // interface number, for class requests
}

var (
	_ printer.Transport = (*Conn)(nil)
	_ printer.Answering = (*Conn)(nil)
)

// Open checks the URI; the device is looked for when first needed.
func Open(u uri.URI, opt printer.OpenOptions) (printer.Transport, error) {
	log := opt.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	c := &Conn{vid: gousb.ID(u.VID), pid: gousb.ID(u.PID), serial: u.Serial, log: log,
		prober: status.Prober{Wait: 500 * time.Millisecond, JobWait: 10 * time.Second}}
	c.name = fmt.Sprintf("%04x:%04x", u.VID, u.PID)
	if u.Serial != "" {
		c.name += " serial " + u.Serial
	}
	return c, nil
}

// SetReplyWait changes how long status replies are waited for while polling
// and after a job (zero keeps a value).
func (c *Conn) SetReplyWait(poll, afterJob time.Duration) {
	if poll > 0 {
		c.prober.Wait = poll
	}
	if afterJob > 0 {
		c.prober.JobWait = afterJob
	}
}

// ErrNotFound means no device with the URI's ids (and serial) is plugged in.
var ErrNotFound = errors.New("no such USB printer is plugged in")

// newContext starts libusb; gousb panics when libusb cannot start (a machine
// without USB support), which becomes an error here.
func newContext() (ctx *gousb.Context, err error) {
	defer func() {
		if r := recover(); r != nil {
			ctx, err = nil, fmt.Errorf("start libusb: %v", r)
		}
	}()
	return gousb.NewContext(), nil
}

// printerSetting finds the printer-class interface setting with a bulk OUT
// endpoint, preferring a bidirectional one (protocol 2) with bulk IN.
func printerSetting(desc *gousb.DeviceDesc) (cfg int, set gousb.InterfaceSetting, out gousb.EndpointDesc, in *gousb.EndpointDesc, ok bool) {
	cfgs := make([]int, 0, len(desc.Configs))
	for n := range desc.Configs {
		cfgs = append(cfgs, n)
	}
	sort.Ints(cfgs)
	best := -1
	for _, n := range cfgs {
		for _, intf := range desc.Configs[n].Interfaces {
			for _, alt := range intf.AltSettings {
				if alt.Class != gousb.ClassPrinter {
					continue
				}
				o, i := endpoints(alt)
				if o == nil {
					continue
				}
				score := 1
				if i != nil {
					score = 2
				}
				if score > best {
					best, cfg, set, out, in, ok = score, n, alt, *o, i, true
				}
			}
		}
	}
	return
}

// endpoints picks the lowest bulk OUT and bulk IN endpoints of a setting.
func endpoints(alt gousb.InterfaceSetting) (out, in *gousb.EndpointDesc) {
	addrs := make([]gousb.EndpointAddress, 0, len(alt.Endpoints))
	for a := range alt.Endpoints {
		addrs = append(addrs, a)
	}
	slices.Sort(addrs)
	for _, a := range addrs {
		e := alt.Endpoints[a]
		if e.TransferType != gousb.TransferTypeBulk {
			continue
		}
		switch {
		case e.Direction == gousb.EndpointDirectionOut && out == nil:
			out = &e
		case e.Direction == gousb.EndpointDirectionIn && in == nil:
			in = &e
		}
	}
	return out, in
}

// open finds the device and claims its printer interface.
func (c *Conn) open() (err error) {
	if c.dev != nil {
		return nil
	}
	ctx, err := newContext()
	if err != nil {
		return err
	}
	defer func() {
		if err != nil {
			c.close()
		}
	}()
	c.ctx = ctx
	devs, lerr := ctx.OpenDevices(func(d *gousb.DeviceDesc) bool { return d.Vendor == c.vid && d.Product == c.pid })
	for _, d := range devs {
		if c.dev == nil && c.matches(d) {
			c.dev = d
			continue
		}
		d.Close()
	}
	if c.dev == nil {
		if lerr != nil {
			return fmt.Errorf("usb printer %s: %w (%v)", c.name, ErrNotFound, lerr)
		}
		return fmt.Errorf("usb printer %s: %w", c.name, ErrNotFound)
	}
	if err := c.dev.SetAutoDetach(true); err != nil {
		return fmt.Errorf("usb printer %s: %w", c.name, err)
	}
	cfgNum, set, outDesc, inDesc, ok := printerSetting(c.dev.Desc)
	if !ok {
		return fmt.Errorf("usb printer %s: the device has no printer-class interface with a bulk OUT endpoint", c.name)
	}
	if c.cfg, err = c.dev.Config(cfgNum); err != nil {
		return fmt.Errorf("usb printer %s: %w", c.name, err)
	}
	if c.intf, err = c.cfg.Interface(set.Number, set.Alternate); err != nil {
		return fmt.Errorf("usb printer %s: claim interface %d: %w", c.name, set.Number, err)
	}
	c.ifn = set.Number
	if c.out, err = c.intf.OutEndpoint(outDesc.Number); err != nil {
		return fmt.Errorf("usb printer %s: %w", c.name, err)
	}
	if inDesc != nil {
		if c.in, err = c.intf.InEndpoint(inDesc.Number); err != nil {
			return fmt.Errorf("usb printer %s: %w", c.name, err)
		}
	}
	c.log.Info("usb printer open", "device", c.name, "interface", set.Number, "bidirectional", c.in != nil)
	return nil
}

// matches checks the serial number, when the URI gives one.
func (c *Conn) matches(d *gousb.Device) bool {
	if c.serial == "" {
		return true
	}
	s, err := d.SerialNumber()
	return err == nil && s == c.serial
}

// close releases everything open, in order.
func (c *Conn) close() error {
	var errs []error
	if c.intf != nil {
		c.intf.Close()
	}
	if c.cfg != nil {
		errs = append(errs, c.cfg.Close())
	}
	if c.dev != nil {
		errs = append(errs, c.dev.Close())
	}
	if c.ctx != nil {
		errs = append(errs, c.ctx.Close())
	}
	c.ctx, c.dev, c.cfg, c.intf, c.out, c.in = nil, nil, nil, nil, nil, nil
	return errors.Join(errs...)
}

// Write sends the whole job on bulk OUT and asks the printer's status.
func (c *Conn) Write(ctx context.Context, job []byte) (printer.Status, error) {
	if err := c.open(); err != nil {
		return printer.Status{State: printer.StateOffline}, printer.NotSent(err)
	}
	n, err := c.out.WriteContext(ctx, job)
	if err == nil && n < len(job) {
		err = fmt.Errorf("short write")
	}
	if err != nil {
		c.close()
		err = fmt.Errorf("usb printer %s: write (%d of %d bytes sent): %w", c.name, n, len(job), err)
		if n == 0 {
			err = printer.NotSent(err)
		}
		return printer.Status{State: printer.StateOffline}, err
	}
	st := printer.Status{State: printer.StateUnknown}
	if c.in != nil {
		st, _, err = c.prober.AfterJob(ctx, link{c})
		if err != nil {
			if !errors.Is(err, status.ErrNotConfirmed) {
				c.close()
			}
			return st, fmt.Errorf("usb printer %s: after the job: %w", c.name, err)
		}
	}
	if st.State == printer.StateUnknown {
		st = c.portStatus(st)
	}
	return st, nil
}

// Status opens the device if needed and asks the printer. A printer that is
// not plugged in is an error (offline); one that does not answer is unknown
// unless its port status reports paper out or an error.
func (c *Conn) Status(ctx context.Context) (printer.Status, error) {
	if err := c.open(); err != nil {
		return printer.Status{State: printer.StateOffline}, err
	}
	st := printer.Status{State: printer.StateUnknown}
	if c.in != nil {
		var err error
		if st, _, err = c.prober.Poll(ctx, link{c}); err != nil {
			c.close()
			return st, fmt.Errorf("usb printer %s: status: %w", c.name, err)
		}
	}
	if st.State == printer.StateUnknown {
		st = c.portStatus(st)
		if c.dev == nil {
			return printer.Status{State: printer.StateOffline}, fmt.Errorf("usb printer %s: gone", c.name)
		}
	}
	return st, nil
}

// portStatus asks the printer-class port status; only bad news replaces st.
// A device that is gone is closed.
func (c *Conn) portStatus(st printer.Status) printer.Status {
	var b [1]byte
	n, err := c.dev.Control(0xA1, 1, 0, uint16(c.ifn)<<8, b[:]) // GET_PORT_STATUS
	if err != nil {
		if errors.Is(err, gousb.ErrorNoDevice) || errors.Is(err, gousb.ErrorIO) {
			c.close()
		}
		return st
	}
	if n == 1 {
		if bad, ok := status.FromPortStatus(b[0]); ok {
			return bad
		}
	}
	return st
}

// Answers reports whether the printer has answered a status query.
func (c *Conn) Answers() bool { return c.prober.Answers() }

// SetAnswers records that the printer answers status queries, as an earlier
// run learned: it must confirm every job.
func (c *Conn) SetAnswers() { c.prober.Remember() }

// Close releases the device.
func (c *Conn) Close() error { return c.close() }

// link is a status.Link over the bulk endpoints.
type link struct{ c *Conn }

func (l link) Write(ctx context.Context, p []byte) error {
	n, err := l.c.out.WriteContext(ctx, p)
	if err == nil && n < len(p) {
		err = errors.New("short write")
	}
	return err
}

func (l link) Read(ctx context.Context, p []byte) (int, error) {
	size := l.c.in.Desc.MaxPacketSize
	if size <= 0 || size > len(p) {
		size = len(p)
	}
	n, err := l.c.in.ReadContext(ctx, p[:size])
	if err != nil && ctx.Err() != nil {
		return n, ctx.Err() // the read was cancelled at the deadline: no answer
	}
	return n, err
}
