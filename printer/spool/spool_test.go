package spool

import (
	"testing"

	"storeedge/printer"
)

func TestPrinterStatus(t *testing.T) {
	tests := []struct {
		name       string
		status     uint32
		attributes uint32
		want       printer.State
	}{
		{"ready: paper and cover unknown", 0, 0, printer.StateUnknown},
		{"printing", 0x400, 0, printer.StateUnknown},
		{"door open", printerDoorOpen, 0, printer.StateCoverOpen},
		{"paper out", printerPaperOut, 0, printer.StatePaperOut},
		{"paper out and door open", printerPaperOut | printerDoorOpen, 0, printer.StateCoverOpen},
		{"jam", printerPaperJam, 0, printer.StateError},
		{"offline", printerOffline, 0, printer.StateOffline},
		{"not available", printerNotAvailable, 0, printer.StateOffline},
		{"use printer offline", 0, attributeWorkOffline, printer.StateOffline},
		{"paused", printerPaused, 0, printer.StateError},
		{"error", printerError, 0, printer.StateError},
		{"user intervention", printerUserIntervention, 0, printer.StateError},
	}
	for _, tt := range tests {
		if got := printerStatus(tt.status, tt.attributes); got.State != tt.want || got.Detail == "" {
			t.Errorf("%s: printerStatus(%#x, %#x) = %v, want %s with a detail", tt.name, tt.status, tt.attributes, got, tt.want)
		}
	}
}

func TestJobOutcome(t *testing.T) {
	tests := []struct {
		status  uint32
		done    bool
		failure string
	}{
		{0, false, ""},
		{0x10, false, ""}, // printing
		{jobPrinted, true, ""},
		{jobComplete, true, ""},
		{jobPrinted | jobDeleting, true, ""},
		{jobDeleting, false, "the print job is being deleted"},
		{jobPaperOut | jobError, false, "the print job is error, paper out"},
		{jobOffline, false, "the print job is printer offline"},
		{jobUserIntervention | jobBlockedDevQ, false, "the print job is blocked, needs attention"},
	}
	for _, tt := range tests {
		done, failure := jobOutcome(tt.status)
		if done != tt.done || failure != tt.failure {
			t.Errorf("jobOutcome(%#x) = %v, %q; want %v, %q", tt.status, done, failure, tt.done, tt.failure)
		}
	}
}
