package agent

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"

	"storeedge/agent/config"
	"storeedge/agent/status"
	"storeedge/queue"
	"storeedge/sync/hiding"
	"storeedge/sync/stock"
	"storeedge/sync/stock/httpapi"
	"storeedge/sync/youzan"
)

// stockPart reads the POS's stock and prices and reports them upstream.
type stockPart struct {
	out     *stock.Outbox
	rep     *stock.Reporting
	folders []*stock.Folder
	sqls    []*stock.SQL
	routes  map[string]http.Handler
}

// newStock builds the stock pipeline from the config, or nil when no
// reporter is configured.
func newStock(cfg *config.Config, opt Options, q *queue.Queue, onChange func()) (*stockPart, error) {
	if len(cfg.Reporters) == 0 {
		return nil, nil
	}
	log := opt.Logger.With("part", "stock")
	var targets []stock.Target
	for _, rc := range cfg.Reporters {
		t := stock.Target{Name: rc.Name, Type: rc.Type, Stores: rc.Stores, Resync: rc.Resync}
		switch rc.Type {
		case "hiding":
			c, err := hiding.New(hiding.Config{BaseURL: rc.BaseURL, TenantID: rc.TenantID, Authorization: rc.Authorization,
				Auth: rc.Auth, Operator: rc.Operator, HTTPClient: opt.HTTPClient, Logger: log.With("reporter", rc.Name)})
			if err != nil {
				return nil, fmt.Errorf("reporter %q: %w", rc.Name, err)
			}
			t.Reporter = &stock.HidingReporter{C: c}
		case "wdt":
			r, err := stock.NewWDTReporter(stock.WDTConfig{BaseURL: rc.BaseURL, SID: rc.SID, AppKey: rc.AppKey, AppSecret: rc.AppSecret,
				DailyCalls: rc.DailyCalls, HTTPClient: opt.HTTPClient, Logger: log.With("reporter", rc.Name), Now: opt.Now})
			if err != nil {
				return nil, fmt.Errorf("reporter %q: %w", rc.Name, err)
			}
			t.Reporter = r
		case "youzan":
			r, err := newYouzanReporter(cfg, rc, opt, log.With("reporter", rc.Name))
			if err != nil {
				return nil, fmt.Errorf("reporter %q: %w", rc.Name, err)
			}
			t.Reporter = r
		default:
			return nil, fmt.Errorf("reporter %q: type %q is not supported by this build", rc.Name, rc.Type)
		}
		targets = append(targets, t)
	}
	out, err := stock.NewOutbox(stock.OutboxOptions{Queue: q, Targets: targets, Logger: log, Now: opt.Now, OnJob: onChange})
	if err != nil {
		return nil, err
	}
	rep, err := stock.NewReporting(stock.ReportingOptions{Outbox: out, Logger: log, Now: opt.Now, OnChange: onChange})
	if err != nil {
		return nil, err
	}
	s := &stockPart{out: out, rep: rep}
	for _, sc := range cfg.StockSources {
		m := stock.Mapping{Store: sc.Store, Encoding: sc.Encoding, Columns: stock.Columns{
			SKU: sc.SKUColumn, Store: sc.StoreColumn, Stock: sc.StockColumn, Price: sc.PriceColumn}}
		switch sc.Type {
		case "folder":
			f, err := stock.NewFolder(stock.FolderOptions{Name: sc.Name, Dir: sc.Dir, Mapping: m, Settle: sc.Settle,
				Submit: out.Submit, Logger: log, Now: opt.Now})
			if err != nil {
				s.close()
				return nil, fmt.Errorf("stock source %q: %w", sc.Name, err)
			}
			s.folders = append(s.folders, f)
		case "sql":
			src, err := stock.NewSQL(stock.SQLOptions{Name: sc.Name, Driver: sc.Driver, DSN: sc.DSN, Query: sc.Query, Mapping: m,
				Interval: sc.Interval, Submit: out.Submit, Logger: log, Now: opt.Now})
			if err != nil {
				s.close()
				return nil, fmt.Errorf("stock source %q: %w", sc.Name, err)
			}
			s.sqls = append(s.sqls, src)
		}
	}
	var stores []string
	for _, st := range cfg.Stores {
		stores = append(stores, st.ID)
	}
	s.routes = httpapi.Routes(httpapi.Options{Outbox: out, Stores: stores, Logger: log, Now: opt.Now, Resync: func() {
		for _, src := range s.sqls {
			src.Kick()
		}
	}})
	return s, nil
}

