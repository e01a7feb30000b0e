package agent

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"net/http"
	"path/filepath"
	"time"

	"storeedge/agent/api"
	"storeedge/agent/config"
	"storeedge/queue"
)

// PruneEvery is how often done and dropped jobs past their retention are
// pruned from the queue (also once at start).
const PruneEvery = time.Hour

// routes adds the queue API to the other local API routes.
func (a *Agent) routes(other map[string]http.Handler) map[string]http.Handler {
	names := make([]string, 0, len(a.cfg.Printers))
	for _, p := range a.cfg.Printers {
		names = append(names, p.Name)
	}
	r := api.Routes(api.Local{Queue: a.q, Printers: names}, a.log.With("part", "queue api"))
	maps.Copy(r, other)
	return r
}

// pruneQueue prunes the queue at start and then every PruneEvery, and
// compacts the file when pruning left much of it free.
func (a *Agent) pruneQueue(ctx context.Context) error {
	t := time.NewTicker(PruneEvery)
	defer t.Stop()
	for {
		a.tidyQueue()
		select {
		case <-ctx.Done():
			return nil
		case <-t.C:
		}
	}
}

// CheckData checks the data directory of a config: the queue database
// must be readable (unless a running agent holds it) and no corrupted
// database may have been moved aside and left there. Each problem names the
// file; check-config exits with a failure for them until a person has
// looked at the moved-aside file and removed it.
func CheckData(cfg *config.Config) error {
	path := filepath.Join(cfg.Agent.DataDir, QueueFile)
	var errs []error
	if err := queue.Verify(path); err != nil && !errors.Is(err, queue.ErrLocked) {
		errs = append(errs, err)
	}
	moved, err := queue.MovedAside(path)
	if err != nil {
		errs = append(errs, err)
	}
	for _, m := range moved {
		errs = append(errs, fmt.Errorf("%s: a corrupted queue database was moved aside here and a fresh one started; "+
			"jobs in it were not printed: look at it, then remove it", m))
	}
	return errors.Join(errs...)
}

// tidyQueue prunes jobs past their retention, then compacts the file if
// enough of it is free. Errors are logged: a full disk or a busy file is
// retried at the next round.
func (a *Agent) tidyQueue() {
	n, err := a.q.Prune()
	if err != nil {
		a.log.Error("prune queue", "err", err)
		return
	}
	if n > 0 {
		a.log.Info("pruned old jobs from the queue", "jobs", n)
	}
	if _, _, err := a.q.MaybeCompact(); err != nil {
		a.log.Error("compact queue", "err", err)
	}
}
