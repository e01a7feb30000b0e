package config

import (
	"strings"
	"testing"
	"time"
)

const stockBase = `
[agent]
data_dir = "/tmp/x"

[[platform]]
type = "youzan"
client_id = "c"
client_secret = "s"
grant_id = "1"

[[store]]
id = "43435545"

[[store]]
id = "43435546"
`

func TestStockConfig(t *testing.T) {
	doc := stockBase + `
[[stock_source]]
name = "pos"
type = "sql"
driver = "sqlite"
dsn = "pos.db"
query = "SELECT code AS sku, qty AS stock FROM goods"
interval = "30s"
store = "43435545"

[[stock_source]]
type = "folder"
dir = "drop"
encoding = "gb18030"
sku_column = "编码"

[[reporter]]
type = "hiding"
base_url = "https://dly.example.com/"
tenant_id = "t1"
authorization = "env:HD_AUTH"
stores = { "43435545" = "S001" }

[[reporter]]
type = "wdt"
sid = "s"
appkey = "k"
appsecret = "file:secret.txt"
daily_calls = 1500
resync = "0s"
`
	env := func(k string) (string, bool) { return "u:p", k == "HD_AUTH" }
	c, err := Parse("/etc/se/shop.toml", []byte(strings.ReplaceAll(doc, `"file:secret.txt"`, `"inline"`)), env)
	if err != nil {
		t.Fatal(err)
	}
	s0, s1 := c.StockSources[0], c.StockSources[1]
	if s0.DSN != "/etc/se/pos.db" || s0.Interval != 30*time.Second || s0.Driver != "sqlite" || s0.Store != "43435545" {
		t.Errorf("sql source %+v", s0)
	}
	if s1.Name != "folder" || s1.Dir != "/etc/se/drop" || s1.Encoding != "gb18030" || s1.SKUColumn != "编码" || s1.Settle != DefaultSettle {
		t.Errorf("folder source %+v", s1)
	}
	h, w := c.Reporters[0], c.Reporters[1]
	if h.BaseURL != "https://dly.example.com" || h.Authorization != "u:p" || h.Auth != "basic" || len(h.Stores) != 1 || h.Stores["43435545"] != "S001" || h.Resync != DefaultResync {
		t.Errorf("hiding reporter %+v", h)
	}
	if w.BaseURL != "https://api.wangdian.cn/openapi2" || w.DailyCalls != 1500 || w.Resync != 0 || len(w.Stores) != 2 {
		t.Errorf("wdt reporter %+v", w)
	}
	r := c.Redacted()
	if r.Reporters[0].Authorization != Masked || r.Reporters[1].AppSecret != Masked || r.StockSources[0].DSN != Masked || c.Reporters[0].Authorization != "u:p" {
		t.Errorf("redacted %+v", r.Reporters)
	}
}

