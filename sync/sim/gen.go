package sim

import (
	"encoding/json"
	"fmt"
	"strconv"
	"time"

	"storeedge/decimal"
	"storeedge/sync/order"
	"storeedge/sync/youzan"
)

// statusWords is status_str for each main status.
var statusWords = map[string]string{
	"WAIT_BUYER_PAY":           "待付款",
	"TRADE_PAID":               "已支付",
	"WAIT_CONFIRM":             "待确认",
	"WAIT_SELLER_SEND_GOODS":   "待发货",
	"WAIT_BUYER_CONFIRM_GOODS": "已发货",
	"TRADE_SUCCESS":            "已完成",
	"TRADE_CLOSED":             "已关闭",
}

// specGroup is one choice a buyer makes for an item, e.g. 杯型: 大杯 or 中杯.
type specGroup struct {
	k      string
	kid    int64
	values []string
}

var (
	cup     = specGroup{"杯型", 101, []string{"大杯", "中杯"}}
	ice     = specGroup{"温度", 102, []string{"少冰", "去冰", "正常冰", "热"}}
	sugar   = specGroup{"甜度", 103, []string{"半糖", "七分糖", "全糖"}}
	spicy   = specGroup{"辣度", 104, []string{"不辣", "微辣", "加辣"}}
	portion = specGroup{"份量", 105, []string{"标准", "加面"}}
	size    = specGroup{"规格", 106, []string{"小份", "大份"}}
)

// dish is one item of the menu; price in fen.
type dish struct {
	id     int64
	outer  string
	title  string
	price  int64
	groups []specGroup
}

var menu = []dish{
	{1001, "MT001", "珍珠奶茶", 1500, []specGroup{cup, ice, sugar}},
	{1002, "MT002", "杨枝甘露", 1800, []specGroup{cup, ice}},
	{1003, "MT003", "芝士葡萄", 1950, []specGroup{cup, ice, sugar}},
	{1004, "MT004", "柠檬红茶", 1250, []specGroup{cup, ice}},
	{1005, "MT005", "生椰拿铁", 1600, []specGroup{cup, ice}},
	{2001, "ND001", "红烧牛肉面", 2800, []specGroup{spicy, portion}},
	{2002, "ND002", "兰州拉面", 2200, []specGroup{spicy, portion}},
	{2003, "ND003", "酸辣粉", 1650, []specGroup{spicy}},
	{2004, "ND004", "老北京炸酱面", 2000, []specGroup{portion}},
	{2005, "ND005", "重庆小面", 1450, []specGroup{spicy, portion}},
	{3001, "SN001", "香酥鸡米花", 1200, []specGroup{size, spicy}},
	{3002, "SN002", "薯条", 950, []specGroup{size}},
	{3003, "SN003", "台湾烤肠", 600, nil},
	{3004, "SN004", "猪肉煎饺", 1500, nil},
	{3005, "SN005", "卤蛋", 350, nil},
}

var (
	buyerNotes = []string{"少放辣", "不要葱", "请尽快送达", "不要香菜", "多放醋", "餐具两份", "到了打电话", "奶茶少冰"}
	names      = []string{"张先生", "李女士", "王先生", "陈女士", "刘先生", "赵女士", "周先生", "吴女士"}
	districts  = []string{"黄浦区", "静安区", "徐汇区", "长宁区"}
	streets    = []string{"人民路", "南京西路", "淮海中路", "西藏中路", "延安东路", "复兴中路"}
)

func fen(n int64) youzan.Money { return youzan.Money(decimal.FromFen(n).Fixed(2)) }

