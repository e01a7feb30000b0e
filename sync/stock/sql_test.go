package stock

import (
	"context"
	"database/sql"
	"fmt"
	"path/filepath"
	"strings"
	"testing"
)

// posSchema is a POS's goods table in the shape many Chinese POS systems
// use: codes, a store column, a quantity and a price with decimals.
const posSchema = `CREATE TABLE goods (code VARCHAR(32), shop VARCHAR(16), qty DECIMAL(12,3), price DECIMAL(12,2))`

// fillPOS writes n goods rows through db with the given placeholder style.
func fillPOS(t *testing.T, db *sql.DB, n int, ph func(i int) string) {
	t.Helper()
	tx, err := db.Begin()
	if err != nil {
		t.Fatal(err)
	}
	ins := fmt.Sprintf("INSERT INTO goods (code, shop, qty, price) VALUES (%s, %s, %s, %s)", ph(1), ph(2), ph(3), ph(4))
	for i := range n {
		if _, err := tx.Exec(ins, fmt.Sprintf("G%05d", i), "s1", fmt.Sprintf("%d.5", i%40), fmt.Sprintf("%d.99", 1+i%30)); err != nil {
			t.Fatal(err)
		}
	}
	if err := tx.Commit(); err != nil {
		t.Fatal(err)
	}
}

const posQuery = `SELECT code AS sku, shop AS store, qty AS stock, price FROM goods ORDER BY code`

// checkPOSSource runs a SQL source against a filled POS database: the
// first run reports everything, the second only the rows changed between.
func checkPOSSource(t *testing.T, driver, dsn string, db *sql.DB, n int) {
	t.Helper()
	var c collector
	src, err := NewSQL(SQLOptions{Name: "pos", Driver: driver, DSN: dsn, Query: posQuery, Submit: c.submit})
	if err != nil {
		t.Fatal(err)
	}
	defer src.Close()
	if _, err := src.Once(context.Background()); err != nil {
		t.Fatal(err)
	}
	if len(c.vals) != 2*n {
		t.Fatalf("read %d values, want %d", len(c.vals), 2*n)
	}
	got := map[string]string{}
	for _, v := range c.vals {
		got[v.SKU+"/"+string(v.Kind)] = v.Num.String()
	}
	if got["G00003/stock"] != "3.5" || got["G00003/price"] != "4.99" {
		t.Errorf("G00003 = %s / %s, want 3.5 / 4.99 exactly", got["G00003/stock"], got["G00003/price"])
	}
	// A row the POS holds wrong is skipped with its reason; the rest count.
	if _, err := db.Exec("UPDATE goods SET code = '' WHERE code = 'G00001'"); err != nil {
		t.Fatal(err)
	}
	c.vals = nil
	if _, err := src.Once(context.Background()); err != nil {
		t.Fatal(err)
	}
	h := src.Health()
	if len(c.vals) != 2*(n-1) || len(h.Problems) != 1 || !strings.Contains(h.Problems[0].Error(), "query pos:1: sku is empty") {
		t.Errorf("values %d, problems %v", len(c.vals), h.Problems)
	}
}

func TestSQLiteSource(t *testing.T) {
	path := filepath.Join(t.TempDir(), "pos.db")
	db, err := sql.Open("sqlite", path)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if _, err := db.Exec(posSchema); err != nil {
		t.Fatal(err)
	}
	fillPOS(t, db, 500, func(int) string { return "?" })
	checkPOSSource(t, "sqlite", path, db, 500)
}

func TestSQLSourceErrors(t *testing.T) {
	path := filepath.Join(t.TempDir(), "pos.db")
	db, _ := sql.Open("sqlite", path)
	defer db.Close()
	if _, err := db.Exec(posSchema); err != nil {
		t.Fatal(err)
	}
	tests := []struct{ query, want string }{
		{"SELECT code, qty FROM goods", `no "sku" column (columns: code, qty)`},
		{"SELECT code AS sku FROM goods", `neither a "stock" nor a "price" column`},
		{"SELECT code AS sku, qty AS stock FROM goods", `no "store" column and no default store`},
		{"SELECT x FROM nowhere", "no such table"},
	}
	for _, tt := range tests {
		var c collector
		src, err := NewSQL(SQLOptions{Name: "pos", Driver: "sqlite", DSN: path, Query: tt.query, Submit: c.submit})
		if err != nil {
			t.Fatal(err)
		}
		_, err = src.Once(context.Background())
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%s: err %v, want %q", tt.query, err, tt.want)
		}
		if h := src.Health(); h.LastError == "" {
			t.Errorf("%s: health shows no error", tt.query)
		}
		src.Close()
	}
	if _, err := NewSQL(SQLOptions{Name: "pos", Driver: "oracle", Query: "x", Submit: (&collector{}).submit}); err == nil ||
		!strings.Contains(err.Error(), "mysql, postgres, sqlite, sqlserver") {
		t.Errorf("unknown driver: %v", err)
	}
}
