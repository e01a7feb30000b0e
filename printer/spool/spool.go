// Package spool is the spool://PRINTER NAME transport for Windows: RAW
// printing through an installed Windows printer (winspool OpenPrinter,
// StartDocPrinter with datatype RAW, WritePrinter, EndDocPrinter), so that a
// shop keeps the vendor's driver and never swaps it for WinUSB. After each job
// it follows the job in the print queue until it has printed, and reads the
// printer's state as the spooler reports it. Other systems have no spool://
// transport.
//
// This file holds the parts that do not call Windows: the meaning of the
// spooler's printer and job status bits.
package spool

import (
	"strings"

	"storeedge/printer"
)

// Printer status bits (PRINTER_INFO_2.Status) and attributes, from winspool.h.
const (
	printerPaused           = 0x00000001
	printerError            = 0x00000002
	printerPendingDeletion  = 0x00000004
	printerPaperJam         = 0x00000008
	printerPaperOut         = 0x00000010
	printerPaperProblem     = 0x00000040
	printerOffline          = 0x00000080
	printerOutputBinFull    = 0x00000800
	printerNotAvailable     = 0x00001000
	printerUserIntervention = 0x00100000
	printerOutOfMemory      = 0x00200000
	printerDoorOpen         = 0x00400000
	printerServerUnknown    = 0x00800000

	attributeWorkOffline = 0x00000400
)

// Job status bits (JOB_INFO_1.Status), from winspool.h.
const (
	jobPaused           = 0x00000001
	jobError            = 0x00000002
	jobDeleting         = 0x00000004
	jobOffline          = 0x00000020
	jobPaperOut         = 0x00000040
	jobPrinted          = 0x00000080
	jobDeleted          = 0x00000100
	jobBlockedDevQ      = 0x00000200
	jobUserIntervention = 0x00000400
	jobComplete         = 0x00001000
)

// printerStatus turns the spooler's view of a printer into a state. Windows
// shows most receipt printers as ready whatever their paper does, so a
// printer without bad news is unknown, not online.
func printerStatus(status, attributes uint32) printer.Status {
	has := func(bit uint32) bool { return status&bit != 0 }
	switch {
	case has(printerDoorOpen):
		return printer.Status{State: printer.StateCoverOpen, Detail: "cover open (Windows)"}
	case has(printerPaperOut):
		return printer.Status{State: printer.StatePaperOut, Detail: "paper out (Windows)"}
	case has(printerPaperJam):
		return printer.Status{State: printer.StateError, Detail: "paper jam (Windows)"}
	case has(printerOffline), has(printerNotAvailable), has(printerServerUnknown), attributes&attributeWorkOffline != 0:
		return printer.Status{State: printer.StateOffline, Detail: "Windows reports the printer offline"}
	case has(printerPaused):
		return printer.Status{State: printer.StateError, Detail: "the printer is paused in Windows (resume it in its print queue)"}
	case has(printerPendingDeletion):
		return printer.Status{State: printer.StateError, Detail: "the printer is being deleted in Windows"}
	case has(printerError), has(printerPaperProblem), has(printerUserIntervention), has(printerOutputBinFull), has(printerOutOfMemory):
		return printer.Status{State: printer.StateError, Detail: "Windows reports a printer error"}
	}
	return printer.Status{State: printer.StateUnknown, Detail: "Windows does not report paper or cover for this printer"}
}

// jobOutcome says what the spooler's status bits of a job mean for it: done
// (printed, or handed to the printer and gone), failed (with the reason), or
// still on its way (neither).
func jobOutcome(status uint32) (done bool, failure string) {
	if status&(jobPrinted|jobComplete) != 0 {
		return true, "" // printed; the spooler may already be removing it
	}
	var why []string
	add := func(bit uint32, text string) {
		if status&bit != 0 {
			why = append(why, text)
		}
	}
	add(jobError, "error")
	add(jobOffline, "printer offline")
	add(jobPaperOut, "paper out")
	add(jobBlockedDevQ, "blocked")
	add(jobUserIntervention, "needs attention")
	add(jobDeleting, "being deleted")
	add(jobDeleted, "deleted")
	add(jobPaused, "paused")
	if len(why) > 0 {
		return false, "the print job is " + strings.Join(why, ", ")
	}
	return false, ""
}
