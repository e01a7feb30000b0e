package service

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/signal"
	"runtime"
	"sync"
	"syscall"
	"time"

	kservice "github.com/kardianos/service"
)

// RunFunc runs the program until ctx ends, then finishes the work in
// progress and returns.
type RunFunc func(ctx context.Context) error

// Program is what Run runs.
type Program struct {
	// Name is the service's name (Name when empty); on Windows it must be
	// the installed service's.
	Name string
	// Start prepares the program and returns what runs it. It must return
	// quickly: the service manager waits for it. Its error fails the start.
	Start func() (RunFunc, error)
	// StopTimeout bounds how long a stop waits for RunFunc to return
	// (DefaultStopTimeout when zero).
	StopTimeout time.Duration
	// Fatal ends the process when the program fails on its own while the
	// service manager holds the main goroutine, which only Windows does. It
	// must not return; nil means exiting with status 1.
	Fatal func(err error)
}

// Errors of Run.
var (
	// ErrStopTimeout: the stop deadline passed with work in progress; the
	// process should exit anyway (the queue marks that work uncertain).
	ErrStopTimeout = errors.New("stop deadline passed with work still in progress")
	// ErrInterrupted: a second interrupt during the stop ended it at once.
	ErrInterrupted = errors.New("stopped at once by a second interrupt")
	// ErrExited: the program returned without being asked to stop.
	ErrExited = errors.New("the program stopped without being asked to")
)

// Run runs p under the service manager: as the installed service it
// answers the manager's start and stop; by hand it stops on an interrupt or
// SIGTERM. It returns when the program has stopped: with nil after a clean
// stop, with the program's error when it failed on its own, with
// ErrStopTimeout when a stop took too long.
func Run(p Program) error {
	sig := make(chan os.Signal, 2)
	signal.Notify(sig, os.Interrupt, syscall.SIGTERM)
	defer signal.Stop(sig)
	return run(p, sig, kservice.New)
}

var _ kservice.Shutdowner = (*program)(nil)

type newService func(kservice.Interface, *kservice.Config) (kservice.Service, error)

func run(p Program, sig <-chan os.Signal, newSvc newService) error {
	if p.Name == "" {
		p.Name = Name
	}
	if p.StopTimeout <= 0 {
		p.StopTimeout = DefaultStopTimeout
	}
	if p.Fatal == nil {
		p.Fatal = func(error) { os.Exit(1) }
	}
	pr := &program{p: p, sig: sig, wakes: runtime.GOOS != "windows"}
	cfg := &kservice.Config{Name: p.Name, Option: kservice.KeyValue{"RunWait": pr.wait}}
	s, err := newSvc(pr, cfg)
	if errors.Is(err, kservice.ErrNoServiceSystemDetected) {
		// No service manager here (a bare container): run by hand.
		return pr.runPlain()
	}
	if err != nil {
		return fmt.Errorf("service manager: %w", err)
	}
	return s.Run()
}

// program adapts a Program to kardianos's Start, Stop and Shutdown.
type program struct {
	p   Program
	sig <-chan os.Signal
	// wakes: the service manager's Run returns when wait returns (every
	// system but Windows), so a program that fails on its own ends Run
	// instead of calling Fatal.
	wakes bool
	// shutdown replaces ShutdownTimeout (tests).
	shutdown time.Duration

	mu       sync.Mutex
	cancel   context.CancelFunc
	done     chan struct{} // closed when RunFunc returned
	err      error         // RunFunc's result, set before done closes
	stopping bool
}

// Start runs the program's Start and launches what it returns.
func (pr *program) Start(kservice.Service) error {
	runf, err := pr.p.Start()
	if err != nil {
		return err
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	pr.mu.Lock()
	pr.cancel, pr.done = cancel, done
	pr.mu.Unlock()
	go func() {
		err := runf(ctx)
		pr.mu.Lock()
		stopping := pr.stopping
		if err == nil && !stopping {
			err = ErrExited
		}
		pr.err = err
		pr.mu.Unlock()
		close(done)
		if !stopping && !pr.wakes {
			pr.p.Fatal(err)
		}
	}()
	return nil
}

// wait is the RunWait option: it returns on an interrupt or SIGTERM, or
// when the program ended on its own.
func (pr *program) wait() {
	pr.mu.Lock()
	done := pr.done
	pr.mu.Unlock()
	select {
	case <-pr.sig:
	case <-done:
	}
}

// ShutdownTimeout bounds a stop when the computer shuts down: Windows gives
// services a few seconds then, and a ticket cut off prints again marked as a
// reprint.
const ShutdownTimeout = 4 * time.Second

// Stop asks the program to stop and waits for it at most StopTimeout; a
// second interrupt ends the wait at once.
func (pr *program) Stop(kservice.Service) error { return pr.stop(pr.p.StopTimeout) }

// Shutdown is Stop when the computer shuts down (Windows tells services).
func (pr *program) Shutdown(kservice.Service) error {
	d := pr.shutdown
	if d <= 0 {
		d = ShutdownTimeout
	}
	return pr.stop(min(pr.p.StopTimeout, d))
}

func (pr *program) stop(timeout time.Duration) error {
	pr.mu.Lock()
	pr.stopping = true
	cancel, done := pr.cancel, pr.done
	pr.mu.Unlock()
	if cancel == nil {
		return nil
	}
	cancel()
	t := time.NewTimer(timeout)
	defer t.Stop()
	select {
	case <-done:
		pr.mu.Lock()
		defer pr.mu.Unlock()
		return pr.err
	case <-t.C:
		return fmt.Errorf("%w (waited %s)", ErrStopTimeout, timeout)
	case <-pr.sig:
		return ErrInterrupted
	}
}

// runPlain is Run without a service manager.
func (pr *program) runPlain() error {
	pr.wakes = true
	if err := pr.Start(nil); err != nil {
		return err
	}
	pr.wait()
	return pr.Stop(nil)
}
