package stock

import (
	"context"
	"database/sql"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"time"

	// POS database drivers, all pure Go.
	_ "github.com/go-sql-driver/mysql"
	_ "github.com/jackc/pgx/v5/stdlib"
	_ "github.com/microsoft/go-mssqldb"
	_ "modernc.org/sqlite"
)

// Drivers maps the config's driver names to database/sql driver names.
var Drivers = map[string]string{
	"sqlite":    "sqlite",
	"postgres":  "pgx",
	"mysql":     "mysql",
	"sqlserver": "sqlserver",
}

// DriverNames lists the drivers a config may name.
func DriverNames() []string {
	var out []string
	for k := range Drivers {
		out = append(out, k)
	}
	slices.Sort(out)
	return out
}

// Default SQL source timing.
const (
	DefaultSQLInterval = time.Minute
	DefaultSQLTimeout  = 30 * time.Second
)

// SQL runs a query against the POS database periodically; every run is a
// full picture of the POS's numbers, of which only changes are reported.
type SQL struct {
	name     string
	driver   string
	db       *sql.DB
	query    string
	mapping  Mapping
	interval time.Duration
	timeout  time.Duration
	submit   Submitter
	log      *slog.Logger
	now      func() time.Time
	after    func(time.Duration) <-chan time.Time
	health   health
	kick     chan struct{}
}

// SQLOptions configure a SQL source.
type SQLOptions struct {
	Name     string
	Driver   string // a key of Drivers
	DSN      string
	Query    string
	Mapping  Mapping // column names of the query's result
	Interval time.Duration
	Timeout  time.Duration
	Submit   Submitter
	Logger   *slog.Logger
	Now      func() time.Time
	After    func(time.Duration) <-chan time.Time
}

// NewSQL makes a SQL source. It does not connect until the first run.
func NewSQL(opt SQLOptions) (*SQL, error) {
	drv, ok := Drivers[opt.Driver]
	if !ok {
		return nil, fmt.Errorf("stock sql %s: unknown driver %q (supported: %s)", opt.Name, opt.Driver, strings.Join(DriverNames(), ", "))
	}
	if strings.TrimSpace(opt.Query) == "" || opt.Submit == nil {
		return nil, fmt.Errorf("stock sql %s: query and submit are required", opt.Name)
	}
	db, err := sql.Open(drv, opt.DSN)
	if err != nil {
		return nil, fmt.Errorf("stock sql %s: %w", opt.Name, err)
	}
	db.SetMaxOpenConns(1)
	db.SetConnMaxIdleTime(5 * time.Minute)
	if opt.Interval <= 0 {
		opt.Interval = DefaultSQLInterval
	}
	if opt.Timeout <= 0 {
		opt.Timeout = DefaultSQLTimeout
	}
	if opt.Logger == nil {
		opt.Logger = slog.New(slog.DiscardHandler)
	}
	if opt.Now == nil {
		opt.Now = time.Now
	}
	if opt.After == nil {
		opt.After = time.After
	}
	s := &SQL{name: opt.Name, driver: opt.Driver, db: db, query: opt.Query, mapping: opt.Mapping.withDefaults(),
		interval: opt.Interval, timeout: opt.Timeout, submit: opt.Submit, log: opt.Logger.With("source", opt.Name),
		now: opt.Now, after: opt.After, kick: make(chan struct{}, 1)}
	s.health.h = SourceHealth{Name: opt.Name, Type: "sql"}
	return s, nil
}

// Close closes the database handle.
func (s *SQL) Close() error { return s.db.Close() }

// Health returns the source's health.
func (s *SQL) Health() SourceHealth { return s.health.get() }

// Kick makes Run query now instead of at the next interval.
func (s *SQL) Kick() {
	select {
	case s.kick <- struct{}{}:
	default:
	}
}

// Run queries at once and then every interval until ctx ends. A failed
// query is logged and shown; the next interval tries again.
func (s *SQL) Run(ctx context.Context) error {
	for {
		if _, err := s.Once(ctx); err != nil && ctx.Err() == nil {
			s.log.Error("stock query failed", "err", err)
		}
		select {
		case <-ctx.Done():
			return nil
		case <-s.kick:
		case <-s.after(s.interval):
		}
	}
}

// Once runs the query once and submits what it read.
func (s *SQL) Once(ctx context.Context) (Summary, error) {
	now := s.now()
	vals, problems, err := s.read(ctx, now)
	if err != nil {
		err = fmt.Errorf("query %s database: %w", s.driver, err)
		s.health.run(now, 0, Summary{}, err, nil)
		return Summary{}, err
	}
	for _, p := range problems {
		s.log.Warn("bad row skipped", "row", p.Line, "reason", p.Reason)
	}
	sum, err := s.submit(vals)
	s.health.run(now, len(vals), sum, err, problems)
	if err != nil {
		return sum, err
	}
	s.log.Debug("stock query read", "values", len(vals), "bad_rows", len(problems), "changes", sum.Changed)
	return sum, nil
}

func (s *SQL) read(ctx context.Context, at time.Time) ([]Value, []*RowError, error) {
	ctx, cancel := context.WithTimeout(ctx, s.timeout)
	defer cancel()
	rows, err := s.db.QueryContext(ctx, s.query)
	if err != nil {
		return nil, nil, err
	}
	defer rows.Close()
	cols, err := rows.Columns()
	if err != nil {
		return nil, nil, err
	}
	ix := map[string]int{}
	for i, c := range cols {
		ix[strings.ToLower(strings.TrimSpace(c))] = i
	}
	find := func(c string) (int, bool) { i, ok := ix[strings.ToLower(strings.TrimSpace(c))]; return i, ok }
	if _, ok := find(s.mapping.SKU); !ok {
		return nil, nil, fmt.Errorf("the query returns no %q column (columns: %s)", s.mapping.SKU, strings.Join(cols, ", "))
	}
	_, hasStock := find(s.mapping.Stock)
	_, hasPrice := find(s.mapping.Price)
	if !hasStock && !hasPrice {
		return nil, nil, fmt.Errorf("the query returns neither a %q nor a %q column (columns: %s)", s.mapping.Stock, s.mapping.Price, strings.Join(cols, ", "))
	}
	if _, ok := find(s.mapping.Columns.Store); !ok && s.mapping.Store == "" {
		return nil, nil, fmt.Errorf("the query returns no %q column and no default store is configured", s.mapping.Columns.Store)
	}
	rr := &rowReader{m: s.mapping, file: "query " + s.name, at: at}
	dest := make([]any, len(cols))
	ptrs := make([]any, len(cols))
	for i := range dest {
		ptrs[i] = &dest[i]
	}
	var (
		vals     []Value
		problems []*RowError
	)
	for n := 1; rows.Next(); n++ {
		if err := rows.Scan(ptrs...); err != nil {
			problems = append(problems, &RowError{File: rr.file, Line: n, Reason: err.Error()})
			continue
		}
		v, rerr := rr.values(n, func(c string) (string, bool) {
			i, ok := find(c)
			if !ok || dest[i] == nil {
				return "", false
			}
			switch x := dest[i].(type) {
			case string:
				return x, true
			case []byte:
				return string(x), true
			case time.Time:
				return x.String(), true
			}
			d, err := numFromAny(dest[i])
			if err != nil {
				return fmt.Sprint(dest[i]), true
			}
			return d.String(), true
		})
		if rerr != nil {
			problems = append(problems, rerr)
			continue
		}
		vals = append(vals, v...)
	}
	if err := rows.Err(); err != nil {
		return nil, nil, err
	}
	return vals, problems, nil
}
