// Package testbin builds the storeedge program for the tests that run it as
// a real process (crash, chaos, scale, performance and stock kill tests).
package testbin

import (
	"fmt"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
)

// Build compiles ./cmd/storeedge of this module into dir with the extra go
// build flags given (such as "-race", or "-trimpath", "-ldflags", "-s -w")
// and returns the program's path.
func Build(dir string, flags ...string) (string, error) {
	out, err := exec.Command("go", "env", "GOMOD").Output()
	if err != nil {
		return "", fmt.Errorf("go env GOMOD: %w", err)
	}
	mod := strings.TrimSpace(string(out))
	if mod == "" || mod == "/dev/null" {
		return "", fmt.Errorf("go env GOMOD: not inside the storeedge module")
	}
	bin := filepath.Join(dir, "storeedge")
	if runtime.GOOS == "windows" {
		bin += ".exe"
	}
	args := append(append([]string{"build"}, flags...), "-o", bin, "./cmd/storeedge")
	cmd := exec.Command("go", args...)
	cmd.Dir = filepath.Dir(mod)
	if b, err := cmd.CombinedOutput(); err != nil {
		return "", fmt.Errorf("go %s: %w\n%s", strings.Join(args, " "), err, b)
	}
	return bin, nil
}
