package stock

import (
	"context"
	"database/sql"
	"math"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"storeedge/decimal"
)

// sqlCell is one fuzzed column value as a POS database may store it.
type sqlCell struct {
	kind uint8 // 0 NULL, 1 TEXT, 2 INTEGER, 3 REAL, 4 BLOB
	text string
	n    int64
	f    float64
}

func (c sqlCell) value() any {
	switch c.kind % 5 {
	case 1:
		return c.text
	case 2:
		return c.n
	case 3:
		return c.f
	case 4:
		return []byte(c.text)
	}
	return nil
}

// want is the number a cell holds, worked out without the source's code:
// whether the cell has a value, and whether that value is a number the
// source must take.
func (c sqlCell) want() (d decimal.Dec, present, ok bool) {
	var s string
	switch c.kind % 5 {
	case 0:
		return decimal.Zero, false, false
	case 1, 4:
		if strings.TrimSpace(c.text) == "" {
			return decimal.Zero, false, false
		}
		s = strings.ReplaceAll(strings.TrimSpace(c.text), ",", "")
	case 2:
		s = strconv.FormatInt(c.n, 10)
	case 3:
		if math.IsNaN(c.f) {
			return decimal.Zero, false, false // SQLite stores NaN as NULL
		}
		if math.IsInf(c.f, 0) {
			return decimal.Zero, true, false
		}
		s = strconv.FormatFloat(c.f, 'f', -1, 64)
	}
	d, err := decimal.Parse(s)
	return d, true, err == nil
}

// FuzzSQLRow stores one row of any SKU, store, stock and price, each as
// any SQLite storage class, in a real SQLite database and reads it with
// the SQL source. The row gives exactly the numbers it holds, or is
// skipped as a problem naming its row when something in it is wrong.
func FuzzSQLRow(f *testing.F) {
	f.Add("G00001", "s2", uint8(1), " 1,234.5 ", int64(0), 0.0, uint8(1), "12.80", 0.0)
	f.Add("G00002", "", uint8(2), "", int64(-7), 0.0, uint8(3), "", 4.99)
	f.Add(" 奶茶 ", " ", uint8(3), "", int64(0), 12.5, uint8(0), "", 0.0)
	f.Add("G3", "s1", uint8(3), "", int64(0), 1e300, uint8(4), "3", 0.0)
	f.Add("G4", "s1", uint8(3), "", int64(0), math.NaN(), uint8(1), "x", 0.0)
	f.Add("", "s1", uint8(2), "", int64(1), 0.0, uint8(2), "", -1.0)
	f.Add("G5", "s1", uint8(1), "0.00001", int64(0), 0.0, uint8(3), "", -0.5)
	f.Add("G6", "s1", uint8(2), "", int64(math.MinInt64), 0.0, uint8(0), "", 0.0)
	path := filepath.Join(f.TempDir(), "pos.db")
	db, err := sql.Open("sqlite", path)
	if err != nil {
		f.Fatal(err)
	}
	f.Cleanup(func() { db.Close() })
	db.SetMaxOpenConns(1) // the pragmas below hold for this one connection
	if _, err := db.Exec(`PRAGMA journal_mode=MEMORY; PRAGMA synchronous=OFF`); err != nil {
		f.Fatal(err)
	}
	if _, err := db.Exec(`CREATE TABLE goods (code, shop, qty, price)`); err != nil { // no types: each value keeps its class
		f.Fatal(err)
	}
	query := `SELECT code AS sku, shop AS store, qty AS stock, price FROM goods`
	f.Fuzz(func(t *testing.T, sku, store string, sk uint8, stext string, sint int64, sfloat float64, pk uint8, ptext string, pfloat float64) {
		stock := sqlCell{kind: sk, text: stext, n: sint, f: sfloat}
		price := sqlCell{kind: pk, text: ptext, n: int64(pfloat), f: pfloat}
		if _, err := db.Exec(`DELETE FROM goods`); err != nil {
			t.Fatal(err)
		}
		if _, err := db.Exec(`INSERT INTO goods VALUES (?, ?, ?, ?)`, sku, store, stock.value(), price.value()); err != nil {
			t.Skipf("SQLite takes no such row: %v", err)
		}
		var c collector
		src, err := NewSQL(SQLOptions{Name: "pos", Driver: "sqlite", DSN: path, Submit: c.submit, Query: query, Mapping: Mapping{Store: "s1"}})
		if err != nil {
			t.Fatal(err)
		}
		defer src.Close()
		if _, err := src.Once(context.Background()); err != nil {
			t.Fatalf("query failed: %v", err)
		}
		problems := src.Health().Problems
		wantStore := strings.TrimSpace(store)
		if wantStore == "" {
			wantStore = "s1"
		}
		wantSKU := strings.TrimSpace(sku)
		sd, sPresent, sOK := stock.want()
		pd, pPresent, pOK := price.want()
		bad := wantSKU == "" || (!sPresent && !pPresent) || (sPresent && !sOK) || (pPresent && !pOK)
		var wantVals []Value
		if !bad {
			if sPresent {
				wantVals = append(wantVals, Value{Store: wantStore, SKU: wantSKU, Kind: KindStock, Num: sd})
			}
			if pPresent {
				wantVals = append(wantVals, Value{Store: wantStore, SKU: wantSKU, Kind: KindPrice, Num: pd})
			}
			for _, v := range wantVals {
				bad = bad || v.Check() != nil
			}
		}
		if bad {
			if len(c.vals) != 0 || len(problems) != 1 || problems[0].Line != 1 || problems[0].Reason == "" {
				t.Fatalf("bad row read as %+v, problems %v", c.vals, problems)
			}
			return
		}
		if len(problems) != 0 {
			t.Fatalf("good row skipped: %v", problems[0])
		}
		if len(c.vals) != len(wantVals) {
			t.Fatalf("read %+v, want %+v", c.vals, wantVals)
		}
		for i, v := range c.vals {
			w := wantVals[i]
			if v.Store != w.Store || v.SKU != w.SKU || v.Kind != w.Kind || v.Num.Cmp(w.Num) != 0 {
				t.Fatalf("read %s %s/%s = %s, want %s %s/%s = %s", v.Kind, v.Store, v.SKU, v.Num, w.Kind, w.Store, w.SKU, w.Num)
			}
		}
	})
}
