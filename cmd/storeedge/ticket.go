package main

import (
	"bufio"
	"fmt"
	"io"
	"os"
	"time"

	"storeedge/printer/escpos"
	"storeedge/printer/ticket"
	"storeedge/sync/order"
)

func init() {
	register("ticket", "render ESC/POS tickets and read them back as text", cmdTicket)
}

func cmdTicket(args []string, stdout, stderr io.Writer) error {
	if len(args) == 0 {
		return usagef("usage: storeedge ticket render --order FILE.json --kind receipt|kitchen|cancel --paper 58mm|80mm\n" +
			"       storeedge ticket text FILE.bin")
	}
	switch args[0] {
	case "render":
		return ticketRender(args[1:], stdout, stderr)
	case "text":
		return ticketText(args[1:], stdout, stderr)
	}
	return usagef("unknown ticket command %q (render, text)", args[0])
}

func ticketRender(args []string, stdout, stderr io.Writer) error {
	fs := newFlags("ticket render", stderr)
	file := fs.String("order", "", "normalized order `FILE.json` (see README)")
	kind := fs.String("kind", "receipt", "ticket kind: receipt, kitchen or cancel")
	paper := fs.String("paper", "80mm", "paper or printer profile: 58mm, 80mm, tm-t88")
	reprint := fs.Bool("reprint", false, "print the reprint mark")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if *file == "" {
		return usagef("--order FILE.json is required")
	}
	k := order.Kind(*kind)
	if !k.Valid() || k == order.KindTest {
		return usagef("--kind %q: use receipt, kitchen or cancel", *kind)
	}
	prof, ok := escpos.LookupProfile(*paper)
	if !ok {
		return usagef("--paper %q: unknown paper or profile", *paper)
	}
	raw, err := os.ReadFile(*file)
	if err != nil {
		return usageError{err}
	}
	o, err := order.DecodeBytes(raw)
	if err != nil {
		return usagef("%s: %w", *file, err)
	}
	b, err := ticket.Render(ticket.Ticket{Order: o, Kind: k, Copy: 1, Copies: 1, Reprint: *reprint, PrintedAt: time.Now()}, prof)
	if err != nil {
		return fmt.Errorf("%s: %w", *file, err)
	}
	_, err = stdout.Write(b)
	return err
}

func ticketText(args []string, stdout, stderr io.Writer) error {
	fs := newFlags("ticket text", stderr)
	if err := fs.Parse(args); err != nil {
		return usageError{err}
	}
	if fs.NArg() != 1 {
		return usagef("usage: storeedge ticket text FILE.bin (- for standard input)")
	}
	name := fs.Arg(0)
	var raw []byte
	var err error
	if name == "-" {
		raw, err = io.ReadAll(os.Stdin)
	} else {
		raw, err = os.ReadFile(name)
	}
	if err != nil {
		return usageError{err}
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
