package sim

import (
	"bytes"
	"crypto/subtle"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"storeedge/sync/order"
	"storeedge/sync/wdt"
)

// API names of the Wangdiantong endpoints, as counted by Calls.
const (
	APIWDTTradeQuery = "wdt.trade_query.php"
	APIWDTShop       = "wdt.shop.php"
)

// Codes the simulated Wangdiantong answers with where the platform's own
// code is not documented: a wrong sign and a timestamp outside the
// platform's 5-minute tolerance.
const (
	WDTCodeBadSign      = 1101
	WDTCodeBadTimestamp = 1102
)

// wdtStatus is trade_status for a Youzan main status.
var wdtStatus = map[string]int{
	"WAIT_BUYER_PAY":           10,
	"TRADE_PAID":               30,
	"WAIT_CONFIRM":             30,
	"WAIT_SELLER_SEND_GOODS":   30,
	"WAIT_BUYER_CONFIRM_GOODS": 95,
	"TRADE_SUCCESS":            110,
	"TRADE_CLOSED":             5,
}

// wdtTrade renders a held order as a trade_query.php trade: shop_no is
// the store's id, trade_no the Youzan tid with JY in front of its digits.
func (s *Sim) wdtTrade(t *Trade) wdt.Trade {
	st := s.index[t.StoreID]
	oi := t.Info.OrderInfo
	refund := 0
	switch t.RefundState {
	case 1, 11:
		refund = 1
	case 2:
		refund = 2
	case 12:
		refund = 3
	}
	w := wdt.Trade{
		TradeID: wdt.Text(strings.TrimLeft(t.TID, "E")), TradeNo: "JY" + strings.TrimLeft(t.TID, "E"),
		TradeStatus: wdt.Text(strconv.Itoa(wdtStatus[t.Status])), RefundStatus: wdt.Text(strconv.Itoa(refund)),
		ShopID: wdt.Text(strconv.Itoa(1 + slices.IndexFunc(s.opt.Stores, func(x Store) bool { return x.ID == t.StoreID }))),
		ShopNo: st.ID, ShopName: st.Name, PlatformID: "127", WarehouseNo: "WH" + st.ID, SrcTids: t.TID, TradeFrom: "1",
		TradeTime: oi.Created, PayTime: oi.PayTime, Modified: order.FormatCST(t.Updated),
		ReceiverName: t.Info.AddressInfo.ReceiverName, ReceiverMobile: t.Info.AddressInfo.ReceiverTel,
		BuyerMessage: t.Info.RemarkInfo.BuyerMessage, PostAmount: wdt.Text(t.Info.PayInfo.PostFee),
		Paid: wdt.Text(t.Info.PayInfo.Payment), GoodsAmount: wdt.Text(t.Info.PayInfo.TotalFee),
	}
	if a := t.Info.AddressInfo; a.DeliveryAddress != "" {
		w.ReceiverArea = a.DeliveryProvince + " " + a.DeliveryCity + " " + a.DeliveryDistrict
		w.ReceiverAddress = a.DeliveryAddress
	}
	for i, l := range t.Info.Orders {
		spec, _ := specText(l.SkuPropertiesName)
		w.GoodsList = append(w.GoodsList, wdt.Goods{RecID: wdt.Text(fmt.Sprintf("%s%02d", w.TradeID, i)), SrcOid: string(l.OID), SrcTid: t.TID,
			GoodsNo: l.OuterItemID, GoodsName: l.Title, SpecNo: l.OuterSkuID, SpecName: spec,
			Num: wdt.Text(string(l.Num) + ".0000"), OrderPrice: wdt.Text(l.Price), SharePrice: wdt.Text(l.DiscountPrice),
			ShareAmount: wdt.Text(l.Payment), RefundStatus: "0", Modified: w.Modified})
	}
	return w
}

func specText(s string) (string, error) {
	var props []struct {
		V string `json:"v"`
	}
	if s == "" || s[0] != '[' {
		return s, nil
	}
	if err := json.Unmarshal([]byte(s), &props); err != nil {
		return "", err
	}
	vals := make([]string, len(props))
	for i, p := range props {
		vals[i] = p.V
	}
	return strings.Join(vals, "/"), nil
}

