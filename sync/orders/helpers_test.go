package orders

import "storeedge/decimal"

func mustDec(s string) decimal.Dec { return decimal.MustParse(s) }
