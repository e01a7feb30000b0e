package escpos

// code128Patterns are the bar and space widths, in modules, of the CODE128
// symbols 0-105; code128Stop is the stop pattern.
var code128Patterns = [106]string{
	"212222", "222122", "222221", "121223", "121322", "131222", "122213", "122312", "132212", "221213",
	"221312", "231212", "112232", "122132", "122231", "113222", "123122", "123221", "223211", "221132",
	"221231", "213212", "223112", "312131", "311222", "321122", "321221", "312212", "322112", "322211",
	"212123", "212321", "232121", "111323", "131123", "131321", "112313", "132113", "132311", "211313",
	"231113", "231311", "112133", "112331", "132131", "113123", "113321", "133121", "313121", "211331",
	"231131", "213113", "213311", "213131", "311123", "311321", "331121", "312113", "312311", "332111",
	"314111", "221411", "431111", "111224", "111422", "121124", "121421", "141122", "141221", "112214",
	"112412", "122114", "122411", "142112", "142211", "241211", "221114", "413111", "241112", "134111",
	"111242", "121142", "121241", "114212", "124112", "124211", "411212", "421112", "421211", "212141",
	"214121", "412121", "111143", "111341", "131141", "114113", "114311", "411113", "411311", "113141",
	"114131", "311141", "411131", "211412", "211214", "211232",
}

const code128Stop = "2331112"

// Code 128 symbol values of the start codes and the code set switches.
const (
	c128StartB = 104
	c128StartC = 105
	c128CodeB  = 100
	c128CodeC  = 99
)

// code128Modules returns the modules (true: bar) of a CODE128 symbol for
// printable ASCII text, with code set C for runs of four or more digits,
// the check symbol and the stop pattern; no quiet zones.
func code128Modules(text string) []bool {
	payload, _ := code128(nil, text)
	var values []int
	set := byte(0)
	for i := 0; i < len(payload); i++ {
		c := payload[i]
		if c == '{' && i+1 < len(payload) && payload[i+1] != '{' {
			i++
			next := payload[i]
			switch {
			case len(values) == 0 && next == 'C':
				values = append(values, c128StartC)
			case len(values) == 0:
				values = append(values, c128StartB)
			case next == 'C':
				values = append(values, c128CodeC)
			default:
				values = append(values, c128CodeB)
			}
			set = next
			continue
		}
		if c == '{' {
			i++ // "{{" is one "{"
		}
		if set == 'C' {
			values = append(values, int(c))
		} else {
			values = append(values, int(c)-32)
		}
	}
	if len(values) == 0 {
		return nil
	}
	sum := values[0]
	for i, v := range values[1:] {
		sum += (i + 1) * v
	}
	values = append(values, sum%103)
	var mods []bool
	appendPattern := func(p string) {
		bar := true
		for _, w := range p {
			for range int(w - '0') {
				mods = append(mods, bar)
			}
			bar = !bar
		}
	}
	for _, v := range values {
		appendPattern(code128Patterns[v])
	}
	appendPattern(code128Stop)
	return mods
}

// EAN-13 digit patterns: L (odd parity) codes; R codes are their
// complement and G codes their mirror image.
var (
	eanL      = [10]string{"0001101", "0011001", "0010011", "0111101", "0100011", "0110001", "0101111", "0111011", "0110111", "0001011"}
	eanParity = [10]string{"LLLLLL", "LLGLGG", "LLGGLG", "LLGGGL", "LGLLGG", "LGGLLG", "LGGGLL", "LGLGLG", "LGLGGL", "LGGLGL"}
)

// ean13Modules returns the 95 modules of an EAN-13 symbol for 13 digits.
func ean13Bars(digits string) []bool {
	mods := make([]bool, 0, 95)
	put := func(p string, invert, reverse bool) {
		for i := range len(p) {
			c := p[i]
			if reverse {
				c = p[len(p)-1-i]
			}
			mods = append(mods, (c == '1') != invert)
		}
	}
	put("101", false, false)
	parity := eanParity[digits[0]-'0']
	for i := 1; i <= 6; i++ {
		l := eanL[digits[i]-'0']
		put(l, parity[i-1] == 'G', parity[i-1] == 'G')
	}
	put("01010", false, false)
	for i := 7; i <= 12; i++ {
		put(eanL[digits[i]-'0'], true, false)
	}
	put("101", false, false)
	return mods
}
