package youzan_test

import (
	"context"
	"errors"
	"net/http/httptest"
	"strings"
	"testing"

	"storeedge/sync/sim"
	"storeedge/sync/youzan"
)

func TestCall(t *testing.T) {
	s := sim.New(sim.Options{})
	srv := httptest.NewServer(s.Handler())
	defer srv.Close()
	c, err := youzan.New(youzan.Config{Name: "yz", BaseURL: srv.URL, ClientID: "demo-client", ClientSecret: "demo-secret", GrantID: "90001"})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	search := func() (*youzan.OfflineSearchData, error) {
		var d youzan.OfflineSearchData
		err := c.Call(ctx, "youzan.multistore.offline.search", "3.0.0", youzan.OfflineSearchParams{PageNo: 1, PageSize: 20}, &d)
		return &d, err
	}
	d, err := search()
	if err != nil || len(d.List) != len(sim.DefaultStores) || string(d.List[0].ID) != sim.DefaultStores[0].ID {
		t.Fatalf("offline.search = %+v, %v", d, err)
	}
	// A revoked token is renewed and the call made again.
	s.RevokeTokens()
	if d, err = search(); err != nil || len(d.List) != len(sim.DefaultStores) {
		t.Fatalf("after the token was revoked: %+v, %v", d, err)
	}
	if c.Mode() != youzan.ModeMultiOutlet || c.Name() != "yz" {
		t.Errorf("Mode %q Name %q", c.Mode(), c.Name())
	}

	tests := []struct {
		name, api, version string
		params             any
		wantCode           int
		want               string
	}{
		{"bad api name", "trades sold", "4.0.4", map[string]any{}, 0, `"trades sold" is not an API name`},
		{"bad version", "youzan.trades.sold.get", "4", map[string]any{}, 0, `version "4" is not a version`},
		{"unknown API", "youzan.no.such.api", "1.0.0", map[string]any{}, youzan.CodeUnknownAPI, "unknown API"},
		{"params not JSON", "youzan.trades.sold.get", "4.0.4", func() {}, 0, "encode request"},
		{"business error", "youzan.trades.sold.get", "4.0.4", map[string]any{"page_no": 101}, sim.CodeBadParam, "page_no"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := c.Call(ctx, tt.api, tt.version, tt.params, nil)
			var ae *youzan.APIError
			if !errors.As(err, &ae) || ae.Code != tt.wantCode || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("err = %v (code %d), want code %d and %q", err, codeOf(ae), tt.wantCode, tt.want)
			}
		})
	}
}

func codeOf(e *youzan.APIError) int {
	if e == nil {
		return -1
	}
	return e.Code
}
