package spool

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"
	"unsafe"

	"golang.org/x/sys/windows"

	"storeedge/printer"
	"storeedge/printer/uri"
)

func init() {
	printer.Register(uri.Spool, Open)
	printer.RegisterDiscoverer(uri.Spool, Discover)
}

var (
	winspool             = windows.NewLazySystemDLL("winspool.drv")
	procOpenPrinter      = winspool.NewProc("OpenPrinterW")
	procClosePrinter     = winspool.NewProc("ClosePrinter")
	procStartDocPrinter  = winspool.NewProc("StartDocPrinterW")
	procStartPagePrinter = winspool.NewProc("StartPagePrinter")
	procWritePrinter     = winspool.NewProc("WritePrinter")
	procEndPagePrinter   = winspool.NewProc("EndPagePrinter")
	procEndDocPrinter    = winspool.NewProc("EndDocPrinter")
	procAbortPrinter     = winspool.NewProc("AbortPrinter")
	procGetPrinter       = winspool.NewProc("GetPrinterW")
	procGetJob           = winspool.NewProc("GetJobW")
	procSetJob           = winspool.NewProc("SetJobW")
	procEnumPrinters     = winspool.NewProc("EnumPrintersW")
)

const (
	printerEnumLocal       = 0x2
	printerEnumConnections = 0x4
	jobControlDelete       = 5
)

type docInfo1 struct {
	docName, outputFile, datatype *uint16
}

type jobInfo1 struct {
	jobID                                                           uint32
	printerName, machineName, userName, document, datatype, pStatus *uint16
	status, priority, position, totalPages, pagesPrinted            uint32
	submitted                                                       windows.Systemtime
}

type printerInfo2 struct {
	serverName, printerName, shareName, portName, driverName, comment, location *uint16
	devMode                                                                     uintptr
	sepFile, printProcessor, datatype, parameters                               *uint16
	securityDescriptor                                                          uintptr
	attributes, priority, defaultPriority, startTime, untilTime                 uint32
	status, jobs, averagePPM                                                    uint32
}

// Conn prints to one installed Windows printer.
type Conn struct {
	name string
	log  *slog.Logger
	// JobPoll is how often a sent job is looked up in the print queue.
	JobPoll time.Duration
}

var _ printer.Transport = (*Conn)(nil)

// Open checks the name; the printer is opened for each job.
func Open(u uri.URI, opt printer.OpenOptions) (printer.Transport, error) {
	if u.Path == "" {
		return nil, fmt.Errorf("spool printer %q: no printer name", u.Raw)
	}
	log := opt.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &Conn{name: u.Path, log: log, JobPoll: 200 * time.Millisecond}, nil
}

func call(p *windows.LazyProc, args ...uintptr) (uintptr, error) {
	r, _, err := p.Call(args...)
	if r == 0 {
		if err == nil || errors.Is(err, windows.ERROR_SUCCESS) {
			err = errors.New(p.Name + " failed")
		}
		return 0, err
	}
	return r, nil
}

func (c *Conn) open() (windows.Handle, error) {
	name, err := windows.UTF16PtrFromString(c.name)
	if err != nil {
		return 0, fmt.Errorf("spool printer %q: %w", c.name, err)
	}
	var h windows.Handle
	if _, err := call(procOpenPrinter, uintptr(unsafe.Pointer(name)), uintptr(unsafe.Pointer(&h)), 0); err != nil {
		return 0, fmt.Errorf("spool printer %q: open: %w", c.name, err)
	}
	return h, nil
}

// Write sends the job as one RAW document, then follows it in the print
// queue until the spooler has printed it, reports it failed, or ctx ends (the
// job is then deleted from the queue, so that printing it again cannot print
// it twice).
func (c *Conn) Write(ctx context.Context, job []byte) (printer.Status, error) {
	h, err := c.open()
	if err != nil {
		return printer.Status{State: printer.StateOffline}, printer.NotSent(err)
	}
	defer call(procClosePrinter, uintptr(h))
	docName, _ := windows.UTF16PtrFromString("storeedge ticket")
	raw, _ := windows.UTF16PtrFromString("RAW")
	di := docInfo1{docName: docName, datatype: raw}
	id, err := call(procStartDocPrinter, uintptr(h), 1, uintptr(unsafe.Pointer(&di)))
	if err != nil {
		return printer.Status{State: printer.StateOffline}, printer.NotSent(fmt.Errorf("spool printer %q: start document: %w", c.name, err))
	}
	if err := c.send(h, job); err != nil {
		call(procAbortPrinter, uintptr(h))
		return printer.Status{State: printer.StateOffline}, fmt.Errorf("spool printer %q: %w", c.name, err)
	}
	if err := c.follow(ctx, h, uint32(id)); err != nil {
		st, _ := c.status(h)
		return st, fmt.Errorf("spool printer %q: job %d: %w", c.name, id, err)
	}
	return c.status(h)
}

