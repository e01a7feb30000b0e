package sim

import (
	"fmt"
	"net/http"
	"strconv"
	"strings"

	"storeedge/sync/youzan"
)

// MaxStores is the most stores MakeStores makes.
const MaxStores = 999

// storeRoads name generated stores: 人民路店, 中山路店...
var storeRoads = []string{"人民路", "南京西路", "淮海中路", "中山路", "解放路", "建设路", "和平路", "长江路",
	"黄河路", "新华路", "文化路", "胜利路", "青年路", "朝阳路", "光明路", "幸福路", "东风路", "北京路",
	"延安路", "复兴路"}

// storeCities place generated stores.
var storeCities = []struct{ city, district string }{
	{"上海市", "黄浦区"}, {"上海市", "静安区"}, {"上海市", "徐汇区"}, {"北京市", "朝阳区"}, {"北京市", "海淀区"},
	{"杭州市", "西湖区"}, {"南京市", "鼓楼区"}, {"成都市", "锦江区"}, {"广州市", "天河区"}, {"深圳市", "南山区"},
}

// MakeStores returns n stores: the first DefaultStores as they are, then
// stores with Chinese names and addresses. Outlet ids follow the default
// stores'; in a chain (branch kdt_ids) they start at 60000001.
func MakeStores(n int, chain bool) ([]Store, error) {
	if n < 1 || n > MaxStores {
		return nil, fmt.Errorf("sim: %d stores is outside 1 to %d", n, MaxStores)
	}
	out := make([]Store, 0, n)
	for i := range n {
		var st Store
		if i < len(DefaultStores) {
			st = DefaultStores[i]
		} else {
			road := storeRoads[i%len(storeRoads)]
			c := storeCities[(i/len(storeRoads))%len(storeCities)]
			name := road + "店"
			switch cycle := i / (len(storeRoads) * len(storeCities)); {
			case cycle > 0:
				name = fmt.Sprintf("%s%s%d号店", strings.TrimSuffix(c.district, "区"), road, cycle+1)
			case i >= len(storeRoads):
				name = strings.TrimSuffix(c.district, "区") + road + "店"
			}
			st = Store{Name: name, Address: fmt.Sprintf("%s%s%s%d号", c.city, c.district, road, 1+(i*37)%999)}
		}
		st.ID = strconv.Itoa(43435545 + i)
		if chain {
			st.ID = strconv.Itoa(60000001 + i)
		}
		st.Phone = fmt.Sprintf("021-6%03d%04d", i%1000, 1000+i)
		out = append(out, st)
	}
	return out, nil
}

// splitAddress splits "上海市黄浦区人民路388号" into city, district and the
// rest; an address of another shape is all rest.
func splitAddress(a string) (city, district, rest string) {
	c, after, ok := strings.Cut(a, "市")
	if !ok || c == "" {
		return "", "", a
	}
	d, tail, ok := strings.Cut(after, "区")
	if !ok || d == "" {
		return c + "市", "", after
	}
	return c + "市", d + "区", tail
}

// offlineSearch answers youzan.multistore.offline.search 3.0.0: the
// outlets of a multi-outlet shop, filtered by keyword (in the name or
// address) and type (store or self_fetch; every simulated outlet is both).
// A chain HQ has no outlets.
func (s *Sim) offlineSearch(w http.ResponseWriter, grant string, p params) {
	pageNo, pageSize := int64(1), int64(20)
	if n, ok, perr := p.long("page_no"); perr != nil {
		s.writeParamError(w, perr)
		return
	} else if ok {
		if n < 1 {
			s.writeParamError(w, badParam("page_no 必须大于0, 收到 %d", n))
			return
		}
		pageNo = n
	}
	if n, ok, perr := p.long("page_size"); perr != nil {
		s.writeParamError(w, perr)
		return
	} else if ok {
		if n < 1 || n > 100 {
			s.writeParamError(w, badParam("page_size 取值范围为 1-100, 收到 %d", n))
			return
		}
		pageSize = n
	}
	kw, _, perr := p.str("keyword")
	if perr != nil {
		s.writeParamError(w, perr)
		return
	}
	typ, _, perr := p.str("type")
	if perr != nil {
		s.writeParamError(w, perr)
		return
	}
	if typ != "" && typ != "store" && typ != "self_fetch" {
		s.writeParamError(w, badParam("type %q 不是 store 或 self_fetch", typ))
		return
	}
	list := []youzan.Outlet{}
	var count int64
	if !s.opt.Chain && grant == s.opt.KdtID {
		for _, st := range s.opt.Stores {
			if kw != "" && !strings.Contains(st.Name, kw) && !strings.Contains(st.Address, kw) {
				continue
			}
			count++
			if count <= (pageNo-1)*pageSize || count > pageNo*pageSize {
				continue
			}
			city, district, rest := splitAddress(st.Address)
			list = append(list, youzan.Outlet{ID: youzan.Long(st.ID), Name: st.Name, KdtID: youzan.Long(s.opt.KdtID),
				IsStore: "true", IsSelfFetch: "true", Province: city, City: city, Area: district, Address: rest,
				Phone1: st.Phone, BusinessHours: "10:00-22:00"})
		}
	}
	writeJSON(w, http.StatusOK, map[string]any{"success": true, "code": youzan.CodeOK, "message": "successful",
		"trace_id": s.traceID(), "data": youzan.OfflineSearchData{List: list, Count: count}})
}

// chainOrgs answers youzan.shop.chain.descendent.organization.list 1.0.1:
// the branches of a chain, read with the HQ token. page_num and page_size
// are required, page_size at most 50.
func (s *Sim) chainOrgs(w http.ResponseWriter, grant string, p params) {
	if !s.opt.Chain || grant != s.opt.KdtID {
		s.gwError(w, youzan.CodeNoPermission, "没有该API的能力权限: 仅连锁总部可调用")
		return
	}
	pageNum, ok, perr := p.long("page_num")
	if perr == nil && (!ok || pageNum < 1) {
		perr = badParam("page_num 必填, 从1开始")
	}
	if perr != nil {
		s.writeParamError(w, perr)
		return
	}
	pageSize, ok, perr := p.long("page_size")
	if perr == nil && (!ok || pageSize < 1 || pageSize > 50) {
		perr = badParam("page_size 必填, 取值范围为 1-50")
	}
	if perr != nil {
		s.writeParamError(w, perr)
		return
	}
	list := []youzan.Organization{}
	for i, st := range s.opt.Stores {
		if int64(i) < (pageNum-1)*pageSize || int64(i) >= pageNum*pageSize {
			continue
		}
		city, district, rest := splitAddress(st.Address)
		list = append(list, youzan.Organization{KdtID: youzan.Long(st.ID), Name: st.Name, Role: "2001", JoinType: "1",
			ParentKdtID: youzan.Long(s.opt.KdtID), AccessStatus: "2", OfflineBusinessStatus: "2",
			ShopAddress: &youzan.ShopAddress{Province: city, City: city, County: district, Address: rest}})
	}
	writeJSON(w, http.StatusOK, map[string]any{"success": true, "code": youzan.CodeOK, "message": "successful",
		"trace_id": s.traceID(), "data": youzan.ChainOrgListData{Total: int64(len(s.opt.Stores)), PageNum: pageNum,
			PageSize: pageSize, OrganizationList: list}})
}
