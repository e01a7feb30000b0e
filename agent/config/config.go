// Package config loads storeedge.toml strictly: unknown keys, wrong types,
// dangling references, duplicates and missing secrets are all errors, and
// every error names the file, the line and the key path (printer[1].uri).
// Load reports every problem of a file at once, in line order.
//
// Secrets (client_secret, status_token) may be written inline, as env:NAME
// (read from the environment) or as file:PATH (read from a file, relative to
// the config file's directory, trailing newline trimmed). Secrets never appear
// in error messages; Config.Redacted masks them for logs and the status page.
package config

import (
	"bytes"
	"errors"
	"fmt"
	"net"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"storeedge/printer/escpos"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/pelletier/go-toml/v2"

	"storeedge/printer/uri"
)

// Config is a loaded and validated storeedge.toml.
type Config struct {
	File      string // path it was loaded from
	Agent     Agent
	Stores    []Store
	Platforms []Platform
	Printers  []Printer
	Bindings  []Binding
	// Profiles are the [[profile]] tables: printer profiles a printer's
	// paper may name besides the built-in ones.
	Profiles []escpos.Profile
	// StockSources and Reporters: the POS's stock and prices, reported upstream.
	StockSources []StockSource
	Reporters    []Reporter

	ix *index // where each key was written, for FieldError
}

// FieldError makes an *Error for a field found wrong after loading (by a part
// of the program that knows more than the config does), with the field's line.
// field is a key path as in Error.Field, e.g. "printer[1].uri".
func (c *Config) FieldError(field, format string, a ...any) *Error {
	e := &Error{File: c.File, Field: field, Msg: fmt.Sprintf(format, a...)}
	if c.ix != nil {
		e.Line = c.ix.line(field)
	}
	return e
}

// Agent is the [agent] table.
type Agent struct {
	DataDir      string // data_dir; default DefaultDataDir(); a relative path is taken from the config file's directory
	StatusListen string // status_listen, default "127.0.0.1:8723"
	StatusToken  string // status_token (secret); required when StatusListen is not loopback
	LogLevel     string // log_level: debug|info|warn|error, default info
	Uncertain    string // uncertain: reprint (default) | hold: what to do with a job that may have printed
	// FailoverAfter (failover_after, default 30s): how long a printer may
	// need a person (paper out, cover open, error, offline) before its
	// waiting jobs move to their binding's backup printer.
	FailoverAfter time.Duration
	// KeepDone (keep_done, default 7d): how long printed and dropped jobs
	// stay in the queue for reprinting before they are pruned.
	KeepDone time.Duration
	// DedupeFor (dedupe_for, default 30d, not shorter than keep_done): how
	// long a job id is remembered, so that an order the platform sends
	// again does not print again.
	DedupeFor time.Duration
}

// Store is one [[store]]: a shop whose orders storeedge prints.
type Store struct {
	ID       string // id: the platform's store id (Youzan offline_id or kdt_id), unique
	Name     string // name printed on tickets; default ID
	Platform string // platform: name of a [[platform]]; may be omitted when there is exactly one
	ShopNo   string // shop_no: the Wangdiantong shop number to ask for; default ID
	GrantID  string // grant_id: a Youzan chain branch's own kdt_id for its own token; empty uses the platform's (HQ) token
}

// Platform is one [[platform]]: an account on a cloud platform.
type Platform struct {
	Name         string        // name, unique; default Type
	Type         string        // type: youzan
	BaseURL      string        // base_url, http(s), no trailing slash; default per type
	ClientID     string        // client_id
	ClientSecret string        // client_secret (secret)
	GrantID      string        // grant_id: the Youzan kdt_id
	Poll         time.Duration // poll, default 30s, min 1s
	Overlap      time.Duration // overlap of consecutive poll windows, default 2m
	Lookback     time.Duration // lookback: how far back the first poll starts, default 1h
	Mode         string        // mode (youzan): multi_outlet (default; stores are offline_id) | chain (stores are branch kdt_id)
	SID          string        // sid (wdt): the seller account
	AppKey       string        // appkey (wdt)
	AppSecret    string        // appsecret (wdt, secret)
	MaxSpan      time.Duration // max_span (wdt): longest trade_query window, default 1h (classic), up to 72h (newer API)
	PushListen   string        // push_listen (youzan): address receiving Youzan push messages; empty = no push
}

