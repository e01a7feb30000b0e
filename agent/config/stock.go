package config

import (
	"maps"
	"net/url"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"time"
)

// StockSource is one [[stock_source]]: where the shop POS's stock and
// prices are read.
type StockSource struct {
	Name     string        // name, unique; default the type
	Type     string        // type: sql | folder
	Driver   string        // driver (sql): sqlite | postgres | mysql | sqlserver
	DSN      string        // dsn (sql, secret): the driver's data source name
	Query    string        // query (sql)
	Interval time.Duration // interval (sql), default 1m, min 5s
	Dir      string        // dir (folder): relative to the config file's directory
	Settle   time.Duration // settle (folder): how long a file must keep its size, default 2s
	Encoding string        // encoding (folder): utf-8 (default) | gb18030 | auto
	Store    string        // store: the [[store]] id of rows without a store column
	// Column names: sku_column (default "sku"), store_column ("store"),
	// stock_column ("stock"), price_column ("price").
	SKUColumn, StoreColumn, StockColumn, PriceColumn string
}

// Reporter is one [[reporter]]: a platform account stock and prices are
// reported to.
type Reporter struct {
	Name          string            // name, unique; default the type
	Type          string            // type: hiding | wdt | youzan
	BaseURL       string            // base_url, default per type
	TenantID      string            // tenant_id (hiding)
	Authorization string            // authorization (hiding, secret): "user:password" for Basic
	Auth          string            // auth (hiding): basic (default) | none
	Operator      string            // operator (hiding), default "storeedge"
	SID           string            // sid (wdt)
	AppKey        string            // appkey (wdt)
	AppSecret     string            // appsecret (wdt, secret)
	DailyCalls    int               // daily_calls (wdt), default 2000
	Platform      string            // platform (youzan): the [[platform]] of type youzan whose credentials and token are used
	Items         map[string]string // items (youzan): POS SKU -> "num_iid:sku_id", or "num_iid" for an item without SKUs
	QPS           int               // qps (youzan): calls per second at most, default 20
	Stores        map[string]string // stores: [[store]] id -> the platform's store id (Hiding store_id, Wangdiantong warehouse_no, Youzan offline_id); default every store under its own id
	Resync        time.Duration     // resync: period of the full resync, default 24h; "0s" = only on demand
}

// Stock defaults.
const (
	DefaultStockInterval = time.Minute
	MinStockInterval     = 5 * time.Second
	DefaultSettle        = 2 * time.Second
	DefaultResync        = 24 * time.Hour
	DefaultDailyCalls    = 2000
	DefaultYouzanQPS     = 20
	MaxYouzanQPS         = 50 // the platform's suggested limit per store for SKU updates
)

var youzanItemRE = regexp.MustCompile(`^[0-9]{1,18}(:[0-9]{1,18})?$`)

var (
	stockSourceKeys = []string{"name", "type", "driver", "dsn", "query", "interval", "dir", "settle", "encoding", "store",
		"sku_column", "store_column", "stock_column", "price_column"}
	reporterKeys = []string{"name", "type", "base_url", "tenant_id", "authorization", "auth", "operator",
		"sid", "appkey", "appsecret", "daily_calls", "platform", "items", "qps", "stores", "resync"}
	stockDrivers     = []string{"sqlite", "postgres", "mysql", "sqlserver"}
	reporterBaseURLs = map[string]string{"hiding": "", "wdt": "https://api.wangdian.cn/openapi2", "youzan": ""}
)

func (d *decoder) stockSource(t *table) StockSource {
	s := StockSource{Interval: DefaultStockInterval, Settle: DefaultSettle}
	if !t.has("type") {
		t.missing("type")
	} else {
		s.Type = t.enum("type", "", "sql", "folder")
	}
	s.Name = s.Type
	if v, ok := t.nonEmpty("name"); ok {
		s.Name = v
	}
	only := func(typ string, keys ...string) {
		for _, k := range keys {
			if t.has(k) && s.Type != "" && s.Type != typ {
				t.errorf(k, "only for type %q sources", typ)
			}
		}
	}
	only("sql", "driver", "dsn", "query", "interval")
	only("folder", "dir", "settle", "encoding")
	switch s.Type {
	case "sql":
		if !t.has("driver") {
			t.missing("driver")
		} else {
			s.Driver = t.enum("driver", "", stockDrivers...)
		}
		if !t.has("dsn") {
			t.missing("dsn")
		} else if v, ok := t.secret("dsn"); ok {
			s.DSN = v
			if s.Driver == "sqlite" && !filepath.IsAbs(v) && !strings.HasPrefix(v, "file:") {
				s.DSN = filepath.Join(d.dir, v)
			}
		}
		if v, ok := t.required("query"); ok {
			s.Query = v
		}
		if v, ok := t.duration("interval"); ok {
			if v < MinStockInterval {
				t.errorf("interval", "%s is shorter than the minimum %s", v, MinStockInterval)
			} else {
				s.Interval = v
			}
		}
	case "folder":
		if v, ok := t.required("dir"); ok {
			s.Dir = v
			if !filepath.IsAbs(v) {
				s.Dir = filepath.Join(d.dir, v)
			}
		}
		if v, ok := t.duration("settle"); ok {
			if v <= 0 {
				t.errorf("settle", "must be positive")
			} else {
				s.Settle = v
			}
		}
		s.Encoding = t.enum("encoding", "utf-8", "utf-8", "gb18030", "auto")
	}
	if v, ok := t.id("store"); ok {
		s.Store = v
	}
	for k, p := range map[string]*string{"sku_column": &s.SKUColumn, "store_column": &s.StoreColumn,
		"stock_column": &s.StockColumn, "price_column": &s.PriceColumn} {
		if v, ok := t.nonEmpty(k); ok {
			*p = strings.TrimSpace(v)
		}
	}
	return s
}