// newYouzanReporter makes the reporter of a youzan [[reporter]] with the
// credentials of the [[platform]] it names. Its client keeps its own token
// cache: it takes the shop's current token and renews it only when that
// one is refused or about to expire, so it never revokes the order
// poller's.
func newYouzanReporter(cfg *config.Config, rc config.Reporter, opt Options, log *slog.Logger) (*stock.YouzanReporter, error) {
	var pc *config.Platform
	for i := range cfg.Platforms {
		if cfg.Platforms[i].Name == rc.Platform && cfg.Platforms[i].Type == "youzan" {
			pc = &cfg.Platforms[i]
		}
	}
	if pc == nil {
		return nil, fmt.Errorf("no youzan platform named %q", rc.Platform)
	}
	c, err := youzan.New(youzan.Config{Name: pc.Name, BaseURL: pc.BaseURL, ClientID: pc.ClientID, ClientSecret: pc.ClientSecret,
		GrantID: pc.GrantID, Mode: pc.Mode, HTTPClient: opt.HTTPClient, Logger: log, Now: opt.Now})
	if err != nil {
		return nil, err
	}
	items := make(map[string]stock.YouzanItem, len(rc.Items))
	for sku, ids := range rc.Items {
		y, err := stock.ParseYouzanItem(ids)
		if err != nil {
			return nil, fmt.Errorf("items: sku %q: %w", sku, err)
		}
		items[sku] = y
	}
	return stock.NewYouzanReporter(stock.YouzanConfig{Client: c, Items: items, QPS: rc.QPS, Logger: log, Now: opt.Now})
}

// start runs the reporters and the sources.
func (s *stockPart) start(goRun func(string, func(context.Context) error)) {
	if s == nil {
		return
	}
	goRun("stock reporting", s.rep.Run)
	for _, f := range s.folders {
		goRun("stock folder", f.Run)
	}
	for _, src := range s.sqls {
		goRun("stock query", src.Run)
	}
}

func (s *stockPart) close() {
	if s == nil {
		return
	}
	for _, src := range s.sqls {
		_ = src.Close()
	}
}

// Routes of the local stock API; nil without a stock pipeline.
func (s *stockPart) apiRoutes() map[string]http.Handler {
	if s == nil {
		return nil
	}
	return s.routes
}

// snapshot fills the reports and stock_sources sections.
func (s *stockPart) snapshot(snap *status.Snapshot) error {
	if s == nil {
		return nil
	}
	hs, err := s.rep.Health()
	if err != nil {
		return fmt.Errorf("stock reports: %w", err)
	}
	for _, h := range hs {
		r := status.Report{Name: h.Target, Type: h.Type, LastReport: h.LastReport, LastError: h.LastError,
			Pending: h.Pending, Reported: h.Reported, CallsToday: h.CallsToday, LastResync: h.LastResync, Errors: []status.ReportError{}}
		for _, e := range h.Errors {
			r.Errors = append(r.Errors, status.ReportError{Kind: string(e.Kind), Store: e.Store, SKU: e.SKU, Error: e.Error, At: e.At})
		}
		snap.Reports = append(snap.Reports, r)
	}
	var srcs []stock.SourceHealth
	for _, f := range s.folders {
		srcs = append(srcs, f.Health())
	}
	for _, q := range s.sqls {
		srcs = append(srcs, q.Health())
	}
	for _, h := range srcs {
		ss := status.StockSource{Name: h.Name, Type: h.Type, LastRun: h.LastRun, LastError: h.LastError,
			Values: h.Values, Changed: h.Changed, Problems: []string{}}
		for _, p := range h.Problems {
			ss.Problems = append(ss.Problems, p.Error())
		}
		snap.StockSources = append(snap.StockSources, ss)
	}
	return nil
}

// withRoutes adds more routes to m.
func withRoutes(m, more map[string]http.Handler) map[string]http.Handler {
	for k, v := range more {
		m[k] = v
	}
	return m
}
