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
	"net/url"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"storeedge/agent/actions"
	"storeedge/agent/config"
	"storeedge/agent/orderapi"
	"storeedge/agent/status"
	"storeedge/printer"
	"storeedge/printer/escpos"
	"storeedge/printer/ticket"
	"storeedge/queue"
	"storeedge/sync/order"
	"storeedge/sync/orders"
	"storeedge/sync/push"
	"storeedge/sync/wdt"
	"storeedge/sync/youzan"

	// Printer transports. usb:// needs cgo and spool:// Windows; builds
	// without them say so when a config asks for them.
	_ "storeedge/printer/file"
	_ "storeedge/printer/serial"
	_ "storeedge/printer/spool"
	_ "storeedge/printer/tcp"
	_ "storeedge/printer/usb"
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
	stock   *stockPart // nil without [[reporter]]
	status  *status.Server
	actions *actions.Actions
	today   todayCounter // tickets printed today, for the status page
	ln      net.Listener
	notify  *notifier
	started time.Time
	// templates are the user ticket templates by file; logos the receipt
	// logos by printer.
	templates map[string]*ticket.Template
	logos     map[string]*ticket.Logo
}

type platform struct {
	cfg    config.Platform
	poller *orders.Poller
	push   *push.Receiver // nil without push_listen
	pushLn net.Listener
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
		HoldUncertain: cfg.Agent.Uncertain == "hold", MoveAsideCorrupt: true,
		KeepDone: cfg.Agent.KeepDone, DedupeFor: cfg.Agent.DedupeFor,
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
		prof, ok := cfg.Profile(pc.Paper)
		if !ok {
			return nil, fmt.Errorf("printer %q: unknown paper or profile %q", pc.Name, pc.Paper)
		}
		if err := a.loadTicketFiles(pc); err != nil {
			return nil, err
		}
		conn, err := printer.Open(pc.URI, printer.OpenOptions{DataDir: cfg.Agent.DataDir, Logger: opt.Logger.With("printer", pc.Name)})
		if err != nil {
			return nil, fmt.Errorf("printer %q: %w", pc.Name, err)
		}
		a.conns[pc.Name] = conn
		w, err := printer.NewWorker(printer.WorkerOptions{
			Name:      pc.Name,
			Link:      pc.URI.Raw,
			Transport: conn,
			Queue:     a.q,
			Render:    a.renderer(prof, pc),
			Logger:    opt.Logger,
			OnChange:  a.notify.Signal,
			Now:       opt.Now,
			// A printer that needs a person for longer than failover_after
			// hands its waiting jobs to its binding's backup, if that one
			// can print; the ticket then names the printer it was meant for.
			FailoverAfter: cfg.Agent.FailoverAfter,
			Failover:      a.failover(),
		})
		if err != nil {
			return nil, err
		}
		a.workers = append(a.workers, w)
	}

	for _, pc := range cfg.Platforms {
		src, err := newSource(pc, branchGrants(cfg, pc), opt)
		if err != nil {
			return nil, fmt.Errorf("platform %q: %w", pc.Name, err)
		}
		var stores []orders.Store
		for _, s := range cfg.Stores {
			if s.Platform == pc.Name {
				st := orders.Store{ID: s.ID, Name: s.Name}
				if pc.Type == "wdt" && s.ShopNo != s.ID {
					st.Key = s.ShopNo
				}
				stores = append(stores, st)
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
		pl := &platform{cfg: pc, poller: p}
		a.pollers = append(a.pollers, pl)
		if pc.PushListen != "" {
			if err := a.listenPush(pl); err != nil {
				return nil, fmt.Errorf("platform %q: %w", pc.Name, err)
			}
		}
	}

	a.ln = opt.Listener
	if a.ln == nil {
		if a.ln, err = net.Listen("tcp", cfg.Agent.StatusListen); err != nil {
			return nil, fmt.Errorf("status page on %s: %w", cfg.Agent.StatusListen, err)
		}
	}
	if a.stock, err = newStock(cfg, opt, a.q, a.notify.Signal); err != nil {
		return nil, err
	}
	api, err := orderapi.New(orderapi.Options{
		Queue: a.q, Router: a.table, EventPrefix: printer.EventPrefix, Token: cfg.Agent.StatusToken,
		Logger: opt.Logger, Now: opt.Now, OnChange: a.notify.Signal,
		Store: func(id string) (string, bool) {
			s, ok := cfg.StoreByID(id)
			return s.Name, ok
		},
	})
	if err != nil {
		return nil, err
	}
	if a.actions, err = a.newActions(); err != nil {
		return nil, err
	}
	a.status, err = status.New(a, status.Options{
		Routes:   a.routes(withRoutes(withRoutes(map[string]http.Handler{orderapi.Route: api}, a.stock.apiRoutes()), a.actions.Routes())),
		Secrets:  secrets(cfg),
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
// Both platform clients hand a busy window's pages over as they arrive.
var (
	_ orders.PageSource = (*youzan.Client)(nil)
	_ orders.PageSource = (*wdt.Client)(nil)
)

func newSource(pc config.Platform, grants map[string]string, opt Options) (orders.Source, error) {
	switch pc.Type {
	case "youzan":
		return youzan.New(youzan.Config{
			Name: pc.Name, BaseURL: pc.BaseURL, ClientID: pc.ClientID, ClientSecret: pc.ClientSecret,
			GrantID: pc.GrantID, Mode: pc.Mode, BranchGrants: grants,
			HTTPClient: opt.HTTPClient, Logger: opt.Logger, Now: opt.Now,
		})
	case "wdt":
		return wdt.New(wdt.Config{
			Name: pc.Name, BaseURL: pc.BaseURL, SID: pc.SID, AppKey: pc.AppKey, AppSecret: pc.AppSecret, MaxSpan: pc.MaxSpan,
			HTTPClient: opt.HTTPClient, Logger: opt.Logger, Now: opt.Now,
		})
	}
	return nil, fmt.Errorf("platform type %q is not supported by this build", pc.Type)
}

// branchGrants maps each chain branch of a Youzan platform that has a
// grant_id of its own to it: its orders are read with that kdt_id's token.
func branchGrants(cfg *config.Config, pc config.Platform) map[string]string {
	if pc.Type != "youzan" || pc.Mode != config.ModeChain {
		return nil
	}
	grants := map[string]string{}
	for _, s := range cfg.Stores {
		if s.Platform == pc.Name && s.GrantID != "" {
			grants[s.ID] = s.GrantID
		}
	}
	return grants
}

// listenPush binds the platform's push_listen address and makes the
// receiver of its push messages, which only make the pull loop poll now.
func (a *Agent) listenPush(pl *platform) error {
	pc := pl.cfg
	shops := []string{pc.GrantID}
	if pc.Mode == config.ModeChain {
		for _, s := range a.cfg.Stores {
			if s.Platform == pc.Name {
				shops = append(shops, s.ID, s.GrantID)
			}
		}
	}
	rcv, err := push.New(push.Options{ClientID: pc.ClientID, ClientSecret: pc.ClientSecret, Shops: shops,
		Trigger: pl.poller.Trigger, Now: a.opt.Now, Logger: a.log.With("platform", pc.Name, "part", "push")})
	if err != nil {
		return err
	}
	ln, err := net.Listen("tcp", pc.PushListen)
	if err != nil {
		return fmt.Errorf("push messages on %s: %w", pc.PushListen, err)
	}
	pl.push, pl.pushLn = rcv, ln
	return nil
}

// PushAddr is where the push messages of platform name are received, if
// it has push_listen.
func (a *Agent) PushAddr(name string) (net.Addr, bool) {
	for _, p := range a.pollers {
		if p.cfg.Name == name && p.pushLn != nil {
			return p.pushLn.Addr(), true
		}
	}
	return nil, false
}

func isLoopback(addr net.Addr) bool {
	ta, ok := addr.(*net.TCPAddr)
	return ok && ta.IP.IsLoopback()
}

// loadTicketFiles loads the printer's logo and makes the ticket templates
// its tickets may use. A template is read when a ticket needs it, and again
// when its file changes.
func (a *Agent) loadTicketFiles(pc config.Printer) error {
	if a.templates == nil {
		a.templates = map[string]*ticket.Template{}
		a.logos = map[string]*ticket.Logo{}
		for _, b := range a.cfg.Bindings {
			if b.Template != "" {
				a.templates[b.Template] = ticket.NewTemplate(b.Template)
			}
		}
	}
	if pc.Template != "" && a.templates[pc.Template] == nil {
		a.templates[pc.Template] = ticket.NewTemplate(pc.Template)
	}
	if pc.Logo != "" {
		logo, err := loadLogo(pc.Logo)
		if err != nil {
			return fmt.Errorf("printer %q: logo: %w", pc.Name, err)
		}
		a.logos[pc.Name] = logo
	}
	return nil
}

// templateFor finds the template of a ticket: the binding's for the store
// (or "*") and kind, else the printer's; "" for the built-in layout. where
// names the config entry that set it.
func (a *Agent) templateFor(pc config.Printer, store string, kind order.Kind) (path, where string) {
	// The binding that routed the ticket: the store's own, else "*".
	for _, wildcard := range []bool{false, true} {
		for i, b := range a.cfg.Bindings {
			if b.Ticket != string(kind) || (b.Store != store && !(wildcard && b.Store == config.AnyStore)) {
				continue
			}
			if b.Template != "" {
				return b.Template, fmt.Sprintf("binding[%d] (store %q, ticket %q)", i, b.Store, b.Ticket)
			}
			wildcard = true // found: no "*" binding applies
			break
		}
		if wildcard {
			break
		}
	}
	if pc.Template != "" {
		return pc.Template, fmt.Sprintf("printer %q", pc.Name)
	}
	return "", ""
}

// renderer renders a leased job with the printer's profile, with the user
// template configured for it or the built-in layout. A job that was in
// flight when the process stopped (Uncertain) carries the reprint mark. A
// template that fails makes the job fail with the template's file, line and
// reason, and says how to print with the built-in layout instead.
func (a *Agent) renderer(prof escpos.Profile, pc config.Printer) printer.RenderFunc {
	return a.renderAt(prof, pc, func(queue.Job) time.Time { return a.opt.Now() })
}

// renderAt is renderer with the print time the ticket shows given by at;
// a test page (kind test) is the printer's test page.
func (a *Agent) renderAt(prof escpos.Profile, pc config.Printer, at func(queue.Job) time.Time) printer.RenderFunc {
	logo := a.logos[pc.Name]
	return func(job queue.Job, p printer.Payload) ([]byte, error) {
		if p.Kind == order.KindTest {
			return ticket.TestPage(prof, pc.Name, at(job)), nil
		}
		name := p.Order.StoreName
		if s, ok := a.cfg.StoreByID(p.Order.StoreID); ok && s.Name != "" {
			name = s.Name
		}
		t := ticket.Ticket{
			Order: &p.Order, Kind: p.Kind, Copy: p.Copy, Copies: p.Copies,
			Reprint: job.Uncertain, IntendedPrinter: p.Intended,
			PrintedAt: at(job), StoreName: name, Logo: logo,
		}
		path, where := a.templateFor(pc, p.Order.StoreID, p.Kind)
		if path == "" {
			return ticket.Render(t, prof)
		}
		b, err := a.templates[path].Render(t, prof)
		var te *ticket.TemplateError
		if errors.As(err, &te) {
			return nil, fmt.Errorf("%w; the built-in %s layout prints instead once template is removed from %s in %s",
				err, p.Kind, where, a.cfg.File)
		}
		return b, err
	}
}

// failover is how a worker finds the backup printer of a waiting job: the
// backup of the binding that made it, if that one can print. Without any
// binding that has a backup it is nil, so that a printer needing a person
// does not read its waiting jobs again and again for nothing.
func (a *Agent) failover() printer.FailoverFunc {
	for _, b := range a.table.Bindings() {
		if b.Backup != "" {
			return func(j queue.Job) (string, bool) { return a.table.Backup(j, a.printerReady) }
		}
	}
	return nil
}

// printerReady reports whether the named printer can take jobs: it does not
// need a person (paper, cover, error, no link).
func (a *Agent) printerReady(name string) bool {
	for _, w := range a.workers {
		if w.Name() == name {
			return !w.Info().State.NeedsPerson()
		}
	}
	return false
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
		if p.push != nil {
			goRun("platform "+p.cfg.Name+" push", func(ctx context.Context) error { return p.push.Serve(ctx, p.pushLn) })
		}
	}
	goRun("status hub", a.status.Run)
	goRun("queue watch", a.watchQueue)
	a.stock.start(goRun)
	goRun("queue prune", a.pruneQueue)

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
	a.stock.close()
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
	for _, p := range a.pollers {
		if p.pushLn != nil {
			p.pushLn.Close()
		}
	}
}

// newActions makes what staff can do to the printers from the status page:
// pause, resume, test page and ticket pictures. Printers paused before a
// restart are paused again here, before any worker runs.
func (a *Agent) newActions() (*actions.Actions, error) {
	var ps []actions.Printer
	for i, pc := range a.cfg.Printers {
		prof, ok := a.cfg.Profile(pc.Paper)
		if !ok {
			return nil, fmt.Errorf("printer %q: unknown paper or profile %q", pc.Name, pc.Paper)
		}
		ps = append(ps, actions.Printer{Name: pc.Name, Profile: prof, Worker: a.workers[i]})
	}
	return actions.New(actions.Options{
		Queue: a.q, Printers: ps, Now: a.opt.Now, Logger: a.log.With("part", "actions"),
		Render: func(job queue.Job, p printer.Payload, prof escpos.Profile, at time.Time) ([]byte, error) {
			pc, ok := a.cfg.PrinterByName(job.Printer)
			if !ok {
				return nil, fmt.Errorf("printer %q is not configured", job.Printer)
			}
			return a.renderAt(prof, pc, func(queue.Job) time.Time { return at })(job, p)
		},
	})
}

// secrets lists the configured secret values, which the status server
// keeps out of every answer.
func secrets(cfg *config.Config) []string {
	out := []string{cfg.Agent.StatusToken}
	for _, p := range cfg.Platforms {
		out = append(out, p.ClientSecret, p.AppSecret)
	}
	for _, r := range cfg.Reporters {
		out = append(out, r.Authorization, r.AppSecret)
		if _, pass, ok := strings.Cut(r.Authorization, ":"); ok {
			out = append(out, pass)
		}
	}
	for _, s := range cfg.StockSources {
		out = append(out, dsnPassword(s.DSN))
	}
	return out
}

// dsnPassword finds the password in a data source name written as a URL
// (postgres://user:pass@host/db), as key=value pairs (password=pass) or
// as a MySQL user:pass@tcp(host)/db; "" when there is none.
func dsnPassword(dsn string) string {
	if u, err := url.Parse(dsn); err == nil && u.User != nil {
		if p, ok := u.User.Password(); ok {
			return p
		}
	}
	for _, f := range strings.FieldsFunc(dsn, func(r rune) bool { return r == ' ' || r == ';' }) {
		if k, v, ok := strings.Cut(f, "="); ok && (strings.EqualFold(k, "password") || strings.EqualFold(k, "pwd")) {
			return strings.Trim(v, `'"`)
		}
	}
	if cred, _, ok := strings.Cut(dsn, "@"); ok {
		if _, p, ok := strings.Cut(cred, ":"); ok {
			return p
		}
	}
	return ""
}