func (d *decoder) reporter(t *table) Reporter {
	r := Reporter{Resync: DefaultResync, DailyCalls: DefaultDailyCalls}
	if !t.has("type") {
		t.missing("type")
	} else {
		r.Type = t.enum("type", "", "hiding", "wdt", "youzan")
	}
	r.Name = r.Type
	if v, ok := t.nonEmpty("name"); ok {
		r.Name = v
	}
	r.BaseURL = reporterBaseURLs[r.Type]
	only := func(typ string, keys ...string) {
		for _, k := range keys {
			if t.has(k) && r.Type != "" && r.Type != typ {
				t.errorf(k, "only for type %q reporters", typ)
			}
		}
	}
	only("hiding", "tenant_id", "authorization", "auth", "operator")
	only("wdt", "sid", "appkey", "appsecret", "daily_calls")
	only("youzan", "platform", "items", "qps")
	if r.Type == "youzan" && t.has("base_url") {
		t.errorf("base_url", "not for type \"youzan\" reporters: the address is the [[platform]]'s")
	}
	if s, ok := t.nonEmpty("base_url"); ok && r.Type != "youzan" {
		u, err := url.Parse(s)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.RawQuery != "" || u.Fragment != "" {
			t.errorf("base_url", "%q is not an http:// or https:// URL without query", s)
		} else {
			r.BaseURL = strings.TrimRight(s, "/")
		}
	} else if r.Type == "hiding" && !t.has("base_url") {
		t.errorf("base_url", "required for type \"hiding\" (the tenant's 鼎力云 address) but missing")
	}
	switch r.Type {
	case "hiding":
		if v, ok := t.required("tenant_id"); ok {
			if strings.ContainsAny(v, "/?# ") {
				t.errorf("tenant_id", "%q holds a character not allowed in a URL path segment", v)
			} else {
				r.TenantID = v
			}
		}
		r.Auth = t.enum("auth", "basic", "basic", "none")
		if r.Auth == "basic" {
			if !t.has("authorization") {
				t.errorf("authorization", "required for auth = \"basic\" but missing")
			} else if v, ok := t.secret("authorization"); ok {
				r.Authorization = v
			}
		}
		r.Operator = "storeedge"
		if v, ok := t.nonEmpty("operator"); ok {
			r.Operator = v
		}
	case "wdt":
		for k, p := range map[string]*string{"sid": &r.SID, "appkey": &r.AppKey} {
			if v, ok := t.required(k); ok {
				*p = v
			}
		}
		if !t.has("appsecret") {
			t.missing("appsecret")
		} else if v, ok := t.secret("appsecret"); ok {
			r.AppSecret = v
		}
		if n, ok := t.integer("daily_calls"); ok {
			if n < 1 || n > DefaultDailyCalls {
				t.errorf("daily_calls", "%d is outside 1..%d (the platform's daily limit)", n, DefaultDailyCalls)
			} else {
				r.DailyCalls = int(n)
			}
		}
	case "youzan":
		if v, ok := t.required("platform"); ok {
			r.Platform = v
		}
		r.QPS = DefaultYouzanQPS
		if n, ok := t.integer("qps"); ok {
			if n < 1 || n > MaxYouzanQPS {
				t.errorf("qps", "%d is outside 1..%d (the platform's suggested limit)", n, MaxYouzanQPS)
			} else {
				r.QPS = int(n)
			}
		}
		if v, present := t.m["items"]; present {
			m, ok := v.(map[string]any)
			if !ok {
				t.errorf("items", "must be a table of POS SKU = \"num_iid:sku_id\", like { \"P001-RED\" = \"123:456\" }, not %s", typeName(v))
			} else {
				r.Items = map[string]string{}
				for _, k := range slices.Sorted(maps.Keys(m)) {
					s, ok := m[k].(string)
					if !ok || !youzanItemRE.MatchString(strings.TrimSpace(s)) || strings.HasPrefix(s, "0") || strings.Contains(s, ":0") {
						p := joinKey(t.field("items"), k)
						t.d.add(t.d.ix.line(p, t.field("items")), p, "must be the Youzan ids as \"num_iid:sku_id\", or \"num_iid\" for an item without SKUs (positive numbers), not %v", m[k])
						continue
					}
					r.Items[k] = strings.TrimSpace(s)
				}
			}
		}
	}
	if v, ok := t.duration("resync"); ok {
		if v < 0 || (v > 0 && v < time.Minute) {
			t.errorf("resync", "%s: want 0 (only on demand) or at least 1m", v)
		} else {
			r.Resync = v
		}
	}
	if v, present := t.m["stores"]; present {
		m, ok := v.(map[string]any)
		if !ok {
			t.errorf("stores", "must be a table of store id = platform store id, like { \"43435545\" = \"WH01\" }, not %s", typeName(v))
		} else {
			r.Stores = map[string]string{}
			for k, x := range m {
				s, ok := x.(string)
				if !ok || strings.TrimSpace(s) == "" {
					p := joinKey(t.field("stores"), k)
					t.d.add(t.d.ix.line(p, t.field("stores")), p, "must be the platform's store id as a non-empty string")
					continue
				}
				r.Stores[k] = s
			}
		}
	}
	return r
}

