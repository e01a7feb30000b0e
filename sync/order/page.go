package order

import "fmt"

// HandOver gives the orders read from one page of a platform's answer to
// page, the receiver a platform client's OrdersByPage was given; nil (no
// receiver) or no orders hand nothing over.
func HandOver(page func([]Order) error, orders []Order) error {
	if page == nil || len(orders) == 0 {
		return nil
	}
	if err := page(orders); err != nil {
		return fmt.Errorf("hand over a page of orders: %w", err)
	}
	return nil
}
