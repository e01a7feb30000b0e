package youzan

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strings"
)

// Store discovery APIs, their versions and page sizes.
const (
	apiOfflineSearch  = "multistore.offline.search"
	fullOfflineSearch = "youzan.multistore.offline.search"
	versionOffline    = "3.0.0"
	offlinePageSize   = 100

	apiChainOrgs  = "shop.chain.descendent.organization.list"
	fullChainOrgs = "youzan.shop.chain.descendent.organization.list"
	versionChain  = "1.0.1"
	chainPageSize = 50 // the API's maximum

	maxListPages = 1000 // a safety stop for an answer whose count never ends
)

// StoreInfo is one store as store discovery lists it: its id is the one a
// [[store]] takes (an outlet's offline_id, or a chain branch's kdt_id).
type StoreInfo struct {
	ID       string
	Name     string
	Kind     string // 门店 (store), 自提点 (pickup point), 网店 (online shop), 仓库...
	Address  string
	Phone    string
	Parent   string // a branch's parent kdt_id
	Disabled bool   // closed or out of business
}

// Stores lists the stores of the configured shop: the outlets
// (youzan.multistore.offline.search) of a multi-outlet shop, the branches
// (youzan.shop.chain.descendent.organization.list, with the HQ token) of a
// retail chain. They come sorted by id.
func (c *Client) Stores(ctx context.Context) ([]StoreInfo, error) {
	var out []StoreInfo
	var err error
	if c.cfg.Mode == ModeChain {
		out, err = c.branches(ctx)
	} else {
		out, err = c.outlets(ctx)
	}
	if err != nil {
		return nil, fmt.Errorf("youzan %s: list stores: %w", c.cfg.Name, err)
	}
	slices.SortFunc(out, func(a, b StoreInfo) int {
		return cmp.Or(cmp.Compare(len(a.ID), len(b.ID)), cmp.Compare(a.ID, b.ID))
	})
	return out, nil
}

func (c *Client) outlets(ctx context.Context) ([]StoreInfo, error) {
	var out []StoreInfo
	seen := map[string]bool{}
	for n := int64(1); n <= maxListPages; n++ {
		p := OfflineSearchParams{PageNo: n, PageSize: offlinePageSize}
		d, err := call(ctx, c, c.cfg.GrantID, apiOfflineSearch, fullOfflineSearch, versionOffline, p, decodeOutlets)
		if err != nil {
			return nil, fmt.Errorf("page %d: %w", n, err)
		}
		for i, o := range d.List {
			id := strings.TrimSpace(string(o.ID))
			if !digits(id) {
				return nil, &APIError{API: apiOfflineSearch, Err: fmt.Errorf("page %d: list[%d].id %q is not an outlet id", n, i, id)}
			}
			if seen[id] {
				continue // rows move between pages while paging
			}
			seen[id] = true
			kind := "网点"
			switch {
			case o.IsStore.True() && o.IsSelfFetch.True():
				kind = "门店+自提点"
			case o.IsStore.True():
				kind = "门店"
			case o.IsSelfFetch.True():
				kind = "自提点"
			}
			out = append(out, StoreInfo{ID: id, Name: strings.TrimSpace(o.Name), Kind: kind,
				Address: joinAddress(o.Province, o.City, o.Area, o.Address),
				Phone:   strings.TrimSpace(cmp.Or(o.Phone1, o.Phone2))})
		}
		if len(d.List) < offlinePageSize || int64(len(seen)) >= d.Count {
			return out, nil
		}
	}
	return nil, fmt.Errorf("more than %d pages of outlets", maxListPages)
}

// roleWords names a chain organisation's role.
var roleWords = map[string]string{"2": "门店/网店", "2001": "门店", "2002": "网店", "3": "独立仓", "4": "合伙人",
	"6": "分销供货店铺", "7": "前置仓", "9": "三方CRM门店"}

func (c *Client) branches(ctx context.Context) ([]StoreInfo, error) {
	var out []StoreInfo
	seen := map[string]bool{}
	for n := int64(1); n <= maxListPages; n++ {
		p := ChainOrgListParams{PageNum: n, PageSize: chainPageSize}
		d, err := call(ctx, c, c.cfg.GrantID, apiChainOrgs, fullChainOrgs, versionChain, p, decodeChainOrgs)
		if err != nil {
			return nil, fmt.Errorf("page %d: %w", n, err)
		}
		for i, o := range d.OrganizationList {
			id := strings.TrimSpace(string(o.KdtID))
			if !digits(id) {
				return nil, &APIError{API: apiChainOrgs, Err: fmt.Errorf("page %d: organization_list[%d].kdt_id %q is not a kdt_id", n, i, id)}
			}
			if seen[id] {
				continue
			}
			seen[id] = true
			kind := roleWords[string(o.Role)]
			if kind == "" && o.Role != "" {
				kind = "role " + string(o.Role)
			}
			if o.JoinType == "2" {
				kind += " (加盟)"
			}
			si := StoreInfo{ID: id, Name: strings.TrimSpace(o.Name), Kind: kind, Parent: string(o.ParentKdtID),
				Disabled: o.OfflineBusinessStatus == "3" || (o.OfflineBusinessStatus == "" && o.AccessStatus == "3")}
			if a := o.ShopAddress; a != nil {
				si.Address = joinAddress(a.Province, a.City, a.County, a.Address)
			}
			out = append(out, si)
		}
		if len(d.OrganizationList) < chainPageSize || (d.Total > 0 && int64(len(seen)) >= d.Total) {
			return out, nil
		}
	}
	return nil, fmt.Errorf("more than %d pages of branches", maxListPages)
}

// joinAddress joins address parts, leaving out a part the next one
// already starts with (a detailed address often repeats the city).
func joinAddress(parts ...string) string {
	var b strings.Builder
	for i, p := range parts {
		p = strings.TrimSpace(p)
		if p == "" {
			continue
		}
		rest := strings.Join(parts[i+1:], "")
		if strings.Contains(rest, p) || strings.HasSuffix(b.String(), p) {
			continue
		}
		b.WriteString(p)
	}
	return b.String()
}

// DecodeOutlets reads one youzan.multistore.offline.search answer.
func DecodeOutlets(body []byte) (*OfflineSearchData, error) {
	return decodeOutlets(http.StatusOK, body)
}

func decodeOutlets(status int, body []byte) (*OfflineSearchData, error) {
	d, err := decodeAnswer[OfflineSearchData](apiOfflineSearch, status, body)
	if err != nil {
		return nil, err
	}
	if d.Count < 0 {
		return nil, &APIError{API: apiOfflineSearch, Err: fmt.Errorf("data.count is negative (%d)", d.Count)}
	}
	return d, nil
}

// DecodeChainOrgs reads one youzan.shop.chain.descendent.organization.list
// answer.
func DecodeChainOrgs(body []byte) (*ChainOrgListData, error) {
	return decodeChainOrgs(http.StatusOK, body)
}

func decodeChainOrgs(status int, body []byte) (*ChainOrgListData, error) {
	d, err := decodeAnswer[ChainOrgListData](apiChainOrgs, status, body)
	if err != nil {
		return nil, err
	}
	if d.Total < 0 {
		return nil, &APIError{API: apiChainOrgs, Err: errors.New("data.total is negative")}
	}
	return d, nil
}
