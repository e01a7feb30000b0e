// Command storeedge prints the online orders of a shop's stores on the shop's
// own printers and shows their state on a local status page.
package main

import (
	"errors"
	"fmt"
	"io"
	"os"
	"sort"
)

// exit codes
const (
	exitOK      = 0
	exitFailure = 1
	exitUsage   = 2 // bad flags, bad config, bad input file
)

// usageError makes main exit with exitUsage.
type usageError struct{ err error }

func (e usageError) Error() string { return e.err.Error() }
func (e usageError) Unwrap() error { return e.err }

func usagef(format string, a ...any) error { return usageError{fmt.Errorf(format, a...)} }

type command struct {
	summary string
	run     func(args []string, stdout, stderr io.Writer) error
}

// commands is filled by register calls in each command file's init.
var commands = map[string]command{}

func register(name, summary string, run func(args []string, stdout, stderr io.Writer) error) {
	if _, dup := commands[name]; dup {
		panic("command registered twice: " + name)
	}
	commands[name] = command{summary, run}
}

func main() {
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
}

func run(args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 || args[0] == "help" || args[0] == "-h" || args[0] == "--help" {
		usage(stdout)
		if len(args) == 0 {
			return exitUsage
		}
		return exitOK
	}
	cmd, ok := commands[args[0]]
	if !ok {
		fmt.Fprintf(stderr, "storeedge: unknown command %q\n\n", args[0])
		usage(stderr)
		return exitUsage
	}
	if err := cmd.run(args[1:], stdout, stderr); err != nil {
		if errors.Is(err, errHelp) {
			return exitOK
		}
		fmt.Fprintf(stderr, "storeedge %s: %v\n", args[0], err)
		var ue usageError
		if errors.As(err, &ue) {
			return exitUsage
		}
		return exitFailure
	}
	return exitOK
}

func usage(w io.Writer) {
	fmt.Fprintln(w, "storeedge: online orders to the store's printers, with a live status page.")
	fmt.Fprintln(w, "\nUsage: storeedge <command> [flags]\n\nCommands:")
	names := make([]string, 0, len(commands))
	for n := range commands {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		fmt.Fprintf(w, "  %-13s %s\n", n, commands[n].summary)
	}
	fmt.Fprintln(w, "\nRun 'storeedge <command> -h' for a command's flags.")
}
