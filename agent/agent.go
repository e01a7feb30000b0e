// Package agent wires storeedge together from a config: the queue, one worker
// per printer, one pull loop per platform, and the status server; and runs them
// until the context ends, draining the printers before it returns.
package agent

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"path/filepath"
	"sync"
	"time"

	"storeedge/agent/config"
	"storeedge/agent/status"
	"storeedge/printer"
	"storeedge/printer/escpos"
	"storeedge/printer/ticket"
	"storeedge/queue"
	"storeedge/sync/order"
	"storeedge/sync/orders"
	"storeedge/sync/youzan"

	// Transports compiled into every build.
	_ "storeedge/printer/file"
	_ "storeedge/printer/tcp"
)

// QueueFile is the queue database's name inside the data directory.
const QueueFile = "queue.db"

// Options are what the agent needs beyond its config.
type Options struct {
	Logger     *slog.Logger
	Version    string
	Now        func() time.Time
	HTTPClient *http.Client // for platform calls; nil = each client's default
	// Listener, when set, serves the status page instead of listening on
	// the config's status_listen (tests pass 127.0.0.1:0).
	Listener net.Listener
	// QueueNoSync skips fsync in the queue: tests only.
	QueueNoSync bool
}

// Agent is one running storeedge.
type Agent struct {
	cfg     *config.Config
	opt     Options
	log     *slog.Logger
	q       *queue.Queue
	table   *printer.Table
	workers []*printer.Worker
	conns   map[string]printer.Transport
	pollers []*platform
	status  *status.Server
	ln      net.Listener
	notify  *notifier
	started time.Time
}

type platform struct {
	cfg    config.Platform
	poller *orders.Poller
}

// New builds the agent: it opens the queue (failing clearly when another
// process holds it), the printer transports and the platform clients, and
// binds the status listener. Nothing runs until Run.
func New(cfg *config.Config, opt Options) (_ *Agent, err error) {
	if err := Check(cfg); err != nil {
		return nil, err
	}
	if opt.Logger == nil {
		opt.Logger = slog.New(slog.DiscardHandler)
	}
	if opt.Now == nil {
		opt.Now = time.Now
	}
	a := &Agent{cfg: cfg, opt: opt, log: opt.Logger, conns: map[string]printer.Transport{}, notify: newNotifier(), started: opt.Now()}
	defer func() {
		if err != nil {
			a.close()
		}
	}()

	a.q, err = queue.Open(filepath.Join(cfg.Agent.DataDir, QueueFile), queue.Options{
		Logger: opt.Logger.With("part", "queue"), NoSync: opt.QueueNoSync,
	})
	if err != nil {
		return nil, fmt.Errorf("open queue in %s: %w", cfg.Agent.DataDir, err)
	}

	var bs []printer.Binding
	for _, b := range cfg.Bindings {
		bs = append(bs, printer.Binding{Store: b.Store, Kind: order.Kind(b.Ticket), Printers: b.Printers, Copies: b.Copies, Backup: b.Backup})
	}
	if a.table, err = printer.NewTable(bs); err != nil {
		return nil, fmt.Errorf("binding table: %w", err)
	}

	for _, pc := range cfg.Printers {
		prof, ok := escpos.LookupProfile(pc.Paper)
		if !ok {
			return nil, fmt.Errorf("printer %q: unknown paper or profile %q", pc.Name, pc.Paper)
		}
		conn, err := printer.Open(pc.URI, printer.OpenOptions{DataDir: cfg.Agent.DataDir, Logger: opt.Logger.With("printer", pc.Name)})
		if err != nil {
			return nil, fmt.Errorf("printer %q: %w", pc.Name, err)
		}
		a.conns[pc.Name] = conn
		w, err := printer.NewWorker(printer.WorkerOptions{
			Name:      pc.Name,
			Transport: conn,
			Queue:     a.q,
			Render:    a.renderer(prof),
			Logger:    opt.Logger,
			OnChange:  a.notify.Signal,
		})
		if err != nil {
			return nil, err
		}
		a.workers = append(a.workers, w)
	}

	for _, pc := range cfg.Platforms {
		src, err := newSource(pc, opt)
		if err != nil {
			return nil, fmt.Errorf("platform %q: %w", pc.Name, err)
		}
		var stores []orders.Store
		for _, s := range cfg.Stores {
			if s.Platform == pc.Name {
				stores = append(stores, orders.Store{ID: s.ID, Name: s.Name})
			}
		}
		p, err := orders.New(orders.Options{
			Platform: pc.Name, Type: pc.Type, Source: src, Stores: stores,
			Queue: a.q, Router: a.table, Logger: opt.Logger, Now: opt.Now,
			Interval: pc.Poll, Overlap: pc.Overlap, Lookback: pc.Lookback,
			OnChange: a.notify.Signal, EventPrefix: printer.EventPrefix,
		})
		if err != nil {
			return nil, fmt.Errorf("platform %q: %w", pc.Name, err)
		}
		a.pollers = append(a.pollers, &platform{cfg: pc, poller: p})
	}

	a.ln = opt.Listener
	if a.ln == nil {
		if a.ln, err = net.Listen("tcp", cfg.Agent.StatusListen); err != nil {
			return nil, fmt.Errorf("status page on %s: %w", cfg.Agent.StatusListen, err)
		}
	}
	a.status, err = status.New(a, status.Options{
		Token:    cfg.Agent.StatusToken,
		Logger:   opt.Logger.With("part", "status"),
		Loopback: isLoopback(a.ln.Addr()),
	})
	if err != nil {
		return nil, err
	}
	return a, nil
}