// Printer is one [[printer]].
type Printer struct {
	Name     string  // name, unique
	URI      uri.URI // uri
	Paper    string  // paper: 58mm | 80mm (default) | a printer profile name such as tm-t88 or a [[profile]]
	Encoding string  // encoding: gb18030 (default; the only one supported)
	Template string  // template: a ticket template file for every ticket of this printer; absolute
	Logo     string  // logo: a PNG picture printed at the top of receipts; absolute
}

// Binding is one [[binding]]: which printers print a ticket kind of a store.
type Binding struct {
	Store    string   // store id or "*" for every store
	Ticket   string   // receipt | kitchen | cancel
	Printers []string // at least one printer name, no repeats
	Copies   int      // 1..9, default 1
	Backup   string   // optional printer used when the others fail; not one of Printers
	Template string   // template: a ticket template file for this binding's tickets; absolute; wins over the printer's
}

// Defaults.
const (
	DefaultStatusListen = "127.0.0.1:8723"
	DefaultLogLevel     = "info"
	DefaultUncertain    = "reprint"
	DefaultFailover     = 30 * time.Second
	MinFailover         = time.Second
	DefaultKeepDone     = 7 * 24 * time.Hour
	DefaultDedupeFor    = 30 * 24 * time.Hour
	MinKeepDone         = time.Hour
	DefaultPoll         = 30 * time.Second
	MinPoll             = time.Second
	DefaultOverlap      = 2 * time.Minute
	DefaultLookback     = time.Hour
	DefaultPaper        = "80mm"
	DefaultEncoding     = "gb18030"
	DefaultCopies       = 1
	MaxCopies           = 9
	// AnyStore in a binding matches every store.
	AnyStore = "*"
	// Masked replaces secrets in Redacted.
	Masked = "***"
)

// Tickets lists the ticket kinds a binding may name.
var Tickets = []string{"receipt", "kitchen", "cancel"}

// platformType describes what a platform type needs.
type platformType struct {
	baseURL  string
	required []string
}

var platformTypes = map[string]platformType{
	"youzan": {baseURL: "https://open.youzanyun.com", required: []string{"client_id", "client_secret", "grant_id"}},
	"wdt":    {baseURL: "https://api.wangdian.cn/openapi2", required: []string{"sid", "appkey", "appsecret"}},
}

// The keys each table accepts.
var (
	rootKeys     = []string{"agent", "store", "platform", "printer", "binding", "stock_source", "reporter", "profile"}
	agentKeys    = []string{"data_dir", "status_listen", "status_token", "log_level", "uncertain", "failover_after", "keep_done", "dedupe_for"}
	storeKeys    = []string{"id", "name", "platform", "shop_no", "grant_id"}
	platformKeys = []string{"name", "type", "base_url", "client_id", "client_secret", "grant_id", "poll", "overlap", "lookback",
		"mode", "sid", "appkey", "appsecret", "max_span", "push_listen"}
	printerKeys = []string{"name", "uri", "paper", "encoding", "template", "logo"}
	bindingKeys = []string{"store", "ticket", "printers", "copies", "backup", "template"}
)

// Load reads and validates the config file at path. Secrets written env:NAME
// are looked up in the process environment. A config problem is returned as
// Errors; a file that cannot be read as a wrapped *fs.PathError.
func Load(path string) (*Config, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("read config: %w", err)
	}
	return Parse(path, data, os.LookupEnv)
}

