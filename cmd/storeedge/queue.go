package main

import (
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"path/filepath"
	"strings"
	"text/tabwriter"
	"time"

	"storeedge/agent"
	"storeedge/agent/api"
	"storeedge/agent/config"
	"storeedge/queue"
)

func init() {
	register("queue", "list and fix print jobs: queue ls|show|retry|release|drop|reprint", cmdQueue)
}

const queueUsage = `usage: storeedge queue <command> --config FILE [flags] [JOB-ID]

  ls       [--state held,dead,...] [--printer NAME] [--limit N] [--newest] [--json]
  show     JOB-ID [--json]
  retry    JOB-ID                    put a dead or dropped job back in its lane; release a held one
  release  JOB-ID                    print a held job (with the reprint mark)
  drop     JOB-ID [--reason TEXT]    take a pending, held or dead job out for good
  reprint  JOB-ID [--printer NAME]   print a done, dead or dropped job again (with the reprint mark)

It works on a stopped agent by opening its queue, and on a running one
through its local API (the config's status_listen and status_token).`

func cmdQueue(args []string, stdout, stderr io.Writer) error {
	if len(args) == 0 || args[0] == "-h" || args[0] == "--help" || args[0] == "help" {
		fmt.Fprintln(stdout, queueUsage)
		if len(args) == 0 {
			return usagef("a queue command is required")
		}
		return errHelp
	}
	sub := args[0]
	fs := newFlags("queue "+sub, stderr)
	cfgPath := fs.String("config", "", "config `FILE` (TOML)")
	asJSON := fs.Bool("json", false, "print JSON")
	var (
		states, printerName, reason *string
		limit                       *int
		newest                      *bool
	)
	needID := true
	switch sub {
	case "ls":
		needID = false
		states = fs.String("state", "", "only jobs in these `STATES` (comma-separated: pending, inflight, held, done, dead, dropped)")
		printerName = fs.String("printer", "", "only jobs of printer `NAME`")
		limit = fs.Int("limit", api.DefaultLimit, "at most `N` jobs")
		newest = fs.Bool("newest", false, "most recently changed first (default: enqueue order)")
	case "show", "retry", "release":
	case "drop":
		reason = fs.String("reason", "", "why the job is dropped (recorded with it)")
	case "reprint":
		printerName = fs.String("printer", "", "print on printer `NAME` instead of the job's own")
	default:
		fmt.Fprintln(stderr, queueUsage)
		return usagef("unknown queue command %q", sub)
	}
	// Flags may come before or after the job id.
	rest := args[1:]
	var id string
	if err := fs.Parse(rest); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return errHelp
		}
		return usageError{err}
	}
	if fs.NArg() > 0 {
		id = fs.Arg(0)
		if err := parseFlags(fs, fs.Args()[1:]); err != nil {
			return err
		}
	}
	switch {
	case needID && id == "":
		return usagef("queue %s: a JOB-ID is required", sub)
	case !needID && id != "":
		return usagef("queue %s: unexpected argument %q", sub, id)
	}
	cfg, err := loadConfig(*cfgPath)
	if err != nil {
		return err
	}
	b, closeFn, err := queueBackend(cfg)
	if err != nil {
		return err
	}
	defer closeFn()

	var j api.Job
	switch sub {
	case "ls":
		q := api.Query{Printer: *printerName, Limit: *limit, Newest: *newest}
		for _, s := range strings.Split(*states, ",") {
			if s = strings.TrimSpace(s); s != "" {
				q.States = append(q.States, s)
			}
		}
		if q.Limit < 0 {
			return usagef("--limit %d: must not be negative", q.Limit)
		}
		jobs, err := b.List(q)
		if err != nil {
			return queueErr(err)
		}
		if *asJSON {
			return writeJSONOut(stdout, api.ListResponse{Jobs: jobs})
		}
		printJobs(stdout, jobs)
		return nil
	case "show":
		j, err = b.Get(id)
	case "retry":
		j, err = b.Retry(id)
	case "release":
		j, err = b.Release(id)
	case "drop":
		j, err = b.Drop(id, *reason)
	case "reprint":
		j, err = b.Reprint(id, *printerName)
	}
	if err != nil {
		return queueErr(err)
	}
	if *asJSON {
		return writeJSONOut(stdout, j)
	}
	if sub != "show" {
		fmt.Fprintf(stdout, "%s: job %s is now %s on printer %s\n", sub, j.ID, j.State, j.Printer)
		return nil
	}
	printJob(stdout, j)
	return nil
}

