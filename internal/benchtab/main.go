// Command benchtab turns the output of `go test -bench` (plain or -json)
// into one Markdown table of storeedge's figures: what, value, unit, the
// product's target where it has one and whether it is met, followed by a
// line describing the machine. With -readme it also writes the table
// between the markers of a README.
//
//	go test -run '^$' -bench . -benchmem ./... > bench.txt
//	go run ./internal/benchtab [-readme README.md] bench.txt
//
// It exits with status 1, and leaves the README as it was, when a figure
// the table always shows has no result (its benchmark failed or did not
// run); the table is printed anyway.
package main

import (
	"bytes"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"
)

func main() {
	if err := run(os.Args[1:], os.Stdin, os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "benchtab:", err)
		os.Exit(1)
	}
}

func run(args []string, stdin io.Reader, stdout io.Writer) error {
	fs := flag.NewFlagSet("benchtab", flag.ContinueOnError)
	readme := fs.String("readme", "", "also write the table between the bench markers of this `FILE`")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() > 1 {
		return errors.New("usage: benchtab [-readme FILE] [BENCH-OUTPUT]")
	}
	in := stdin
	if fs.NArg() == 1 && fs.Arg(0) != "-" {
		f, err := os.Open(fs.Arg(0))
		if err != nil {
			return err
		}
		defer f.Close()
		in = f
	}
	rep, err := Parse(in)
	if err != nil {
		return err
	}
	lines, missing := Build(rep)
	var table bytes.Buffer
	if err := Write(&table, lines, ThisMachine(rep.CPU).String()); err != nil {
		return err
	}
	if _, err := stdout.Write(table.Bytes()); err != nil {
		return err
	}
	if len(missing) > 0 {
		if *readme != "" {
			return fmt.Errorf("no result for %s; %s left as it was", strings.Join(missing, ", "), *readme)
		}
		return fmt.Errorf("no result for %s", strings.Join(missing, ", "))
	}
	if *readme != "" {
		return WriteReadme(*readme, table.Bytes())
	}
	return nil
}