func (c *Conn) send(h windows.Handle, job []byte) error {
	if _, err := call(procStartPagePrinter, uintptr(h)); err != nil {
		return fmt.Errorf("start page: %w", err)
	}
	for off := 0; off < len(job); {
		var n uint32
		chunk := job[off:]
		if _, err := call(procWritePrinter, uintptr(h), uintptr(unsafe.Pointer(&chunk[0])), uintptr(len(chunk)), uintptr(unsafe.Pointer(&n))); err != nil {
			return fmt.Errorf("write (%d of %d bytes sent): %w", off, len(job), err)
		}
		if n == 0 {
			return fmt.Errorf("write (%d of %d bytes sent): the spooler took nothing", off, len(job))
		}
		off += int(n)
	}
	if _, err := call(procEndPagePrinter, uintptr(h)); err != nil {
		return fmt.Errorf("end page: %w", err)
	}
	if _, err := call(procEndDocPrinter, uintptr(h)); err != nil {
		return fmt.Errorf("end document: %w", err)
	}
	return nil
}

// follow waits for the job to print.
func (c *Conn) follow(ctx context.Context, h windows.Handle, id uint32) error {
	t := time.NewTicker(c.JobPoll)
	defer t.Stop()
	for {
		status, found, err := c.jobStatus(h, id)
		if err != nil {
			return err
		}
		if !found {
			return nil // printed and removed from the queue
		}
		done, failure := jobOutcome(status)
		if done {
			return nil
		}
		if failure != "" {
			c.deleteJob(h, id)
			return errors.New(failure)
		}
		select {
		case <-ctx.Done():
			c.deleteJob(h, id)
			return fmt.Errorf("not printed in time, removed from the print queue: %w", ctx.Err())
		case <-t.C:
		}
	}
}

func (c *Conn) jobStatus(h windows.Handle, id uint32) (status uint32, found bool, err error) {
	var need uint32
	procGetJob.Call(uintptr(h), uintptr(id), 1, 0, 0, uintptr(unsafe.Pointer(&need)))
	if need == 0 {
		return 0, false, nil // no such job any more
	}
	buf := make([]byte, need)
	if _, err := call(procGetJob, uintptr(h), uintptr(id), 1, uintptr(unsafe.Pointer(&buf[0])), uintptr(need), uintptr(unsafe.Pointer(&need))); err != nil {
		if errors.Is(err, windows.ERROR_INVALID_PARAMETER) {
			return 0, false, nil
		}
		return 0, false, fmt.Errorf("look up the print job: %w", err)
	}
	info := (*jobInfo1)(unsafe.Pointer(&buf[0]))
	return info.status, true, nil
}

func (c *Conn) deleteJob(h windows.Handle, id uint32) {
	if _, err := call(procSetJob, uintptr(h), uintptr(id), 0, 0, jobControlDelete); err != nil {
		c.log.Warn("could not delete the print job", "printer", c.name, "job", id, "err", err)
	}
}

// Status reads the printer's state as the spooler reports it.
func (c *Conn) Status(ctx context.Context) (printer.Status, error) {
	h, err := c.open()
	if err != nil {
		return printer.Status{State: printer.StateOffline}, err
	}
	defer call(procClosePrinter, uintptr(h))
	return c.status(h)
}

func (c *Conn) status(h windows.Handle) (printer.Status, error) {
	var need uint32
	procGetPrinter.Call(uintptr(h), 2, 0, 0, uintptr(unsafe.Pointer(&need)))
	if need == 0 {
		return printer.Status{State: printer.StateOffline}, fmt.Errorf("spool printer %q: read its state: nothing returned", c.name)
	}
	buf := make([]byte, need)
	if _, err := call(procGetPrinter, uintptr(h), 2, uintptr(unsafe.Pointer(&buf[0])), uintptr(need), uintptr(unsafe.Pointer(&need))); err != nil {
		return printer.Status{State: printer.StateOffline}, fmt.Errorf("spool printer %q: read its state: %w", c.name, err)
	}
	info := (*printerInfo2)(unsafe.Pointer(&buf[0]))
	return printerStatus(info.status, info.attributes), nil
}

// Close has nothing to release: each job opens the printer.
func (c *Conn) Close() error { return nil }

// Discover lists the installed printers (local and connected).
func Discover(ctx context.Context) ([]printer.Found, error) {
	var need, n uint32
	flags := uintptr(printerEnumLocal | printerEnumConnections)
	procEnumPrinters.Call(flags, 0, 2, 0, 0, uintptr(unsafe.Pointer(&need)), uintptr(unsafe.Pointer(&n)))
	if need == 0 {
		return nil, nil
	}
	buf := make([]byte, need)
	if _, err := call(procEnumPrinters, flags, 0, 2, uintptr(unsafe.Pointer(&buf[0])), uintptr(need),
		uintptr(unsafe.Pointer(&need)), uintptr(unsafe.Pointer(&n))); err != nil {
		return nil, fmt.Errorf("list Windows printers: %w", err)
	}
	infos := unsafe.Slice((*printerInfo2)(unsafe.Pointer(&buf[0])), n)
	out := make([]printer.Found, 0, n)
	for _, p := range infos {
		name := windows.UTF16PtrToString(p.printerName)
		u := uri.URI{Scheme: uri.Spool, Path: name}
		st := printerStatus(p.status, p.attributes)
		out = append(out, printer.Found{
			URI:  u.String(),
			Name: name,
			Detail: fmt.Sprintf("driver %s, port %s, %s", windows.UTF16PtrToString(p.driverName),
				windows.UTF16PtrToString(p.portName), st.State),
		})
	}
	return out, nil
}
