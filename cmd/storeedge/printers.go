package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"text/tabwriter"
	"time"

	"storeedge/printer"
	"storeedge/printer/escpos"
	"storeedge/printer/ticket"
	"storeedge/printer/uri"

	// Every printer transport, with its discovery.
	_ "storeedge/printer/file"
	_ "storeedge/printer/serial"
	_ "storeedge/printer/spool"
	_ "storeedge/printer/tcp"
	_ "storeedge/printer/usb"
)

func init() {
	register("printers", "list the USB printers, serial ports and Windows printers of this PC, with their URIs", cmdPrinters)
	register("print-test", "print the test page on a printer and report the status it reads back", cmdPrintTest)
}

// discoveryTitles name what each scheme's discovery lists.
var discoveryTitles = map[string]string{
	uri.USB:    "USB printers",
	uri.Serial: "Serial ports",
	uri.Spool:  "Windows printers",
}

func cmdPrinters(args []string, stdout, stderr io.Writer) error {
	fs := newFlags("printers", stderr)
	timeout := fs.Duration("timeout", 20*time.Second, "give up looking after `DURATION`")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(context.Background(), *timeout)
	defer cancel()
	results := printer.Discover(ctx)
	notes := map[string]string{}
	for _, s := range []string{uri.USB, uri.Spool} {
		if why, ok := printer.Unavailable(s); ok {
			notes[s] = why
		}
	}
	return printDiscovery(stdout, results, notes)
}

// printDiscovery writes what discovery found, one section per kind of link,
// and the kinds this build lacks with the reason. It fails only when every
// discovery failed.
func printDiscovery(w io.Writer, results []printer.Discovery, notes map[string]string) error {
	var failed []error
	for _, d := range results {
		title := discoveryTitles[d.Scheme]
		if title == "" {
			title = d.Scheme + "://"
		}
		fmt.Fprintf(w, "%s:\n", title)
		switch {
		case d.Err != nil:
			fmt.Fprintf(w, "  cannot list them: %v\n", d.Err)
			failed = append(failed, fmt.Errorf("%s: %w", title, d.Err))
		case len(d.Found) == 0:
			fmt.Fprintln(w, "  none found")
		default:
			tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
			for _, f := range d.Found {
				line := "  " + f.URI + "\t" + f.Name
				if f.Detail != "" {
					line += " (" + f.Detail + ")"
				}
				fmt.Fprintln(tw, line)
			}
			tw.Flush()
		}
	}
	for _, s := range []string{uri.USB, uri.Serial, uri.Spool} {
		if why, ok := notes[s]; ok {
			fmt.Fprintf(w, "%s: %s\n", discoveryTitles[s], why)
		}
	}
	fmt.Fprintln(w, "Network printers (tcp://HOST:9100) are not searched for: use the address printed on their self-test page.")
	if len(results) > 0 && len(failed) == len(results) {
		return errors.Join(failed...)
	}
	return nil
}

func cmdPrintTest(args []string, stdout, stderr io.Writer) error {
	fs := newFlags("print-test", stderr)
	cfgPath := fs.String("config", "", "config `FILE` holding the printer named by --printer")
	name := fs.String("printer", "", "`NAME` of a [[printer]] in the config")
	raw := fs.String("uri", "", "printer `URI`, e.g. usb://0416:5011 or tcp://192.168.1.50:9100 (instead of --printer)")
	paper := fs.String("paper", "", "paper or profile for --uri: 58mm, 80mm (default) or tm-t88")
	timeout := fs.Duration("timeout", 30*time.Second, "longest the test page may take to print")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	var (
		u       uri.URI
		prof    escpos.Profile
		label   string
		dataDir string
	)
	switch {
	case *name != "" && *raw != "":
		return usagef("give either --printer or --uri, not both")
	case *name != "":
		if *paper != "" {
			return usagef("--paper goes with --uri; a configured printer has its own paper")
		}
		cfg, err := loadConfig(*cfgPath)
		if err != nil {
			return err
		}
		var names []string
		for _, p := range cfg.Printers {
			names = append(names, p.Name)
			if p.Name == *name {
				u, label, dataDir = p.URI, p.Name, cfg.Agent.DataDir
				var ok bool
				if prof, ok = escpos.LookupProfile(p.Paper); !ok {
					return usagef("printer %q: unknown paper or profile %q", p.Name, p.Paper)
				}
			}
		}
		if label == "" {
			return usagef("%s has no printer %q (printers: %v)", cfg.File, *name, names)
		}
	case *raw != "":
		var err error
		if u, err = uri.Parse(*raw); err != nil {
			return usagef("--uri: %v", err)
		}
		if *paper == "" {
			*paper = "80mm"
		}
		var ok bool
		if prof, ok = escpos.LookupProfile(*paper); !ok {
			return usagef("--paper %q: not 58mm, 80mm or a known printer profile", *paper)
		}
		label = u.String()
	default:
		return usagef("--printer NAME (with --config FILE) or --uri URI is required")
	}

	tr, err := printer.Open(u, printer.OpenOptions{DataDir: dataDir})
	if err != nil {
		if errors.Is(err, printer.ErrUnsupported) {
			return usageError{err}
		}
		return err
	}
	defer tr.Close()

	ctx, cancel := context.WithTimeout(context.Background(), *timeout)
	defer cancel()
	before, err := tr.Status(ctx)
	if err != nil {
		fmt.Fprintf(stdout, "%s: status before printing: offline (%v)\n", label, err)
	} else {
		fmt.Fprintf(stdout, "%s: status before printing: %s\n", label, before)
	}
	page := ticket.TestPage(prof, label, time.Now())
	after, err := tr.Write(ctx, page)
	if err != nil {
		return fmt.Errorf("print the test page on %s: %w", label, err)
	}
	fmt.Fprintf(stdout, "%s: sent the test page (%d bytes); status read back: %s\n", label, len(page), after)
	if after.State.NeedsPerson() {
		return fmt.Errorf("%s reports %s: the test page may not have printed completely", label, after)
	}
	if after.State == printer.StateUnknown {
		fmt.Fprintln(stdout, "The printer does not report its status: check the paper yourself.")
	}
	return nil
}
