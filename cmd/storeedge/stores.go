package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"slices"
	"strings"
	"time"

	"storeedge/agent/config"
	"storeedge/printer/escpos"
	"storeedge/sync/order"
	"storeedge/sync/wdt"
	"storeedge/sync/youzan"
)

func init() {
	register("stores", "list a platform's stores, ready to paste into [[store]] and [[binding]]", cmdStores)
}

// storesTimeout bounds one listing.
const storesTimeout = 2 * time.Minute

// listedStore is one store as the stores command prints it.
type listedStore struct {
	ID       string `json:"id"`
	Name     string `json:"name"`
	Kind     string `json:"kind,omitempty"`
	Address  string `json:"address,omitempty"`
	Phone    string `json:"phone,omitempty"`
	Disabled bool   `json:"disabled,omitempty"`
	GrantID  string `json:"grant_id,omitempty"` // a chain branch's own grant
}

func cmdStores(args []string, stdout, stderr io.Writer) error {
	fs := newFlags("stores", stderr)
	cfgPath := fs.String("config", "", "config `FILE` (TOML) holding the platform's account")
	name := fs.String("platform", "", "`NAME` of the [[platform]] to list (may be left out when there is one)")
	format := fs.String("format", "toml", "toml, table or json")
	match := fs.String("match", "", "list only stores whose id, name or address contains `TEXT`")
	bind := fs.String("bind", "", "also write [[binding]] tables: `KIND=PRINTER[,KIND=PRINTER]` (kinds receipt, kitchen, cancel)")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if !slices.Contains([]string{"toml", "table", "json"}, *format) {
		return usagef("--format %q: use toml, table or json", *format)
	}
	binds, err := parseBinds(*bind)
	if err != nil {
		return err
	}
	if *cfgPath == "" {
		return usagef("--config FILE is required")
	}
	cfg, err := config.Load(*cfgPath)
	if err != nil {
		return usageError{err}
	}
	pc, err := pickPlatform(cfg, *name)
	if err != nil {
		return err
	}
	ctx, stop := signalContext()
	defer stop()
	ctx, cancel := context.WithTimeout(ctx, storesTimeout)
	defer cancel()
	stores, source, err := listStores(ctx, pc)
	if err != nil {
		return err
	}
	if *match != "" {
		stores = slices.DeleteFunc(stores, func(s listedStore) bool {
			return !strings.Contains(s.ID, *match) && !strings.Contains(s.Name, *match) && !strings.Contains(s.Address, *match)
		})
	}
	switch *format {
	case "json":
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		return enc.Encode(stores)
	case "table":
		writeStoreTable(stdout, stores)
		return nil
	}
	writeStoreTOML(stdout, pc, source, stores, binds)
	return nil
}

// binding is one --bind pair.
type binding struct{ kind, printer string }

func parseBinds(s string) ([]binding, error) {
	if strings.TrimSpace(s) == "" {
		return nil, nil
	}
	var out []binding
	for _, part := range strings.Split(s, ",") {
		kind, printer, ok := strings.Cut(strings.TrimSpace(part), "=")
		kind, printer = strings.TrimSpace(kind), strings.TrimSpace(printer)
		switch {
		case !ok || printer == "":
			return nil, usagef("--bind %q: want KIND=PRINTER, e.g. receipt=front", part)
		case !slices.Contains([]string{string(order.KindReceipt), string(order.KindKitchen), string(order.KindCancel)}, kind):
			return nil, usagef("--bind %q: ticket kind %q is not receipt, kitchen or cancel", part, kind)
		}
		out = append(out, binding{kind, printer})
	}
	return out, nil
}

// pickPlatform finds the [[platform]] to list.
func pickPlatform(cfg *config.Config, name string) (config.Platform, error) {
	var names []string
	for _, p := range cfg.Platforms {
		if p.Name == name || (name == "" && len(cfg.Platforms) == 1) {
			return p, nil
		}
		names = append(names, p.Name)
	}
	switch {
	case len(names) == 0:
		return config.Platform{}, usagef("%s has no [[platform]]", cfg.File)
	case name == "":
		return config.Platform{}, usagef("--platform NAME is required: %s has %s", cfg.File, strings.Join(names, ", "))
	}
	return config.Platform{}, usagef("%s has no platform %q (it has %s)", cfg.File, name, strings.Join(names, ", "))
}