// Parse validates the TOML document data, read from file (used in errors and
// to resolve file: secrets and a relative data_dir). lookupEnv resolves
// env:NAME secrets; nil means os.LookupEnv. Any problem is returned as Errors
// holding every problem found, sorted by line.
func Parse(file string, data []byte, lookupEnv func(string) (string, bool)) (*Config, error) {
	if lookupEnv == nil {
		lookupEnv = os.LookupEnv
	}
	data = bytes.TrimPrefix(data, []byte("\uFEFF")) // Windows editors may save a byte order mark
	var root map[string]any
	if err := toml.Unmarshal(data, &root); err != nil {
		return nil, Errors{syntaxError(file, data, err)}
	}
	d := &decoder{file: file, dir: filepath.Dir(file), ix: buildIndex(data), lookupEnv: lookupEnv}
	c := d.config(d.table("", root, rootKeys))
	if len(d.errs) > 0 {
		sortErrors(d.errs)
		return nil, d.errs
	}
	c.ix = d.ix
	return c, nil
}

// syntaxError turns a go-toml error into an *Error with line and column.
// On a line holding a secret the parser's message is not repeated, since it
// may quote part of the value.
func syntaxError(file string, data []byte, err error) *Error {
	var de *toml.DecodeError
	if !errors.As(err, &de) {
		return &Error{File: file, Msg: "invalid TOML: " + strings.TrimPrefix(err.Error(), "toml: ")}
	}
	line, col := de.Position()
	text := lineText(data, line)
	if col > 1 && col-1 <= len(text) {
		col = utf8.RuneCount(text[:col-1]) + 1
	}
	msg := strings.TrimPrefix(de.Error(), "toml: ")
	for _, k := range []string{"client_secret", "status_token", "appsecret", "authorization", "dsn"} {
		if bytes.Contains(text, []byte(k)) {
			msg = "the line holding " + k + " is not valid TOML (is the value a quoted string?)"
		}
	}
	return &Error{File: file, Line: line, Column: col, Msg: "invalid TOML: " + msg}
}

// config decodes and checks the whole document.
func (d *decoder) config(root *table) *Config {
	c := &Config{File: d.file}
	c.Agent = d.agent(root.sub("agent", agentKeys))

	var storeTabs, platformTabs, printerTabs, bindingTabs []*table
	root.tables("platform", platformKeys, func(_ int, t *table) {
		c.Platforms = append(c.Platforms, d.platform(t))
		platformTabs = append(platformTabs, t)
	})
	root.tables("store", storeKeys, func(_ int, t *table) {
		c.Stores = append(c.Stores, d.store(t))
		storeTabs = append(storeTabs, t)
	})
	var profileTabs []*table
	root.tables("profile", profileKeys, func(_ int, t *table) {
		c.Profiles = append(c.Profiles, d.profile(t))
		profileTabs = append(profileTabs, t)
	})
	unique(c.Profiles, profileTabs, "name", "profile name", func(p escpos.Profile) string { return p.Name })
	root.tables("printer", printerKeys, func(_ int, t *table) {
		c.Printers = append(c.Printers, d.printer(t, c.Profiles))
		printerTabs = append(printerTabs, t)
	})
	root.tables("binding", bindingKeys, func(_ int, t *table) {
		c.Bindings = append(c.Bindings, d.binding(t))
		bindingTabs = append(bindingTabs, t)
	})

	var srcTabs, repTabs []*table
	root.tables("stock_source", stockSourceKeys, func(_ int, t *table) {
		c.StockSources = append(c.StockSources, d.stockSource(t))
		srcTabs = append(srcTabs, t)
	})
	root.tables("reporter", reporterKeys, func(_ int, t *table) {
		c.Reporters = append(c.Reporters, d.reporter(t))
		repTabs = append(repTabs, t)
	})
	unique(c.StockSources, srcTabs, "name", "stock source name", func(s StockSource) string { return s.Name })
	unique(c.Reporters, repTabs, "name", "reporter name", func(r Reporter) string { return r.Name })
	d.stockRefs(c, srcTabs, repTabs)

	platforms := unique(c.Platforms, platformTabs, "name", "platform name", func(p Platform) string { return p.Name })
	stores := unique(c.Stores, storeTabs, "id", "store id", func(s Store) string { return s.ID })
	printers := unique(c.Printers, printerTabs, "name", "printer name", func(p Printer) string { return p.Name })

	for i := range c.Stores {
		d.storePlatform(&c.Stores[i], storeTabs[i], c.Platforms, platforms)
	}
	seen := make(map[[2]string]*table)
	for i := range c.Bindings {
		b, t := &c.Bindings[i], bindingTabs[i]
		d.bindingRefs(b, t, c.Stores, stores, c.Printers, printers)
		if b.Store == "" || b.Ticket == "" {
			continue
		}
		key := [2]string{b.Store, b.Ticket}
		if first, dup := seen[key]; dup {
			d.add(d.ix.line(t.path), t.path, "duplicate binding for store %q and ticket %q (first at line %d)",
				b.Store, b.Ticket, d.ix.line(first.path))
			continue
		}
		seen[key] = t
	}
	return c
}

