package status

import "time"

// Report is the stock and price reporting to one platform account.
type Report struct {
	Name       string        `json:"name"`
	Type       string        `json:"type"`        // hiding, wdt
	LastReport time.Time     `json:"last_report"` // last call the platform accepted
	LastError  string        `json:"last_error"`  // last failed call, "" after a success
	Pending    int           `json:"pending"`     // changes waiting to be reported
	Reported   int           `json:"reported"`    // values accepted since start
	CallsToday int           `json:"calls_today"` // calls today (China Standard Time), against any daily budget
	LastResync time.Time     `json:"last_resync"`
	Errors     []ReportError `json:"errors"` // SKUs the platform refused, newest first
}

// ReportError is a SKU a platform refused, with its reason in words.
type ReportError struct {
	Kind  string    `json:"kind"` // stock or price
	Store string    `json:"store"`
	SKU   string    `json:"sku"`
	Error string    `json:"error"`
	At    time.Time `json:"at"`
}

// StockSource is one place the POS's stock and prices are read from.
type StockSource struct {
	Name      string    `json:"name"`
	Type      string    `json:"type"` // sql, folder
	LastRun   time.Time `json:"last_run"`
	LastError string    `json:"last_error"`
	Values    int       `json:"values"`   // values read by the last run
	Changed   int       `json:"changed"`  // changes the last run queued
	Problems  []string  `json:"problems"` // recent bad files and rows: "file:line: reason"
}