func TestStockConfigErrors(t *testing.T) {
	tests := []struct{ name, doc, want string }{
		{"missing type", "[[stock_source]]\nname = \"a\"\n[[reporter]]\ntype = \"wdt\"\nsid=\"s\"\nappkey=\"k\"\nappsecret=\"x\"\n",
			"shop.toml:17: stock_source[0].type: required key is missing"},
		{"unknown driver", "[[stock_source]]\ntype = \"sql\"\ndriver = \"oracle\"\ndsn = \"x\"\nquery = \"q\"\n[[reporter]]\ntype = \"wdt\"\nsid=\"s\"\nappkey=\"k\"\nappsecret=\"x\"\n",
			`shop.toml:19: stock_source[0].driver: "oracle" is not one of sqlite, postgres, mysql, sqlserver`},
		{"folder key on sql", "[[stock_source]]\ntype = \"sql\"\ndriver = \"sqlite\"\ndsn = \"x\"\nquery = \"q\"\ndir = \"d\"\n[[reporter]]\ntype = \"wdt\"\nsid=\"s\"\nappkey=\"k\"\nappsecret=\"x\"\n",
			`shop.toml:22: stock_source[0].dir: only for type "folder" sources`},
		{"no reporter", "[[stock_source]]\ntype = \"folder\"\ndir = \"d\"\nstore = \"43435545\"\n",
			"stock_source[0]: stock sources need at least one [[reporter]]"},
		{"unknown store", "[[stock_source]]\ntype = \"folder\"\ndir = \"d\"\nstore = \"9\"\n[[reporter]]\ntype = \"wdt\"\nsid=\"s\"\nappkey=\"k\"\nappsecret=\"x\"\n",
			`shop.toml:20: stock_source[0].store: unknown store "9"`},
		{"hiding without base_url", "[[reporter]]\ntype = \"hiding\"\ntenant_id = \"t\"\nauthorization = \"a\"\n",
			`reporter[0].base_url: required for type "hiding"`},
		{"reporter unknown store", "[[reporter]]\ntype = \"wdt\"\nsid=\"s\"\nappkey=\"k\"\nappsecret=\"x\"\nstores = { \"77\" = \"WH\" }\n",
			`shop.toml:22: reporter[0].stores.77: unknown store "77"`},
		{"daily calls over", "[[reporter]]\ntype = \"wdt\"\nsid=\"s\"\nappkey=\"k\"\nappsecret=\"x\"\ndaily_calls = 5000\n",
			`shop.toml:22: reporter[0].daily_calls: 5000 is outside 1..2000`},
		{"unknown key", "[[reporter]]\ntype = \"wdt\"\nsid=\"s\"\nappkey=\"k\"\nappsecret=\"x\"\napp_secret = \"y\"\n",
			`shop.toml:22: reporter[0].app_secret: unknown key`},
		{"youzan without platform", "[[reporter]]\ntype = \"youzan\"\n",
			`shop.toml:17: reporter[0].platform: required key is missing`},
		{"youzan unknown platform", "[[reporter]]\ntype = \"youzan\"\nplatform = \"yz\"\n",
			`shop.toml:19: reporter[0].platform: no [[platform]] of type "youzan" is named "yz"; configured: "youzan"`},
		{"youzan base_url", "[[reporter]]\ntype = \"youzan\"\nplatform = \"youzan\"\nbase_url = \"https://x.example\"\n",
			`shop.toml:20: reporter[0].base_url: not for type "youzan" reporters`},
		{"youzan bad item", "[[reporter]]\ntype = \"youzan\"\nplatform = \"youzan\"\nitems = { \"P1\" = \"123:456\", \"P2\" = \"abc\" }\n",
			`shop.toml:20: reporter[0].items.P2: must be the Youzan ids as "num_iid:sku_id"`},
		{"youzan zero sku id", "[[reporter]]\ntype = \"youzan\"\nplatform = \"youzan\"\nitems = { \"P1\" = \"123:0\" }\n",
			`shop.toml:20: reporter[0].items.P1: must be the Youzan ids`},
		{"youzan qps", "[[reporter]]\ntype = \"youzan\"\nplatform = \"youzan\"\nqps = 80\n",
			`shop.toml:20: reporter[0].qps: 80 is outside 1..50`},
		{"youzan key on wdt", "[[reporter]]\ntype = \"wdt\"\nsid=\"s\"\nappkey=\"k\"\nappsecret=\"x\"\nitems = {}\n",
			`shop.toml:22: reporter[0].items: only for type "youzan" reporters`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Parse("shop.toml", []byte(stockBase+"\n"+tt.doc), func(string) (string, bool) { return "", false })
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("err = %v\nwant %q", err, tt.want)
			}
		})
	}
}

func TestYouzanReporterConfig(t *testing.T) {
	doc := stockBase + `
[[reporter]]
name = "yz-stock"
type = "youzan"
platform = "youzan"
items = { "P001-RED" = "123:456", "BOX" = "789" }
qps = 10
stores = { "43435545" = "43435545" }
`
	c, err := Parse("shop.toml", []byte(doc), func(string) (string, bool) { return "", false })
	if err != nil {
		t.Fatal(err)
	}
	r := c.Reporters[0]
	if r.Name != "yz-stock" || r.Type != "youzan" || r.Platform != "youzan" || r.QPS != 10 || r.BaseURL != "" ||
		r.Items["P001-RED"] != "123:456" || r.Items["BOX"] != "789" || len(r.Items) != 2 || len(r.Stores) != 1 || r.Resync != DefaultResync {
		t.Errorf("youzan reporter %+v", r)
	}

	chain := strings.Replace(stockBase, `grant_id = "1"`, "grant_id = \"1\"\nmode = \"chain\"", 1) + `
[[reporter]]
type = "youzan"
platform = "youzan"
`
	_, err = Parse("shop.toml", []byte(chain), func(string) (string, bool) { return "", false })
	if err == nil || !strings.Contains(err.Error(), `reporter[0].platform: "youzan" is a retail chain`) {
		t.Errorf("chain platform: err = %v", err)
	}
}
