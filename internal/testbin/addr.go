package testbin

import (
	"math/rand/v2"
	"net"
	"strconv"
	"sync"
	"testing"
)

var (
	portMu sync.Mutex
	ports  = map[string]bool{} // handed out already by this process
)

// FreeAddr returns a free loopback address for a program under test to
// listen on. Its port is below the ephemeral range, so that outgoing
// connections never take it before the program listens, and no port is
// handed out twice in one test process.
func FreeAddr(t testing.TB) string {
	t.Helper()
	portMu.Lock()
	defer portMu.Unlock()
	for range 1000 {
		addr := net.JoinHostPort("127.0.0.1", strconv.Itoa(20000+rand.IntN(12000)))
		if ports[addr] {
			continue
		}
		ports[addr] = true
		ln, err := net.Listen("tcp", addr)
		if err != nil {
			continue
		}
		ln.Close()
		return addr
	}
	t.Fatal("no free port between 20000 and 32000")
	return ""
}

// MustBuild is Build for a test: it fails the test when the build fails.
func MustBuild(t testing.TB, dir string, flags ...string) string {
	t.Helper()
	bin, err := Build(dir, flags...)
	if err != nil {
		t.Fatal(err)
	}
	return bin
}