// unique reports repeated keys among items and returns the set of the
// non-empty keys, each mapped to the table that wrote it first.
func unique[T any](items []T, tabs []*table, field, what string, key func(T) string) map[string]*table {
	first := make(map[string]*table)
	for i, it := range items {
		k := key(it)
		if k == "" {
			continue
		}
		if f, dup := first[k]; dup {
			tabs[i].errorf(field, "duplicate %s %q (first at line %d)", what, k, f.line(field))
			continue
		}
		first[k] = tabs[i]
	}
	return first
}

func (d *decoder) agent(t *table) Agent {
	a := Agent{
		DataDir:      DefaultDataDir(),
		StatusListen: DefaultStatusListen,
	}
	if s, ok := t.nonEmpty("data_dir"); ok {
		if !filepath.IsAbs(s) {
			s = filepath.Join(d.dir, s)
		}
		a.DataDir = filepath.Clean(s)
	}
	if s, ok := t.nonEmpty("status_listen"); ok {
		a.StatusListen = s
	}
	loopback, listenOK := checkListen(a.StatusListen)
	if !listenOK {
		t.errorf("status_listen", "%q is not HOST:PORT with a port from 0 to 65535, like %s", a.StatusListen, DefaultStatusListen)
	}
	tokenWritten := t.has("status_token") // a bad token is reported by secret
	if s, ok := t.secret("status_token"); ok {
		a.StatusToken = s
	}
	if listenOK && !loopback && !tokenWritten {
		d.add(t.line("status_listen"), t.field("status_token"),
			"required because status_listen %q is not a loopback address", a.StatusListen)
	}
	a.LogLevel = t.enum("log_level", DefaultLogLevel, "debug", "info", "warn", "error")
	a.Uncertain = t.enum("uncertain", DefaultUncertain, "reprint", "hold")
	a.FailoverAfter = DefaultFailover
	if v, ok := t.duration("failover_after"); ok {
		if v < MinFailover {
			t.errorf("failover_after", "%s is below the minimum of %s", v, MinFailover)
		} else {
			a.FailoverAfter = v
		}
	}
	a.KeepDone = DefaultKeepDone
	if v, ok := t.retention("keep_done"); ok {
		if v < MinKeepDone {
			t.errorf("keep_done", "%s is below the minimum of %s", v, MinKeepDone)
		} else {
			a.KeepDone = v
		}
	}
	a.DedupeFor = DefaultDedupeFor
	if v, ok := t.retention("dedupe_for"); ok {
		if v < a.KeepDone {
			t.errorf("dedupe_for", "%s is shorter than keep_done (%s): a job id must be remembered at least as long as its job is kept",
				formatRetention(v), formatRetention(a.KeepDone))
		} else {
			a.DedupeFor = v
		}
	}
	return a
}

// retention reads a duration that may also be written in days ("7d").
func (t *table) retention(key string) (time.Duration, bool) {
	if s, isStr := t.m[key].(string); isStr {
		if n, found := strings.CutSuffix(strings.TrimSpace(s), "d"); found {
			days, err := strconv.Atoi(n)
			if err != nil || days < 0 || days > 3650 {
				t.errorf(key, "%q is not a number of days from 0 to 3650 like \"7d\", nor a duration like \"48h\"", s)
				return 0, false
			}
			return time.Duration(days) * 24 * time.Hour, true
		}
	}
	return t.duration(key)
}