// queueErr makes a bad job id or a bad filter a usage error (exit 2).
func queueErr(err error) error {
	if errors.Is(err, api.ErrBadInput) {
		return usageError{err}
	}
	return err
}

// queueBackend opens the queue of a stopped agent, or talks to a running
// one (whose lock on the queue tells it is running) through its local API.
func queueBackend(cfg *config.Config) (api.Backend, func(), error) {
	path := filepath.Join(cfg.Agent.DataDir, agent.QueueFile)
	q, err := queue.Open(path, queue.Options{LockWait: 300 * time.Millisecond, HoldUncertain: cfg.Agent.Uncertain == "hold"})
	if err == nil {
		names := make([]string, 0, len(cfg.Printers))
		for _, p := range cfg.Printers {
			names = append(names, p.Name)
		}
		return api.Local{Queue: q, Printers: names}, func() { q.Close() }, nil
	}
	if !errors.Is(err, queue.ErrLocked) {
		return nil, nil, err
	}
	host, port, serr := net.SplitHostPort(cfg.Agent.StatusListen)
	if serr != nil {
		return nil, nil, fmt.Errorf("the agent is running, but status_listen %q is not host:port: %w", cfg.Agent.StatusListen, serr)
	}
	if ip := net.ParseIP(host); host == "" || (ip != nil && ip.IsUnspecified()) {
		host = "127.0.0.1"
	}
	return &api.Client{Base: "http://" + net.JoinHostPort(host, port), Token: cfg.Agent.StatusToken}, func() {}, nil
}

func writeJSONOut(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(v)
}

func printJobs(w io.Writer, jobs []api.Job) {
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "ID\tPRINTER\tSTATE\tATTEMPTS\tUPDATED\tNOTE")
	for _, j := range jobs {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%d\t%s\t%s\n", j.ID, j.Printer, j.State, j.Attempts,
			j.Updated.Local().Format("2006-01-02 15:04:05"), note(j))
	}
	tw.Flush()
	if len(jobs) == 0 {
		fmt.Fprintln(w, "(no jobs)")
	}
}

func note(j api.Job) string {
	var parts []string
	if j.Uncertain {
		parts = append(parts, "reprint mark")
	}
	if j.LastError != "" {
		parts = append(parts, j.LastError)
	}
	return strings.Join(parts, "; ")
}

func printJob(w io.Writer, j api.Job) {
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	row := func(k string, v any) { fmt.Fprintf(tw, "%s:\t%v\n", k, v) }
	row("id", j.ID)
	row("printer", j.Printer)
	row("state", j.State)
	row("attempts", j.Attempts)
	row("reprint mark", j.Uncertain)
	row("enqueued", j.Enqueued.Local().Format(time.RFC3339))
	row("updated", j.Updated.Local().Format(time.RFC3339))
	if !j.NextTry.IsZero() {
		row("next try", j.NextTry.Local().Format(time.RFC3339))
	}
	if j.LastError != "" {
		row("last error", j.LastError)
	}
	if j.OrderID != "" {
		row("store", j.Store)
		row("order", j.OrderID)
		row("event", j.Event)
		row("ticket", fmt.Sprintf("%s, copy %d of %d", j.Kind, j.Copy, j.Copies))
	}
	row("payload", fmt.Sprintf("%d bytes", j.Bytes))
	tw.Flush()
}
