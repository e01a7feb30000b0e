package wdt

import (
	"context"
	"fmt"
	"strconv"
	"strings"
)

// APIShop is the shop list.
const APIShop = "shop.php"

// StoreInfo is one shop as store discovery lists it.
type StoreInfo struct {
	ID       string // shop_no, the id a [[store]] uses
	Name     string
	Address  string
	Phone    string
	Disabled bool
}

// Shops lists every shop of the seller account (shop.php pages from 0).
func (c *Client) Shops(ctx context.Context) ([]StoreInfo, error) {
	var out []StoreInfo
	for n := 0; n < maxPages; n++ {
		var a ShopAnswer
		params := map[string]string{"page_no": strconv.Itoa(n), "page_size": strconv.Itoa(PageSize)}
		if err := c.call(ctx, APIShop, params, &a); err != nil {
			return nil, fmt.Errorf("wangdiantong %s: shops page %d: %w", c.cfg.Name, n, err)
		}
		for _, s := range a.ShopList {
			dis, _ := s.IsDisabled.Int()
			out = append(out, StoreInfo{ID: strings.TrimSpace(s.ShopNo), Name: strings.TrimSpace(s.ShopName),
				Address: strings.TrimSpace(s.Province + s.City + s.District + s.Address), Phone: strings.TrimSpace(s.Telno), Disabled: dis != 0})
		}
		if len(a.ShopList) < PageSize {
			return out, nil
		}
	}
	return out, nil
}