// formatRetention writes whole days as "7d", anything else as a duration.
func formatRetention(d time.Duration) string {
	if d > 0 && d%(24*time.Hour) == 0 {
		return strconv.Itoa(int(d/(24*time.Hour))) + "d"
	}
	return d.String()
}

// checkListen validates a status_listen address and tells whether it only
// accepts connections from this PC.
func checkListen(addr string) (loopback, ok bool) {
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		return false, false
	}
	if n, err := strconv.Atoi(port); err != nil || n < 0 || n > 65535 || strings.Trim(port, "0123456789") != "" {
		return false, false
	}
	if strings.EqualFold(host, "localhost") {
		return true, true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback(), true
}

func (d *decoder) store(t *table) Store {
	var s Store
	if !t.has("id") {
		t.missing("id")
	} else if id, ok := t.id("id"); ok {
		if id == AnyStore {
			t.errorf("id", "%q is reserved for bindings that match every store", AnyStore)
		} else {
			s.ID = id
		}
	}
	if name, ok := t.nonEmpty("name"); ok {
		s.Name = name
	} else {
		s.Name = s.ID
	}
	if p, ok := t.nonEmpty("platform"); ok {
		s.Platform = p
	}
	s.ShopNo = s.ID
	if v, ok := t.nonEmpty("shop_no"); ok {
		s.ShopNo = strings.TrimSpace(v)
	}
	if t.has("grant_id") {
		if v, ok := t.id("grant_id"); ok {
			if strings.Trim(v, "0123456789") != "" {
				t.errorf("grant_id", "%q is not a Youzan kdt_id (digits only)", v)
			} else {
				s.GrantID = v
			}
		}
	}
	return s
}

// storePlatform checks a store's platform, filling it in when there is only
// one platform.
func (d *decoder) storePlatform(s *Store, t *table, platforms []Platform, names map[string]*table) {
	if t.has("platform") {
		if s.Platform != "" && names[s.Platform] == nil {
			t.errorf("platform", "unknown platform %q; %s", s.Platform, listNames("platform", keys(names)))
		}
		return
	}
	switch len(platforms) {
	case 0:
		t.errorf("platform", "required key is missing, and no [[platform]] is configured")
	case 1:
		s.Platform = platforms[0].Name
	default:
		t.errorf("platform", "required when more than one [[platform]] is configured; %s", listNames("platform", keys(names)))
	}
}

func (d *decoder) platform(t *table) Platform {
	p := Platform{Poll: DefaultPoll, Overlap: DefaultOverlap, Lookback: DefaultLookback}
	var pt platformType
	known := false
	if !t.has("type") {
		t.missing("type")
	} else if typ, ok := t.nonEmpty("type"); ok {
		p.Type = strings.ToLower(strings.TrimSpace(typ))
		if pt, known = platformTypes[p.Type]; !known {
			t.errorf("type", "unknown platform type %q; known types: %s", typ, strings.Join(keys(platformTypes), ", "))
		}
	}
	if name, ok := t.nonEmpty("name"); ok {
		p.Name = name
	} else if !t.has("name") {
		p.Name = p.Type
	}
	if known {
		p.BaseURL = pt.baseURL
		for _, k := range pt.required {
			if !t.has(k) {
				t.errorf(k, "required for type %q but missing", p.Type)
			}
		}
	}
	if s, ok := t.nonEmpty("base_url"); ok {
		u, err := url.Parse(s)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.RawQuery != "" || u.Fragment != "" {
			t.errorf("base_url", "%q is not an http:// or https:// URL without query", s)
		} else {
			p.BaseURL = strings.TrimRight(s, "/")
		}
	}
	if s, ok := t.nonEmpty("client_id"); ok {
		p.ClientID = s
	}
	if s, ok := t.secret("client_secret"); ok {
		p.ClientSecret = s
	}
	if t.has("grant_id") {
		if s, ok := t.id("grant_id"); ok {
			p.GrantID = s
			if p.Type == "youzan" && strings.Trim(s, "0123456789") != "" {
				t.errorf("grant_id", "%q is not a Youzan kdt_id (digits only)", s)
			}
		}
	}
	if v, ok := t.duration("poll"); ok {
		if v < MinPoll {
			t.errorf("poll", "%s is below the minimum of %s", v, MinPoll)
		} else {
			p.Poll = v
		}
	}
	if v, ok := t.duration("overlap"); ok {
		if v < 0 {
			t.errorf("overlap", "%s is negative", v)
		} else {
			p.Overlap = v
		}
	}
	if v, ok := t.duration("lookback"); ok {
		if v < 0 {
			t.errorf("lookback", "%s is negative", v)
		} else {
			p.Lookback = v
		}
	}
	d.platformExtra(t, &p)
	return p
}

