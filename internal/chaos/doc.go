// Package chaos runs the real storeedge binary through every fault at once
// and reads the paper afterwards. While orders and POS stock changes keep
// coming, its test kills the agent with SIGKILL, makes the upstream
// simulator fail (HTTP 5xx, throttling, answers slower than the client
// waits, cut-short and malformed bodies, revoked tokens, failing stock
// calls), takes printers offline and out of paper, cuts the network path
// to the upstream through a proxy, and fills the disk holding the data
// directory. Then the faults stop, the agent must catch up, and a last run
// stops cleanly: every ticket must be on paper (a second printing only
// with the reprint mark) and every stock value must be at the platforms,
// none applied twice.
//
// The parts the test plays are here: Proxy (the network path), TCPPrinter
// (a network printer on port 9100), PTYPrinter (a serial printer on a
// pseudo-terminal, Linux), Roll and Read (the paper and what counts as a
// printed ticket). Run it with `make chaos` (DURATION, KILLS) or
// `go test ./internal/chaos -duration 5m -kills 40 -seed N`.
package chaos