func (s *Sim) wdtAnswer(w http.ResponseWriter, v any) {
	b, err := json.Marshal(v)
	if err != nil {
		http.Error(w, err.Error(), http.StatusInternalServerError)
		return
	}
	s.writeBody(w, b)
}

func (s *Sim) wdtError(w http.ResponseWriter, code int, msg string) {
	s.wdtAnswer(w, map[string]any{"code": code, "message": msg})
}

// handleWDT is POST /openapi2/{name}.php (classic) and /openapi/{name}.php
// (the newer edition): signed form posts.
func (s *Sim) handleWDT(w http.ResponseWriter, r *http.Request) {
	name := r.PathValue("name")
	api := "wdt." + name
	s.count(api)
	rec := s.begin(api)
	defer rec.done()
	s.setDate(w)
	if r.Method != http.MethodPost {
		http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
		return
	}
	if code, ok := s.takeFault(api); ok {
		s.writeWDTFault(w, code)
		return
	}
	if mediaType(r) != "application/x-www-form-urlencoded" {
		s.wdtError(w, wdt.CodeMissingParam, "请求必须为 application/x-www-form-urlencoded")
		return
	}
	body, _ := io.ReadAll(io.LimitReader(r.Body, maxRequest))
	form, err := url.ParseQuery(string(body))
	if err != nil {
		s.wdtError(w, wdt.CodeBadValue, "请求体无法解析")
		return
	}
	p := map[string]string{}
	for k, v := range form {
		p[k] = v[0]
	}
	for _, k := range []string{"sid", "appkey", "timestamp", "sign"} {
		if p[k] == "" {
			s.wdtError(w, wdt.CodeMissingParam, "缺少参数 "+k)
			return
		}
	}
	if p["sid"] != s.opt.WDTSID || p["appkey"] != s.opt.WDTAppKey {
		s.wdtError(w, wdt.CodeShopOrKey, "卖家账号不存在或appkey已停用")
		return
	}
	ts, err := strconv.ParseInt(p["timestamp"], 10, 64)
	if err != nil {
		s.wdtError(w, wdt.CodeBadValue, "timestamp 应为10位秒级时间戳")
		return
	}
	if d := s.clockNow().Sub(time.Unix(ts, 0)); d > wdt.Tolerance || d < -wdt.Tolerance {
		s.wdtError(w, WDTCodeBadTimestamp, "timestamp 与服务器时间相差超过5分钟")
		return
	}
	if subtle.ConstantTimeCompare([]byte(p["sign"]), []byte(wdt.Sign(p, s.opt.WDTAppSecret))) != 1 {
		s.wdtError(w, WDTCodeBadSign, "签名错误")
		return
	}
	rec.Store = p["shop_no"]
	if !s.allow(wdtApp(p["appkey"])) {
		rec.Throttled = true
		s.wdtError(w, WDTCodeBusy, "请求过于频繁，请稍后再试")
		return
	}
	switch name {
	case "trade_query.php":
		s.wdtTradeQuery(w, p)
	case "shop.php":
		s.wdtShops(w, p)
	default:
		http.NotFound(w, r)
	}
}

func wdtInt(p map[string]string, name string, def, lo, hi int, code int) (int, *paramError) {
	v, ok := p[name]
	if !ok || v == "" {
		return def, nil
	}
	n, err := strconv.Atoi(v)
	if err != nil || n < lo || n > hi {
		return 0, &paramError{code: code, msg: fmt.Sprintf("%s 取值范围为 %d-%d, 收到 %q", name, lo, hi, v)}
	}
	return n, nil
}

