package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"strings"
	"time"

	"storeedge/sync/sim"
)

func init() {
	register("sim", "run the upstream simulator (Youzan, Wangdiantong, Hiding) on its own", cmdSim)
}

// Credentials of the standalone simulator.
const (
	simClientID     = "demo-client"
	simClientSecret = "demo-secret"
	simKdtID        = "90001"
)

func cmdSim(args []string, stdout, stderr io.Writer) error {
	ctx, stop := signalContext()
	defer stop()
	return runSim(ctx, args, stdout, stderr)
}

// runSim runs the simulator until ctx ends.
func runSim(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlags("sim", stderr)
	listen := fs.String("listen", "127.0.0.1:8724", "`ADDR` to serve on (port 0 picks a free one)")
	stores := fs.Int("stores", 3, "number of stores (outlets, or branches with --chain)")
	chain := fs.Bool("chain", false, "a Youzan retail chain: stores are branches with kdt_ids and tokens of their own")
	rate := fs.Float64("orders-per-minute", 6, "new orders per minute across the stores")
	cancel := fs.Float64("cancel-rate", 0.05, "share of paid orders refunded and closed later, 0 to 1")
	seed := fs.Int64("seed", 1, "seed of the order generator")
	lag := fs.Duration("lag", 0, "orders show in the order lists this long after they change (the platform's lag)")
	pushURL := fs.String("push-url", "", "send a signed Youzan push message to `URL` for every order change")
	level := fs.String("log-level", "info", "debug, info, warn or error")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	switch {
	case *stores < 1 || *stores > sim.MaxStores:
		return usagef("--stores %d: must be 1 to %d", *stores, sim.MaxStores)
	case *rate < 0:
		return usagef("--orders-per-minute %v: must not be negative", *rate)
	case *cancel < 0 || *cancel > 1:
		return usagef("--cancel-rate %v: must be 0 to 1", *cancel)
	case *lag < 0:
		return usagef("--lag %v: must not be negative", *lag)
	}
	if *pushURL != "" {
		if u, err := url.Parse(*pushURL); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			return usagef("--push-url %q: not an http:// or https:// URL", *pushURL)
		}
	}
	st, err := sim.MakeStores(*stores, *chain)
	if err != nil {
		return usageError{err}
	}
	cr := *cancel
	if cr == 0 {
		cr = -1 // none; the simulator's zero means its default
	}
	log := newLogger(stderr, *level)
	s := sim.New(sim.Options{Stores: st, KdtID: simKdtID, Chain: *chain, ClientID: simClientID, ClientSecret: simClientSecret,
		OrdersPerMinute: *rate, CancelRate: cr, Seed: *seed, PushURL: *pushURL, Logger: log.With("part", "simulator")})
	s.SetLag(*lag)
	ln, err := net.Listen("tcp", *listen)
	if err != nil {
		return fmt.Errorf("listen on %s: %w", *listen, err)
	}
	base := "http://" + ln.Addr().String()
	printSim(stdout, base, s, *rate, *chain, *pushURL)

	srv := &http.Server{Handler: s.Handler(), ReadHeaderTimeout: 10 * time.Second}
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	runCtx, cancelRun := context.WithCancel(ctx)
	defer cancelRun()
	done := make(chan error, 1)
	go func() { done <- s.Run(runCtx) }()
	select {
	case <-ctx.Done():
		err = nil
	case err = <-errc:
	}
	shut, shutCancel := context.WithTimeout(context.Background(), 3*time.Second)
	defer shutCancel()
	if serr := srv.Shutdown(shut); serr != nil {
		srv.Close()
	}
	cancelRun()
	<-done
	if err != nil && !errors.Is(err, http.ErrServerClosed) {
		return fmt.Errorf("simulator on %s: %w", ln.Addr(), err)
	}
	return nil
}

// printSim says where the simulator is, its credentials and the
// [[platform]] tables that use it.
func printSim(w io.Writer, base string, s *sim.Sim, rate float64, chain bool, pushURL string) {
	mode := "multi_outlet"
	kind := "outlets by offline_id"
	if chain {
		mode, kind = "chain", "branches by kdt_id"
	}
	fmt.Fprintln(w, "storeedge sim")
	fmt.Fprintf(w, "  url:           %s\n", base)
	fmt.Fprintf(w, "  orders:        %.1f per minute\n", rate)
	fmt.Fprintf(w, "  youzan:        client_id %s, client_secret %s, grant_id %s, mode %s\n", simClientID, simClientSecret, simKdtID, mode)
	fmt.Fprintf(w, "  wangdiantong:  base_url %s/openapi2, sid demo-sid, appkey demo-appkey, appsecret demo-appsecret\n", base)
	if pushURL != "" {
		fmt.Fprintf(w, "  push to:       %s\n", pushURL)
	}
	fmt.Fprintf(w, "  admin:         %s/admin/trades, /admin/stores, /admin/faults, /admin/scenario, /admin/calls\n", base)
	fmt.Fprintf(w, "  stores, %s:\n", kind)
	for _, st := range s.Stores() {
		fmt.Fprintf(w, "    %s  %s  %s\n", st.ID, st.Name, st.Address)
	}
	fmt.Fprintln(w, "\n# [[platform]] tables for a config that uses this simulator:")
	fmt.Fprintf(w, "[[platform]]\nname = \"youzan\"\ntype = \"youzan\"\nbase_url = %q\nclient_id = %q\nclient_secret = %q\ngrant_id = %q\nmode = %q\n",
		base, simClientID, simClientSecret, simKdtID, mode)
	fmt.Fprintf(w, "\n[[platform]]\nname = \"wdt\"\ntype = \"wdt\"\nbase_url = %q\nsid = \"demo-sid\"\nappkey = \"demo-appkey\"\nappsecret = \"demo-appsecret\"\n",
		strings.TrimRight(base, "/")+"/openapi2")
}