// listStores asks the platform for its stores; source says which API.
func listStores(ctx context.Context, pc config.Platform) ([]listedStore, string, error) {
	var out []listedStore
	switch pc.Type {
	case "youzan":
		c, err := youzan.New(youzan.Config{Name: pc.Name, BaseURL: pc.BaseURL, ClientID: pc.ClientID,
			ClientSecret: pc.ClientSecret, GrantID: pc.GrantID, Mode: pc.Mode})
		if err != nil {
			return nil, "", usageError{err}
		}
		list, err := c.Stores(ctx)
		if err != nil {
			return nil, "", err
		}
		source := fmt.Sprintf("Youzan shop %s, outlets from youzan.multistore.offline.search", pc.GrantID)
		if pc.Mode == config.ModeChain {
			source = fmt.Sprintf("Youzan chain HQ %s, branches from youzan.shop.chain.descendent.organization.list", pc.GrantID)
		}
		for _, s := range list {
			ls := listedStore{ID: s.ID, Name: s.Name, Kind: s.Kind, Address: s.Address, Phone: s.Phone, Disabled: s.Disabled}
			if pc.Mode == config.ModeChain {
				ls.GrantID = s.ID
			}
			out = append(out, ls)
		}
		return out, source, nil
	case "wdt":
		c, err := wdt.New(wdt.Config{Name: pc.Name, BaseURL: pc.BaseURL, SID: pc.SID, AppKey: pc.AppKey,
			AppSecret: pc.AppSecret, MaxSpan: pc.MaxSpan})
		if err != nil {
			return nil, "", usageError{err}
		}
		list, err := c.Shops(ctx)
		if err != nil {
			return nil, "", err
		}
		for _, s := range list {
			out = append(out, listedStore{ID: s.ID, Name: s.Name, Kind: "店铺", Address: s.Address, Phone: s.Phone, Disabled: s.Disabled})
		}
		return out, fmt.Sprintf("Wangdiantong seller %s, shops from shop.php", pc.SID), nil
	}
	return nil, "", usagef("platform %q: listing stores of type %q is not supported", pc.Name, pc.Type)
}

func writeStoreTable(w io.Writer, stores []listedStore) {
	head := []string{"ID", "NAME", "KIND", "ADDRESS", "PHONE"}
	rows := [][]string{head}
	for _, s := range stores {
		kind := s.Kind
		if s.Disabled {
			kind += " (closed)"
		}
		rows = append(rows, []string{s.ID, s.Name, kind, s.Address, s.Phone})
	}
	widths := make([]int, len(head))
	for _, r := range rows {
		for i, c := range r {
			widths[i] = max(widths[i], escpos.Width(c))
		}
	}
	for _, r := range rows {
		var b strings.Builder
		for i, c := range r {
			if i == len(r)-1 {
				b.WriteString(c)
				break
			}
			b.WriteString(escpos.PadRight(c, widths[i]))
			b.WriteString("  ")
		}
		fmt.Fprintln(w, strings.TrimRight(b.String(), " "))
	}
}

func writeStoreTOML(w io.Writer, pc config.Platform, source string, stores []listedStore, binds []binding) {
	noun := "stores"
	if len(stores) == 1 {
		noun = "store"
	}
	fmt.Fprintf(w, "# %d %s of platform %q (%s).\n", len(stores), noun, pc.Name, source)
	fmt.Fprintln(w, "# Keep the [[store]] tables of the stores this PC prints for; check with storeedge check-config.")
	if pc.Mode == config.ModeChain {
		fmt.Fprintln(w, "# grant_id reads a branch with its own token; without it the HQ token is used.")
	}
	for _, s := range stores {
		fmt.Fprintln(w)
		if s.Disabled {
			fmt.Fprintln(w, "# closed on the platform")
		}
		fmt.Fprintln(w, "[[store]]")
		fmt.Fprintf(w, "id = %s\n", tomlString(s.ID))
		fmt.Fprintf(w, "name = %s\n", tomlString(s.Name))
		fmt.Fprintf(w, "platform = %s\n", tomlString(pc.Name))
		if pc.Type == "wdt" {
			fmt.Fprintf(w, "shop_no = %s\n", tomlString(s.ID))
		}
		if s.GrantID != "" {
			fmt.Fprintf(w, "grant_id = %s\n", tomlString(s.GrantID))
		}
		var notes []string
		for _, n := range []struct{ k, v string }{{"kind", s.Kind}, {"address", s.Address}, {"phone", s.Phone}} {
			if n.v != "" {
				notes = append(notes, n.k+": "+oneLine(n.v))
			}
		}
		if len(notes) > 0 {
			fmt.Fprintf(w, "# %s\n", strings.Join(notes, "; "))
		}
		for _, b := range binds {
			fmt.Fprintf(w, "\n[[binding]]\nstore = %s\nticket = %s\nprinters = [%s]\n", tomlString(s.ID), tomlString(b.kind), tomlString(b.printer))
		}
	}
}

func oneLine(s string) string { return strings.Join(strings.Fields(s), " ") }

// tomlString writes s as a TOML basic string.
func tomlString(s string) string {
	var b strings.Builder
	b.WriteByte('"')
	for _, r := range s {
		switch {
		case r == '"' || r == '\\':
			b.WriteByte('\\')
			b.WriteRune(r)
		case r < 0x20 || r == 0x7f:
			fmt.Fprintf(&b, `\u%04X`, r)
		default:
			b.WriteRune(r)
		}
	}
	b.WriteByte('"')
	return b.String()
}
