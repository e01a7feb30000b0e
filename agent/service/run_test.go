package service

import (
	"context"
	"errors"
	"os"
	"strings"
	"syscall"
	"testing"
	"time"

	kservice "github.com/kardianos/service"
)

// testRun runs p like Run does, with the signals coming from the test.
func testRun(t *testing.T, p Program, newSvc newService) (sig chan os.Signal, result <-chan error) {
	t.Helper()
	sig = make(chan os.Signal, 2)
	res := make(chan error, 1)
	if p.Fatal == nil {
		p.Fatal = func(err error) { t.Errorf("Fatal(%v) called on a system whose service manager wakes", err) }
	}
	go func() { res <- run(p, sig, newSvc) }()
	return sig, res
}

func wait(t *testing.T, res <-chan error) error {
	t.Helper()
	select {
	case err := <-res:
		return err
	case <-time.After(10 * time.Second):
		t.Fatal("Run did not return")
		return nil
	}
}

// blockingProgram runs until its context ends; started and stopped report
// when it got there.
type blockingProgram struct {
	started, stopped chan struct{}
	ignoreStop       chan struct{} // when set, the run waits for it instead of ctx
	result           error
}

func newBlocking() *blockingProgram {
	return &blockingProgram{started: make(chan struct{}), stopped: make(chan struct{})}
}

func (b *blockingProgram) start() (RunFunc, error) {
	return func(ctx context.Context) error {
		close(b.started)
		if b.ignoreStop != nil {
			<-b.ignoreStop
		} else {
			<-ctx.Done()
		}
		close(b.stopped)
		return b.result
	}, nil
}

func TestRunStopsOnSignal(t *testing.T) {
	for _, tc := range []struct {
		name   string
		newSvc newService
	}{
		{"service manager", kservice.New},
		{"no service manager", func(kservice.Interface, *kservice.Config) (kservice.Service, error) {
			return nil, kservice.ErrNoServiceSystemDetected
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			b := newBlocking()
			sig, res := testRun(t, Program{Start: b.start, StopTimeout: 5 * time.Second}, tc.newSvc)
			<-b.started
			sig <- syscall.SIGTERM
			if err := wait(t, res); err != nil {
				t.Errorf("Run = %v after a clean stop", err)
			}
			select {
			case <-b.stopped:
			default:
				t.Error("Run returned before the program stopped")
			}
		})
	}
}

func TestRunProgramFails(t *testing.T) {
	boom := errors.New("status server: address in use")
	for _, tc := range []struct {
		name   string
		result error
		want   error
	}{
		{"with an error", boom, boom},
		{"without an error", nil, ErrExited},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p := Program{Start: func() (RunFunc, error) {
				return func(context.Context) error { return tc.result }, nil
			}}
			_, res := testRun(t, p, kservice.New)
			if err := wait(t, res); !errors.Is(err, tc.want) {
				t.Errorf("Run = %v, want %v", err, tc.want)
			}
		})
	}
}

func TestRunStartFails(t *testing.T) {
	locked := errors.New("data directory /var/lib/storeedge is in use by another storeedge process")
	_, res := testRun(t, Program{Start: func() (RunFunc, error) { return nil, locked }}, kservice.New)
	if err := wait(t, res); !errors.Is(err, locked) {
		t.Errorf("Run = %v, want the start error", err)
	}
}

func TestRunStopDeadline(t *testing.T) {
	b := newBlocking()
	b.ignoreStop = make(chan struct{})
	defer close(b.ignoreStop)
	sig, res := testRun(t, Program{Start: b.start, StopTimeout: 50 * time.Millisecond}, kservice.New)
	<-b.started
	sig <- os.Interrupt
	if err := wait(t, res); !errors.Is(err, ErrStopTimeout) {
		t.Errorf("Run = %v, want ErrStopTimeout", err)
	}
}

func TestRunSecondInterrupt(t *testing.T) {
	b := newBlocking()
	b.ignoreStop = make(chan struct{})
	defer close(b.ignoreStop)
	sig, res := testRun(t, Program{Start: b.start, StopTimeout: time.Hour}, kservice.New)
	<-b.started
	sig <- os.Interrupt
	sig <- os.Interrupt
	if err := wait(t, res); !errors.Is(err, ErrInterrupted) {
		t.Errorf("Run = %v, want ErrInterrupted", err)
	}
}

// Where the service manager cannot be woken (Windows), a program that fails
// on its own ends the process through Fatal.
func TestProgramFatalWhenManagerCannotWake(t *testing.T) {
	fatal := make(chan error, 1)
	boom := errors.New("queue: disk full")
	pr := &program{p: Program{
		Start:       func() (RunFunc, error) { return func(context.Context) error { return boom }, nil },
		StopTimeout: time.Second,
		Fatal:       func(err error) { fatal <- err },
	}}
	if err := pr.Start(nil); err != nil {
		t.Fatal(err)
	}
	select {
	case err := <-fatal:
		if !errors.Is(err, boom) {
			t.Errorf("Fatal(%v), want the program's error", err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("Fatal not called")
	}

	// A stop asked for by the service manager is not fatal.
	b := newBlocking()
	pr = &program{p: Program{Start: b.start, StopTimeout: time.Second, Fatal: func(err error) { fatal <- err }}}
	if err := pr.Start(nil); err != nil {
		t.Fatal(err)
	}
	<-b.started
	if err := pr.Stop(nil); err != nil {
		t.Errorf("Stop = %v", err)
	}
	select {
	case err := <-fatal:
		t.Errorf("Fatal(%v) after a requested stop", err)
	case <-time.After(20 * time.Millisecond):
	}
}

func TestProgramStopBeforeStart(t *testing.T) {
	pr := &program{p: Program{StopTimeout: time.Second}}
	if err := pr.Stop(nil); err != nil {
		t.Errorf("Stop before Start = %v", err)
	}
}

// A shutdown of the computer waits less than a stop.
func TestProgramShutdown(t *testing.T) {
	b := newBlocking()
	b.ignoreStop = make(chan struct{})
	defer close(b.ignoreStop)
	pr := &program{p: Program{Start: b.start, StopTimeout: time.Hour}, wakes: true, shutdown: 30 * time.Millisecond}
	if err := pr.Start(nil); err != nil {
		t.Fatal(err)
	}
	<-b.started
	if err := pr.Shutdown(nil); !errors.Is(err, ErrStopTimeout) || !strings.Contains(err.Error(), "30ms") {
		t.Errorf("Shutdown = %v, want ErrStopTimeout after the shutdown timeout", err)
	}
	if ShutdownTimeout >= DefaultStopTimeout || ShutdownTimeout > 5*time.Second {
		t.Errorf("ShutdownTimeout %v: Windows gives services about 5 s at shutdown", ShutdownTimeout)
	}
}