// stockRefs checks the stores named by sources and reporters, and fills a
// reporter's default store list (every store).
func (d *decoder) stockRefs(c *Config, srcTabs, repTabs []*table) {
	ids := map[string]bool{}
	var all []string
	for _, s := range c.Stores {
		ids[s.ID] = true
		all = append(all, s.ID)
	}
	known := func() string { return listNames("store", all) }
	for i, s := range c.StockSources {
		if s.Store != "" && !ids[s.Store] {
			srcTabs[i].errorf("store", "unknown store %q; %s", s.Store, known())
		}
	}
	for i := range c.Reporters {
		r, t := &c.Reporters[i], repTabs[i]
		if r.Type == "youzan" && r.Platform != "" {
			d.reporterPlatform(c, r, t)
		}
		if r.Stores == nil {
			r.Stores = map[string]string{}
			for _, id := range all {
				r.Stores[id] = id
			}
			continue
		}
		keys := make([]string, 0, len(r.Stores))
		for k := range r.Stores {
			keys = append(keys, k)
		}
		slices.Sort(keys)
		for _, k := range keys {
			if !ids[k] {
				p := joinKey(t.field("stores"), k)
				d.add(d.ix.line(p, t.field("stores")), p, "unknown store %q; %s", k, known())
			}
		}
	}
	if len(c.StockSources) > 0 && len(c.Reporters) == 0 {
		d.add(d.ix.line(srcTabs[0].path), srcTabs[0].path, "stock sources need at least one [[reporter]] to report to")
	}
}

// reporterPlatform checks that a youzan reporter names a [[platform]] of
// type youzan with outlets (mode multi_outlet).
func (d *decoder) reporterPlatform(c *Config, r *Reporter, t *table) {
	var names []string
	for _, p := range c.Platforms {
		if p.Type != "youzan" {
			continue
		}
		names = append(names, p.Name)
		if p.Name != r.Platform {
			continue
		}
		if p.Mode == ModeChain {
			t.errorf("platform", "%q is a retail chain (mode \"chain\"); stock and prices are reported to multi-outlet shops only", r.Platform)
		}
		return
	}
	known := "no [[platform]] of type \"youzan\" is configured"
	if len(names) > 0 {
		known = listNames("platform", names)
	}
	t.errorf("platform", "no [[platform]] of type \"youzan\" is named %q; %s", r.Platform, known)
}

// redactStock masks the stock sources' and reporters' secrets.
func (r *Config) redactStock(c *Config) {
	r.StockSources = slices.Clone(c.StockSources)
	for i := range r.StockSources {
		if r.StockSources[i].DSN != "" {
			r.StockSources[i].DSN = Masked
		}
	}
	r.Reporters = slices.Clone(c.Reporters)
	for i := range r.Reporters {
		if r.Reporters[i].Authorization != "" {
			r.Reporters[i].Authorization = Masked
		}
		if r.Reporters[i].AppSecret != "" {
			r.Reporters[i].AppSecret = Masked
		}
	}
}
