// Package scale proves storeedge at the size of a chain and on a busy day,
// with real processes: its tests build the storeedge binary and run one
// agent process per store (its own config, data directory, status port and
// printer) against one upstream simulator over real HTTP, then read the
// paper and the simulator's records.
//
//   - TestChain (go test ./internal/scale; make scale runs 200 stores):
//     every order prints exactly once on its own store's printer, the
//     platform's requests per second, each agent's memory (VmRSS, Pss) and
//     start-up cost, how evenly the polls spread over time, and that the
//     chain stays under the simulator's app-wide request limit.
//   - TestThrottledAgentBacksOff: an agent the platform throttles waits
//     3 s, 6 s, 12 s ... as the platform asks, and loses no order.
//   - BenchmarkBusyDay: one store's hour of 2,000 orders with bursts of 50,
//     time compressed, timed from the platform's answer to the first byte
//     of each ticket at a real TCP 9100 printer.
//
// The helpers here start and measure the processes: Build, WriteConfig,
// Start, ReadMem, CPUTime, Distribution, and a TCP printer that timestamps
// what arrives (ListenPrinter).
package scale
