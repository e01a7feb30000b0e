package main

import (
	"bufio"
	"bytes"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"storeedge/agent/config"
	"storeedge/printer/escpos"
	"storeedge/printer/ticket"
	"storeedge/sync/order"
)

func init() {
	register("ticket", "render ESC/POS tickets, read them back as text, draw them as pictures", cmdTicket)
}

const ticketUsage = `usage: storeedge ticket render --order FILE.json [--kind receipt|kitchen|cancel|test] [--paper 58mm|80mm|tm-t88|PROFILE]
                               [--reprint] [--template FILE] [--logo FILE.png] [--config FILE] [--out FILE.bin] [--png FILE.png]
       storeedge ticket preview FILE.bin --out FILE.png [--paper PROFILE] [--config FILE]
       storeedge ticket text FILE.bin`

func cmdTicket(args []string, stdout, stderr io.Writer) error {
	if len(args) == 0 {
		return usagef("%s", ticketUsage)
	}
	switch args[0] {
	case "render":
		return ticketRender(args[1:], stdout, stderr)
	case "preview":
		return ticketPreview(args[1:], stdout, stderr)
	case "text":
		return ticketText(args[1:], stdout, stderr)
	case "-h", "--help", "help":
		fmt.Fprintln(stdout, ticketUsage)
		return errHelp
	}
	return usagef("unknown ticket command %q (render, preview, text)", args[0])
}

// parseMixed parses flags that may come before or after the positional
// arguments ("preview FILE.bin --out x.png") and returns the positionals.
func parseMixed(fs *flag.FlagSet, args []string) ([]string, error) {
	var pos []string
	for {
		if err := fs.Parse(args); err != nil {
			if errors.Is(err, flag.ErrHelp) {
				return nil, errHelp
			}
			return nil, usageError{err}
		}
		args = fs.Args()
		if len(args) == 0 {
			return pos, nil
		}
		pos = append(pos, args[0])
		args = args[1:]
	}
}

// profileFlag resolves --paper: a built-in profile, or a [[profile]] of
// --config.
func profileFlag(paper, cfgPath string) (escpos.Profile, error) {
	if cfgPath != "" {
		cfg, err := config.Load(cfgPath)
		if err != nil {
			return escpos.Profile{}, usageError{err}
		}
		if p, ok := cfg.Profile(paper); ok {
			return p, nil
		}
		return escpos.Profile{}, usagef("--paper %q: no such built-in profile or [[profile]] in %s", paper, cfgPath)
	}
	p, ok := escpos.LookupProfile(paper)
	if !ok {
		var names []string
		for _, b := range escpos.Profiles() {
			names = append(names, b.Name)
		}
		return escpos.Profile{}, usagef("--paper %q: unknown paper or profile (built in: %s; add --config for a [[profile]])",
			paper, strings.Join(names, ", "))
	}
	return p, nil
}

func ticketRender(args []string, stdout, stderr io.Writer) error {
	fs := newFlags("ticket render", stderr)
	file := fs.String("order", "", "normalized order `FILE.json` (see README)")
	kind := fs.String("kind", "receipt", "ticket kind: receipt, kitchen, cancel or test (the printer test page)")
	paper := fs.String("paper", "80mm", "paper or printer profile: 58mm, 80mm, tm-t88, or a [[profile]] of --config")
	cfgPath := fs.String("config", "", "config `FILE` whose [[profile]] tables --paper may name")
	reprint := fs.Bool("reprint", false, "print the reprint mark")
	tmplPath := fs.String("template", "", "ticket template `FILE` instead of the built-in layout")
	logoPath := fs.String("logo", "", "PNG `FILE` printed at the top of receipts and for <LOGO>")
	out := fs.String("out", "", "write the ESC/POS bytes to `FILE.bin` instead of standard output")
	pngPath := fs.String("png", "", "also draw the ticket as a picture to `FILE.png` (then no bytes go to standard output without --out)")
	pos, err := parseMixed(fs, args)
	if err != nil {
		return err
	}
	if len(pos) > 0 {
		return usagef("unexpected argument %q", pos[0])
	}
	k := order.Kind(*kind)
	if !k.Valid() {
		return usagef("--kind %q: use receipt, kitchen, cancel or test", *kind)
	}
	if *file == "" && k != order.KindTest {
		return usagef("--order FILE.json is required")
	}
	prof, err := profileFlag(*paper, *cfgPath)
	if err != nil {
		return err
	}
	var logo *ticket.Logo
	if *logoPath != "" {
		raw, err := os.ReadFile(*logoPath)
		if err != nil {
			return usageError{err}
		}
		img, err := escpos.ReadPNG(raw)
		if err != nil {
			return usagef("%s: %w", *logoPath, err)
		}
		logo = ticket.NewLogo(img)
	}
	var b []byte
	if k == order.KindTest {
		b = ticket.TestPage(prof, "storeedge", time.Now())
	} else {
		raw, err := os.ReadFile(*file)
		if err != nil {
			return usageError{err}
		}
		o, err := order.DecodeBytes(raw)
		if err != nil {
			return usagef("%s: %w", *file, err)
		}
		t := ticket.Ticket{Order: o, Kind: k, Copy: 1, Copies: 1, Reprint: *reprint, PrintedAt: time.Now(), Logo: logo}
		if *tmplPath != "" {
			tp, err := ticket.LoadTemplate(*tmplPath)
			if err != nil {
				return usageError{err}
			}
			if b, err = tp.Render(t, prof); err != nil {
				var te *ticket.TemplateError
				if errors.As(err, &te) {
					return usageError{err}
				}
				return fmt.Errorf("%s: %w", *file, err)
			}
		} else if b, err = ticket.Render(t, prof); err != nil {
			return fmt.Errorf("%s: %w", *file, err)
		}
	}
	if *out != "" {
		if err := os.WriteFile(*out, b, 0o644); err != nil {
			return err
		}
	} else if *pngPath == "" {
		if _, err := stdout.Write(b); err != nil {
			return err
		}
	}
	if *pngPath != "" {
		return writePreview(*pngPath, b, prof, "", stderr)
	}
	return nil
}