func (d *decoder) printer(t *table, profiles []escpos.Profile) Printer {
	p := Printer{Paper: DefaultPaper, Encoding: DefaultEncoding}
	if s, ok := t.required("name"); ok {
		p.Name = s
	}
	if !t.has("uri") {
		t.missing("uri")
	} else if s, ok := t.nonEmpty("uri"); ok {
		u, err := uri.Parse(s)
		if err != nil {
			t.errorf("uri", "%s", err)
		} else {
			p.URI = u
		}
	}
	if s, ok := t.nonEmpty("paper"); ok {
		if paper, err := checkPaper(s, profiles); err != nil {
			t.errorf("paper", "%s", err)
		} else {
			p.Paper = paper
		}
	}
	if s, ok := t.nonEmpty("encoding"); ok {
		if e := strings.ToLower(strings.TrimSpace(s)); e != DefaultEncoding {
			t.errorf("encoding", "unsupported encoding %q; only %s is supported", s, DefaultEncoding)
		} else {
			p.Encoding = e
		}
	}
	p.Template = d.path(t, "template")
	p.Logo = d.path(t, "logo")
	return p
}

// checkPaper accepts the name of a built-in printer profile (58mm, 80mm,
// tm-t88, ...) or of a [[profile]], returned in lower case.
func checkPaper(s string, profiles []escpos.Profile) (string, error) {
	p := strings.ToLower(strings.TrimSpace(s))
	if _, ok := escpos.LookupProfile(p); ok {
		return p, nil
	}
	var names []string
	for _, prof := range profiles {
		if prof.Name == p {
			return p, nil
		}
		if prof.Name != "" {
			names = append(names, prof.Name)
		}
	}
	for _, prof := range escpos.Profiles() {
		names = append(names, prof.Name)
	}
	known := strings.Join(names, ", ")
	if w, ok := strings.CutSuffix(p, "mm"); ok && w != "" && strings.Trim(w, "0123456789") == "" {
		return "", fmt.Errorf("paper width %q is not supported; use one of %s", s, known)
	}
	return "", fmt.Errorf("%q is not a known paper or printer profile; use one of %s", s, known)
}

func (d *decoder) binding(t *table) Binding {
	b := Binding{Copies: DefaultCopies}
	if !t.has("store") {
		t.missing("store")
	} else if s, ok := t.id("store"); ok {
		b.Store = s
	}
	if !t.has("ticket") {
		t.missing("ticket")
	} else if s, ok := t.str("ticket"); ok {
		k := strings.ToLower(strings.TrimSpace(s))
		if slices.Contains(Tickets, k) {
			b.Ticket = k
		} else {
			t.errorf("ticket", "%q is not one of %s", s, strings.Join(Tickets, ", "))
		}
	}
	if !t.has("printers") {
		t.missing("printers")
	} else if list, ok := t.stringList("printers"); ok {
		if len(list) == 0 {
			t.errorf("printers", "must name at least one printer")
		}
		b.Printers = list
	}
	if n, ok := t.integer("copies"); ok {
		if n < 1 || n > MaxCopies {
			t.errorf("copies", "%d is out of range 1..%d", n, MaxCopies)
		} else {
			b.Copies = int(n)
		}
	}
	if s, ok := t.nonEmpty("backup"); ok {
		b.Backup = s
	}
	b.Template = d.path(t, "template")
	return b
}