// newSource makes the client for one platform type.
func newSource(pc config.Platform, opt Options) (orders.Source, error) {
	switch pc.Type {
	case "youzan":
		return youzan.New(youzan.Config{
			Name: pc.Name, BaseURL: pc.BaseURL, ClientID: pc.ClientID, ClientSecret: pc.ClientSecret,
			GrantID: pc.GrantID, HTTPClient: opt.HTTPClient, Logger: opt.Logger.With("platform", pc.Name), Now: opt.Now,
		})
	}
	return nil, fmt.Errorf("platform type %q is not supported by this build", pc.Type)
}

func isLoopback(addr net.Addr) bool {
	ta, ok := addr.(*net.TCPAddr)
	return ok && ta.IP.IsLoopback()
}

// renderer renders a leased job with the printer's profile. A job that was in
// flight when the process stopped (Uncertain) carries the reprint mark.
func (a *Agent) renderer(prof escpos.Profile) printer.RenderFunc {
	return func(job queue.Job, p printer.Payload) ([]byte, error) {
		name := p.Order.StoreName
		if s, ok := a.cfg.StoreByID(p.Order.StoreID); ok && s.Name != "" {
			name = s.Name
		}
		return ticket.Render(ticket.Ticket{
			Order: &p.Order, Kind: p.Kind, Copy: p.Copy, Copies: p.Copies,
			Reprint: job.Uncertain, IntendedPrinter: p.Intended,
			PrintedAt: a.opt.Now(), StoreName: name,
		}, prof)
	}
}

// StatusURL is where the status page is served.
func (a *Agent) StatusURL() string { return "http://" + a.ln.Addr().String() + "/" }

// Queue gives the agent's queue (tests and the CLI).
func (a *Agent) Queue() *queue.Queue { return a.q }

// Changed is closed whenever something the status page shows changed.
func (a *Agent) Changed() <-chan struct{} { return a.notify.Changed() }

// Run runs every part until ctx ends, then stops taking new work, lets each
// printer finish the job it is writing, and closes the queue.
func (a *Agent) Run(ctx context.Context) error {
	defer a.close()
	a.log.Info("storeedge running", "version", a.opt.Version, "data_dir", a.cfg.Agent.DataDir,
		"status", a.StatusURL(), "printers", len(a.workers), "platforms", len(a.pollers), "stores", len(a.cfg.Stores))

	runCtx, cancel := context.WithCancel(ctx)
	defer cancel()
	var wg sync.WaitGroup
	errc := make(chan error, 1)
	fail := func(err error) {
		select {
		case errc <- err:
		default:
		}
		cancel()
	}
	goRun := func(name string, run func(context.Context) error) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if err := run(runCtx); err != nil && runCtx.Err() == nil {
				fail(fmt.Errorf("%s: %w", name, err))
			}
		}()
	}
	for _, w := range a.workers {
		goRun("printer "+w.Name(), w.Run)
	}
	for _, p := range a.pollers {
		goRun("platform "+p.cfg.Name, p.poller.Run)
	}
	goRun("status hub", a.status.Run)
	goRun("queue watch", a.watchQueue)

	srv := &http.Server{Handler: a.status.Handler(), ReadHeaderTimeout: 10 * time.Second}
	wg.Add(1)
	go func() {
		defer wg.Done()
		if err := srv.Serve(a.ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			fail(fmt.Errorf("status server: %w", err))
		}
	}()

	<-runCtx.Done()
	a.log.Info("stopping: finishing jobs in progress")
	shutCtx, shutCancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer shutCancel()
	if err := srv.Shutdown(shutCtx); err != nil {
		srv.Close()
	}
	wg.Wait()
	a.log.Info("stopped")
	select {
	case err := <-errc:
		return err
	default:
		return nil
	}
}

// watchQueue forwards queue changes to the status page.
func (a *Agent) watchQueue(ctx context.Context) error {
	for {
		select {
		case <-ctx.Done():
			return nil
		case <-a.q.Changed():
			a.notify.Signal()
		}
	}
}

func (a *Agent) close() {
	for name, c := range a.conns {
		if err := c.Close(); err != nil {
			a.log.Warn("close printer", "printer", name, "err", err)
		}
	}
	if a.q != nil {
		if err := a.q.Close(); err != nil {
			a.log.Error("close queue", "err", err)
		}
		a.q = nil
	}
	if a.ln != nil && a.opt.Listener == nil {
		a.ln.Close()
	}
}