// writePreview draws b for prof into the PNG file path, reporting unknown
// commands on stderr.
func writePreview(path string, b []byte, prof escpos.Profile, name string, stderr io.Writer) error {
	var buf bytes.Buffer
	err := escpos.PreviewPNG(&buf, b, prof)
	var ue *escpos.UnknownError
	if errors.As(err, &ue) {
		for _, c := range ue.Commands {
			fmt.Fprintf(stderr, "%s: unknown command %s\n", name, c)
		}
		err = nil
	}
	if buf.Len() > 0 {
		if werr := os.WriteFile(path, buf.Bytes(), 0o644); werr != nil {
			return werr
		}
	}
	if err != nil {
		if name != "" {
			return fmt.Errorf("%s: %w", name, err)
		}
		return err
	}
	return nil
}

func readInput(name string) ([]byte, error) {
	var raw []byte
	var err error
	if name == "-" {
		raw, err = io.ReadAll(os.Stdin)
	} else {
		raw, err = os.ReadFile(name)
	}
	if err != nil {
		return nil, usageError{err}
	}
	return raw, nil
}

func ticketPreview(args []string, stdout, stderr io.Writer) error {
	fs := newFlags("ticket preview", stderr)
	out := fs.String("out", "", "the picture's `FILE.png` (required)")
	paper := fs.String("paper", "80mm", "paper or printer profile the bytes were made for")
	cfgPath := fs.String("config", "", "config `FILE` whose [[profile]] tables --paper may name")
	pos, err := parseMixed(fs, args)
	if err != nil {
		return err
	}
	if len(pos) != 1 || *out == "" {
		return usagef("usage: storeedge ticket preview FILE.bin --out FILE.png [--paper PROFILE] (- reads standard input)")
	}
	prof, err := profileFlag(*paper, *cfgPath)
	if err != nil {
		return err
	}
	raw, err := readInput(pos[0])
	if err != nil {
		return err
	}
	if err := writePreview(*out, raw, prof, pos[0], stderr); err != nil {
		return err
	}
	fmt.Fprintf(stdout, "%s: picture of %s written to %s\n", pos[0], prof.Name, *out)
	return nil
}

func ticketText(args []string, stdout, stderr io.Writer) error {
	fs := newFlags("ticket text", stderr)
	pos, err := parseMixed(fs, args)
	if err != nil {
		return err
	}
	if len(pos) != 1 {
		return usagef("usage: storeedge ticket text FILE.bin (- for standard input)")
	}
	name := pos[0]
	raw, err := readInput(name)
	if err != nil {
		return err
	}
	doc, derr := escpos.Decode(raw)
	w := bufio.NewWriter(stdout)
	if doc != nil {
		for _, l := range doc.Text() {
			fmt.Fprintln(w, l)
		}
	}
	if err := w.Flush(); err != nil {
		return err
	}
	if doc != nil {
		for _, u := range doc.Unknown {
			fmt.Fprintf(stderr, "%s: unknown command %s\n", name, u)
		}
	}
	if derr != nil {
		return fmt.Errorf("%s: %w", name, derr)
	}
	return nil
}