// bindingRefs checks that a binding names configured stores and printers.
func (d *decoder) bindingRefs(b *Binding, t *table, stores []Store, storeIDs map[string]*table, printers []Printer, names map[string]*table) {
	if b.Store != "" && b.Store != AnyStore && storeIDs[b.Store] == nil {
		t.errorf("store", "unknown store %q; %s", b.Store, listNames("store", keys(storeIDs)))
	}
	field := t.field("printers")
	seen := make(map[string]int)
	for i, name := range b.Printers {
		p := elem(field, i)
		line := d.ix.line(p, field, t.path)
		if j, dup := seen[name]; dup {
			d.add(line, p, "printer %q is already listed at printers[%d]", name, j)
			continue
		}
		seen[name] = i
		if names[name] == nil {
			d.add(line, p, "unknown printer %q%s", name, hint(name, keys(names)))
		}
	}
	if b.Backup == "" {
		return
	}
	if _, in := seen[b.Backup]; in {
		t.errorf("backup", "printer %q is already one of the binding's printers; a backup must be another printer", b.Backup)
	} else if names[b.Backup] == nil {
		t.errorf("backup", "unknown printer %q%s", b.Backup, hint(b.Backup, keys(names)))
	}
}

// hint suggests a close name or lists the configured printers.
func hint(name string, names []string) string {
	if s := suggest(name, names); s != "" && s != name {
		return fmt.Sprintf(" (did you mean %q?)", s)
	}
	return "; " + listNames("printer", names)
}

// listNames says which names of a kind are configured.
func listNames(kind string, names []string) string {
	if len(names) == 0 {
		return "no [[" + kind + "]] is configured"
	}
	q := make([]string, len(names))
	for i, n := range names {
		q[i] = strconv.Quote(n)
	}
	const most = 8
	if len(q) > most {
		q = append(q[:most], fmt.Sprintf("and %d more", len(names)-most))
	}
	return "configured: " + strings.Join(q, ", ")
}

func keys[V any](m map[string]V) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	slices.Sort(out)
	return out
}

// StoreByID finds a store by its id.
func (c *Config) StoreByID(id string) (Store, bool) {
	for _, s := range c.Stores {
		if s.ID == id {
			return s, true
		}
	}
	return Store{}, false
}

// PrinterByName finds a printer by its name.
func (c *Config) PrinterByName(name string) (Printer, bool) {
	for _, p := range c.Printers {
		if p.Name == name {
			return p, true
		}
	}
	return Printer{}, false
}

// Redacted returns a deep copy of c with every secret that is set replaced
// by Masked, safe to log or show on the status page.
func (c *Config) Redacted() *Config {
	r := *c
	if r.Agent.StatusToken != "" {
		r.Agent.StatusToken = Masked
	}
	r.Stores = slices.Clone(c.Stores)
	r.Platforms = slices.Clone(c.Platforms)
	for i := range r.Platforms {
		if r.Platforms[i].AppSecret != "" {
			r.Platforms[i].AppSecret = Masked
		}
		if r.Platforms[i].ClientSecret != "" {
			r.Platforms[i].ClientSecret = Masked
		}
	}
	r.Printers = slices.Clone(c.Printers)
	for i := range r.Printers {
		if p := r.Printers[i].URI.Params; p != nil {
			r.Printers[i].URI.Params = make(map[string]string, len(p))
			for k, v := range p {
				r.Printers[i].URI.Params[k] = v
			}
		}
	}
	r.Profiles = slices.Clone(c.Profiles)
	r.Bindings = slices.Clone(c.Bindings)
	for i := range r.Bindings {
		r.Bindings[i].Printers = slices.Clone(c.Bindings[i].Printers)
	}
	r.redactStock(c)
	return &r
}

// profileKeys are the keys of a [[profile]] table.
var profileKeys = []string{"name", "base", "dots", "cols_a", "cols_b", "chinese", "code_page", "chinese_at_boot", "image", "qr", "cut"}

// Profile finds a printer profile by name: a [[profile]] of the config, or
// a built-in one.
func (c *Config) Profile(name string) (escpos.Profile, bool) {
	name = strings.ToLower(strings.TrimSpace(name))
	for _, p := range c.Profiles {
		if p.Name == name {
			return p, true
		}
	}
	return escpos.LookupProfile(name)
}

