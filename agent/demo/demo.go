// Package demo runs storeedge end to end on one machine: the upstream simulator
// on loopback as the platform, the agent configured for two of its three
// stores, and one file printer per store in the data directory.
package demo

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"storeedge/agent"
	"storeedge/agent/config"
	"storeedge/sync/sim"
)

// Options configure a demo run.
type Options struct {
	DataDir         string
	Listen          string  // status page address
	OrdersPerMinute float64 // across the simulator's three stores
	Logger          *slog.Logger
	Out             io.Writer // where the URL and printer paths are announced
	Version         string
	Seed            int64
}

// Stores is how many of the simulator's stores the demo agent serves.
const Stores = 2

// The demo shop's credentials on the simulator.
const (
	clientID     = "demo-client"
	clientSecret = "demo-secret"
	kdtID        = "90001"
)

// Run starts the simulator and the agent and runs both until ctx ends.
func Run(ctx context.Context, opt Options) error {
	if opt.Logger == nil {
		opt.Logger = slog.New(slog.DiscardHandler)
	}
	if opt.Out == nil {
		opt.Out = io.Discard
	}
	if opt.Seed == 0 {
		opt.Seed = time.Now().UnixNano()
	}
	dataDir, err := filepath.Abs(opt.DataDir)
	if err != nil {
		return fmt.Errorf("data dir: %w", err)
	}
	if err := os.MkdirAll(dataDir, 0o750); err != nil {
		return fmt.Errorf("data dir: %w", err)
	}

	s := sim.New(sim.Options{ClientID: clientID, ClientSecret: clientSecret, KdtID: kdtID, OrdersPerMinute: opt.OrdersPerMinute, Seed: opt.Seed, Logger: opt.Logger.With("part", "simulator")})
	simLn, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return fmt.Errorf("simulator listener: %w", err)
	}
	simSrv := &http.Server{Handler: s.Handler(), ReadHeaderTimeout: 10 * time.Second}

	cfgPath := filepath.Join(dataDir, "demo.toml")
	if err := os.WriteFile(cfgPath, []byte(Config("http://"+simLn.Addr().String(), dataDir, opt.Listen, s.Stores())), 0o600); err != nil {
		simLn.Close()
		return fmt.Errorf("write demo config: %w", err)
	}
	cfg, err := config.Load(cfgPath)
	if err != nil {
		simLn.Close()
		return err
	}
	a, err := agent.New(cfg, agent.Options{Logger: opt.Logger, Version: opt.Version})
	if err != nil {
		simLn.Close()
		return err
	}

	fmt.Fprintf(opt.Out, "storeedge demo\n")
	fmt.Fprintf(opt.Out, "  status page:  %s\n", a.StatusURL())
	fmt.Fprintf(opt.Out, "  status API:   %sapi/v1/status\n", a.StatusURL())
	fmt.Fprintf(opt.Out, "  simulator:    http://%s (Youzan API, %d stores, %.1f orders/min)\n", simLn.Addr(), len(s.Stores()), opt.OrdersPerMinute)
	fmt.Fprintf(opt.Out, "  config:       %s\n", cfgPath)
	fmt.Fprintf(opt.Out, "  queue:        %s\n", filepath.Join(dataDir, agent.QueueFile))
	for _, p := range cfg.Printers {
		fmt.Fprintf(opt.Out, "  printer %-8s %s\n", p.Name+":", filepath.Join(dataDir, p.URI.Path))
	}
	fmt.Fprintf(opt.Out, "  read a printer's paper with: storeedge ticket text FILE\n")
	fmt.Fprintf(opt.Out, "Ctrl-C stops.\n")

	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	var wg sync.WaitGroup
	errc := make(chan error, 3)
	wg.Add(3)
	go func() {
		defer wg.Done()
		if err := simSrv.Serve(simLn); err != nil && !errors.Is(err, http.ErrServerClosed) {
			errc <- fmt.Errorf("simulator: %w", err)
			cancel()
		}
	}()
	go func() {
		defer wg.Done()
		if err := s.Run(ctx); err != nil && ctx.Err() == nil {
			errc <- fmt.Errorf("simulator: %w", err)
			cancel()
		}
	}()
	go func() {
		defer wg.Done()
		if err := a.Run(ctx); err != nil {
			errc <- err
		}
		cancel()
	}()
	<-ctx.Done()
	shut, done := context.WithTimeout(context.Background(), 3*time.Second)
	defer done()
	simSrv.Shutdown(shut)
	wg.Wait()
	close(errc)
	return <-errc
}

// Config is the demo's config file: the first Stores of the simulator's stores,
// each with its own file printer for receipts and kitchen tickets.
func Config(simURL, dataDir, listen string, stores []sim.Store) string {
	var b strings.Builder
	fmt.Fprintf(&b, "# storeedge demo: written by `storeedge demo`, loaded like any config.\n")
	fmt.Fprintf(&b, "[agent]\ndata_dir = %q\nstatus_listen = %q\n\n", dataDir, listen)
	fmt.Fprintf(&b, "[[platform]]\nname = \"youzan\"\ntype = \"youzan\"\nbase_url = %q\n", simURL)
	fmt.Fprintf(&b, "client_id = %q\nclient_secret = %q\ngrant_id = %q\npoll = \"2s\"\noverlap = \"2m\"\nlookback = \"10m\"\n\n",
		clientID, clientSecret, kdtID)
	n := min(Stores, len(stores))
	for i, st := range stores[:n] {
		fmt.Fprintf(&b, "[[store]]\nid = %q\nname = %q\nplatform = \"youzan\"\n\n", st.ID, st.Name)
		fmt.Fprintf(&b, "[[printer]]\nname = \"store%d\"\nuri = \"file://printers/store%d-%s.bin\"\npaper = \"80mm\"\n\n", i+1, i+1, st.ID)
	}
	for i, st := range stores[:n] {
		for _, kind := range []string{"receipt", "kitchen", "cancel"} {
			fmt.Fprintf(&b, "[[binding]]\nstore = %q\nticket = %q\nprinters = [\"store%d\"]\ncopies = 1\n\n", st.ID, kind, i+1)
		}
	}
	return b.String()
}