func (s *Sim) wdtTradeQuery(w http.ResponseWriter, p map[string]string) {
	fail := func(e *paramError) { s.wdtError(w, e.code, e.msg) }
	if p["start_time"] == "" && p["end_time"] == "" && p["trade_no"] == "" {
		s.wdtError(w, wdt.CodeMissingParam, "时间范围与订单编号不能全部为空")
		return
	}
	from, err1 := time.ParseInLocation(order.TimeLayout, p["start_time"], order.CST)
	to, err2 := time.ParseInLocation(order.TimeLayout, p["end_time"], order.CST)
	if err1 != nil || err2 != nil {
		s.wdtError(w, wdt.CodeBadTime, "时间格式错误, 应为 yyyy-MM-dd HH:mm:ss")
		return
	}
	if to.Before(from) {
		s.wdtError(w, wdt.CodeBadValue, "end_time 不能早于 start_time")
		return
	}
	if to.Sub(from) > s.opt.WDTMaxSpan {
		s.wdtError(w, wdt.CodeSpanTooLarge2, fmt.Sprintf("时间跨度不能超过%s", s.opt.WDTMaxSpan))
		return
	}
	size, perr := wdtInt(p, "page_size", 40, 1, 100, wdt.CodeBadPageSize)
	if perr != nil {
		fail(perr)
		return
	}
	page, perr := wdtInt(p, "page_no", 0, 0, 1<<30, wdt.CodeBadValue)
	if perr != nil {
		fail(perr)
		return
	}
	shop := p["shop_no"]
	if _, ok := s.index[shop]; shop != "" && !ok {
		s.wdtError(w, wdt.CodeShopMissing, "店铺编号在系统中不存在或已停用")
		return
	}
	s.mu.Lock()
	var hits []*Trade
	visible := s.visibleUntil()
	for _, t := range s.trades {
		if (shop == "" || t.StoreID == shop) && !t.Updated.Before(from) && !t.Updated.After(to) && !t.Updated.After(visible) {
			hits = append(hits, t)
		}
	}
	slices.SortFunc(hits, func(a, b *Trade) int {
		if c := a.Updated.Compare(b.Updated); c != 0 {
			return c
		}
		return strings.Compare(a.TID, b.TID)
	})
	ans := wdt.TradeQueryAnswer{Code: "0", Trades: []wdt.Trade{}}
	if page == 0 {
		ans.TotalCount = wdt.Text(strconv.Itoa(len(hits)))
	}
	shown := hits[min(page*size, len(hits)):min((page+1)*size, len(hits))]
	for _, t := range shown {
		ans.Trades = append(ans.Trades, s.wdtTrade(t))
	}
	fresh := s.claim(shown, fmt.Sprintf("wdt %s %v..%v", p["shop_no"], from, to))
	s.mu.Unlock()
	b, err := json.Marshal(ans)
	if err != nil {
		http.Error(w, err.Error(), http.StatusInternalServerError)
		return
	}
	s.write(w, b, fresh)
}

func (s *Sim) wdtShops(w http.ResponseWriter, p map[string]string) {
	size, perr := wdtInt(p, "page_size", 30, 1, 100, wdt.CodeBadPageSize)
	if perr == nil {
		var page int
		if page, perr = wdtInt(p, "page_no", 0, 0, 1<<30, wdt.CodeBadValue); perr == nil {
			ans := wdt.ShopAnswer{Code: "0", ShopList: []wdt.Shop{}}
			if page == 0 {
				ans.TotalCount = wdt.Text(strconv.Itoa(len(s.opt.Stores)))
			}
			for i := page * size; i < (page+1)*size && i < len(s.opt.Stores); i++ {
				st := s.opt.Stores[i]
				ans.ShopList = append(ans.ShopList, wdt.Shop{ShopID: wdt.Text(strconv.Itoa(i + 1)), ShopNo: st.ID, ShopName: st.Name,
					PlatformID: "127", Address: st.Address, Telno: st.Phone, IsDisabled: "0"})
			}
			s.wdtAnswer(w, ans)
			return
		}
	}
	s.wdtError(w, perr.code, perr.msg)
}

// writeWDTFault answers an injected fault for a Wangdiantong API.
func (s *Sim) writeWDTFault(w http.ResponseWriter, code int) {
	switch {
	case code >= 500 && code <= 599:
		http.Error(w, http.StatusText(code), code)
	case code == FaultTruncated:
		b, _ := json.Marshal(map[string]any{"code": 0, "message": "", "total_count": 1, "trades": []wdt.Trade{{TradeNo: "JY0"}}})
		_, _ = w.Write(b[:len(b)/2])
	case code == FaultMalformed:
		_, _ = w.Write([]byte("<html><body>502 Bad Gateway</body></html>"))
	default:
		s.wdtError(w, code, "模拟错误")
	}
}

// writeBody writes a JSON answer.
func (s *Sim) writeBody(w http.ResponseWriter, b []byte) {
	w.Header().Set("Content-Type", "application/json;charset=UTF-8")
	_, _ = io.Copy(w, bytes.NewReader(b))
}