// profile decodes a [[profile]]: a printer profile starting from a built-in
// one (base, default 80mm), with the keys written replacing its values.
// When dots is written and the columns are not, they follow from it.
func (d *decoder) profile(t *table) escpos.Profile {
	base := "80mm"
	if s, ok := t.nonEmpty("base"); ok {
		base = strings.ToLower(strings.TrimSpace(s))
	}
	p, ok := escpos.LookupProfile(base)
	if !ok {
		var names []string
		for _, b := range escpos.Profiles() {
			names = append(names, b.Name)
		}
		t.errorf("base", "%q is not a built-in profile; use one of %s", base, strings.Join(names, ", "))
		p, _ = escpos.LookupProfile("80mm")
	}
	p.Name = ""
	if s, ok := t.required("name"); ok {
		name := strings.ToLower(strings.TrimSpace(s))
		if _, builtin := escpos.LookupProfile(name); builtin {
			t.errorf("name", "%q is a built-in profile; give this one another name", s)
		} else {
			p.Name = name
		}
	}
	ints := []struct {
		key string
		dst *int
	}{{"dots", &p.Dots}, {"cols_a", &p.ColsA}, {"cols_b", &p.ColsB}}
	for _, k := range ints {
		if n, ok := t.integer(k.key); ok {
			if n <= 0 || n > 65535 {
				t.errorf(k.key, "%d is not within 1-65535", n)
				continue
			}
			*k.dst = int(n)
		}
	}
	if t.has("dots") && !t.has("cols_a") {
		p.ColsA = p.Dots / escpos.FontADots
	}
	if t.has("dots") && !t.has("cols_b") {
		p.ColsB = p.Dots / escpos.FontBDots
	}
	p.Chinese = t.enum("chinese", p.Chinese, escpos.ChineseGBK, escpos.ChineseGB18030, escpos.ChineseNone)
	p.CodePage = t.enum("code_page", p.CodePage, append(escpos.CodePages(), escpos.CodePageNone)...)
	if v, present := t.m["chinese_at_boot"]; present {
		if b, isBool := v.(bool); isBool {
			p.ChineseAtBoot = b
		} else {
			t.wrongType("chinese_at_boot", "true or false", v)
		}
	}
	if s, ok := t.str("image"); ok {
		switch v := strings.ToLower(strings.TrimSpace(s)); v {
		case escpos.ImageRaster, escpos.ImageGraphics, escpos.ImageColumn:
			p.Image = v
		case "none":
			p.Image = escpos.ImageNone
		default:
			t.errorf("image", "%q is not one of raster, graphics, column, none", s)
		}
	}
	if s, ok := t.str("qr"); ok {
		switch v := strings.ToLower(strings.TrimSpace(s)); v {
		case "native":
			p.QR = escpos.QRNative
		case escpos.QRImage:
			p.QR = escpos.QRImage
		default:
			t.errorf("qr", "%q is not native or image", s)
		}
	}
	p.Cut = t.enum("cut", p.Cut, escpos.CutPartial, escpos.CutFull, escpos.CutNone)
	if p.Name != "" {
		// What the keys cannot say alone: columns that overflow the dots,
		// QR codes as images without an image command.
		if err := p.Validate(); err != nil {
			field := "dots"
			switch msg := err.Error(); {
			case strings.Contains(msg, "cols_a"):
				field = "cols_a"
			case strings.Contains(msg, "cols_b"):
				field = "cols_b"
			case strings.Contains(msg, "qr:"):
				field = "qr"
			}
			t.errorf(field, "%s", strings.TrimPrefix(err.Error(), fmt.Sprintf("printer profile %q: ", p.Name)))
		}
	}
	return p
}

// path reads a file path key, relative to the config file's directory, and
// returns it absolute and clean; "" when the key is not written.
func (d *decoder) path(t *table, key string) string {
	s, ok := t.nonEmpty(key)
	if !ok {
		return ""
	}
	if !filepath.IsAbs(s) {
		s = filepath.Join(d.dir, s)
	}
	if abs, err := filepath.Abs(s); err == nil {
		s = abs
	}
	return filepath.Clean(s)
}