// generate creates one paid order of store st at now and stores it. s.mu is
// held.
func (s *Sim) generate(st Store, now time.Time) *Trade {
	r := s.rng
	s.seq++
	created := now.Add(-time.Duration(5+r.IntN(85)) * time.Second)
	tid := "E" + created.In(order.CST).Format("20060102150405") + fmt.Sprintf("%09d", s.seq)

	// Lines: 1-5 different dishes, 1-3 of each.
	nlines := 1 + r.IntN(5)
	picked := r.Perm(len(menu))[:nlines]
	lines := make([]youzan.OrderLine, nlines)
	totals := make([]int64, nlines)
	var goods int64
	for i, m := range picked {
		d := menu[m]
		num := int64(1 + r.IntN(3))
		totals[i] = d.price * num
		goods += totals[i]
		l := youzan.OrderLine{
			OID: youzan.Long(strconv.FormatInt(s.seq*10+int64(i), 10)), ItemID: youzan.Long(strconv.FormatInt(d.id, 10)),
			SkuID: "0", OuterItemID: d.outer, Title: d.title, Num: youzan.Long(strconv.FormatInt(num, 10)),
			Price: fen(d.price), TotalFee: fen(totals[i]),
		}
		if len(d.groups) > 0 {
			props := make([]youzan.SkuProperty, len(d.groups))
			vid := d.id * 100
			for j, g := range d.groups {
				v := r.IntN(len(g.values))
				props[j] = youzan.SkuProperty{K: g.k, KID: youzan.Long(strconv.FormatInt(g.kid, 10)), V: g.values[v],
					VID: youzan.Long(strconv.FormatInt(g.kid*100+int64(v), 10))}
				vid = vid*10 + int64(v)
			}
			b, _ := json.Marshal(props)
			l.SkuPropertiesName = string(b)
			l.SkuID = youzan.Long(strconv.FormatInt(vid, 10))
			l.OuterSkuID = fmt.Sprintf("%s-%d", d.outer, vid%1000)
		}
		lines[i] = l
	}

	// 满50减5 on half of the orders that reach it, shared over the lines in
	// proportion, the rounding left on the last line.
	var discount int64
	if goods >= 5000 && r.IntN(2) == 0 {
		discount = 500
	}
	left := discount
	var paidGoods int64
	for i := range lines {
		share := discount * totals[i] / goods
		if i == len(lines)-1 {
			share = left
		}
		left -= share
		pay := totals[i] - share
		paidGoods += pay
		lines[i].Payment = fen(pay)
		n, _ := lines[i].Num.Int64()
		lines[i].DiscountPrice = fen(pay / n) // unit price after the discount, to the fen
	}

	buyer := names[r.IntN(len(names))]
	phone := fmt.Sprintf("1%d%d****%04d", 3+r.IntN(7), r.IntN(10), r.IntN(10000))
	var post int64
	addr := youzan.AddressInfo{ReceiverName: buyer, ReceiverTel: phone}
	express := "1"
	if r.Float64() < 0.6 {
		express = "2"
		post = 300 + 100*int64(r.IntN(3))
		addr.DeliveryProvince, addr.DeliveryCity = "上海市", "上海市"
		addr.DeliveryDistrict = districts[r.IntN(len(districts))]
		addr.DeliveryAddress = fmt.Sprintf("%s%d号", streets[r.IntN(len(streets))], 1+r.IntN(999))
		if r.IntN(2) == 0 {
			addr.DeliveryAddress += fmt.Sprintf("%d弄%d室", 1+r.IntN(200), 101+r.IntN(1500))
		}
		addr.DeliveryStartTime = order.FormatCST(now.Add(30 * time.Minute))
		addr.DeliveryEndTime = order.FormatCST(now.Add(60 * time.Minute))
	} else {
		sf, _ := json.Marshal(map[string]string{"name": st.Name, "address": st.Address, "user_name": buyer,
			"user_tel": phone, "user_time": order.FormatCST(now.Add(20 * time.Minute))})
		addr.SelfFetchInfo = string(sf)
	}
	payType, payTypeStr := "1", "WEIXIN"
	if r.IntN(10) < 3 {
		payType, payTypeStr = "2", "ALIPAY"
	}
	var note string
	if r.IntN(100) < 35 {
		note = buyerNotes[r.IntN(len(buyerNotes))]
	}

	info := youzan.FullOrderInfo{
		OrderInfo: youzan.OrderInfo{
			TID: tid, Status: "WAIT_SELLER_SEND_GOODS", StatusStr: statusWords["WAIT_SELLER_SEND_GOODS"],
			Type: "0", PayType: youzan.Long(payType), PayTypeStr: payTypeStr, CloseType: "0",
			ExpressType: youzan.Long(express), RefundState: "0",
			Created: order.FormatCST(created), UpdateTime: order.FormatCST(now), PayTime: order.FormatCST(now),
			OfflineID: youzan.Long(st.ID), NodeKdtID: youzan.Long(s.opt.KdtID),
			OrderTags: &youzan.OrderTags{IsMultiStore: true, IsPayed: true},
		},
		BuyerInfo: youzan.BuyerInfo{YzOpenID: fmt.Sprintf("yz%016x", r.Uint64()), BuyerPhone: phone},
		PayInfo: youzan.PayInfo{TotalFee: fen(goods), PostFee: fen(post), Payment: fen(paidGoods + post),
			Transaction: []string{fmt.Sprintf("%s%08d", created.In(order.CST).Format("060102150405"), s.seq)}},
		AddressInfo: addr,
		RemarkInfo:  youzan.RemarkInfo{BuyerMessage: note},
		Orders:      lines,
	}
	if s.opt.Chain {
		// A branch's order: the branch is the shop, named by node_kdt_id.
		info.OrderInfo.OfflineID, info.OrderInfo.NodeKdtID = "", youzan.Long(st.ID)
		info.OrderInfo.OrderTags.IsMultiStore = false
	}
	t := &Trade{TID: tid, StoreID: st.ID, Status: info.OrderInfo.Status, Created: created.Truncate(time.Second),
		Updated: now.Truncate(time.Second), Info: info}
	s.trades = append(s.trades, t)
	s.byTID[tid] = t
	s.queuePush(t, "trade_TradeBuyerPay")
	s.log.Debug("sim order created", "tid", tid, "store", st.ID, "payment", string(info.PayInfo.Payment))
	return t
}
