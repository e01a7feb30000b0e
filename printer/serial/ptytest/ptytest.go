//go:build linux

// Package ptytest gives transport tests a pseudo-terminal pair as a serial
// line: the code under test opens the slave's path like a serial port, and
// the test plays the printer on the master side, seeing the exact bytes sent
// and answering status queries.
package ptytest

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"syscall"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"storeedge/printer/status/statustest"
)

// Pair is one pty pair.
type Pair struct {
	Master    *os.File
	SlavePath string // /dev/pts/N
}

// Open makes a pty pair, closed when the test ends.
func Open(t testing.TB) *Pair {
	t.Helper()
	p, err := open()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { p.Master.Close() })
	return p
}

func open() (*Pair, error) {
	fd, err := unix.Open("/dev/ptmx", unix.O_RDWR|unix.O_NOCTTY|unix.O_CLOEXEC|unix.O_NONBLOCK, 0)
	if err != nil {
		return nil, fmt.Errorf("open /dev/ptmx: %w", err)
	}
	if err := unix.IoctlSetPointerInt(fd, unix.TIOCSPTLCK, 0); err != nil {
		unix.Close(fd)
		return nil, fmt.Errorf("unlock pty: %w", err)
	}
	n, err := unix.IoctlGetInt(fd, unix.TIOCGPTN)
	if err != nil {
		unix.Close(fd)
		return nil, fmt.Errorf("pty number: %w", err)
	}
	return &Pair{Master: os.NewFile(uintptr(fd), "/dev/ptmx"), SlavePath: fmt.Sprintf("/dev/pts/%d", n)}, nil
}

// Termios returns the line settings the slave side was given (a pty master
// reads its slave's settings).
func (p *Pair) Termios() (*unix.Termios, error) {
	rc, err := p.Master.SyscallConn()
	if err != nil {
		return nil, err
	}
	var t *unix.Termios
	var terr error
	if err := rc.Control(func(fd uintptr) { t, terr = unix.IoctlGetTermios(int(fd), unix.TCGETS) }); err != nil {
		return nil, err
	}
	return t, terr
}

// MakeRaw puts the line in raw mode (no echo, no line editing, no newline
// translation), so that it carries bytes unchanged like a printer device
// node such as /dev/usb/lp0.
func (p *Pair) MakeRaw() error {
	t, err := p.Termios()
	if err != nil {
		return err
	}
	t.Iflag &^= unix.IGNBRK | unix.BRKINT | unix.PARMRK | unix.ISTRIP | unix.INLCR | unix.IGNCR | unix.ICRNL | unix.IXON
	t.Oflag &^= unix.OPOST
	t.Lflag &^= unix.ECHO | unix.ECHONL | unix.ICANON | unix.ISIG | unix.IEXTEN
	t.Cflag &^= unix.CSIZE | unix.PARENB
	t.Cflag |= unix.CS8
	t.Cc[unix.VMIN], t.Cc[unix.VTIME] = 1, 0
	rc, err := p.Master.SyscallConn()
	if err != nil {
		return err
	}
	var serr error
	if err := rc.Control(func(fd uintptr) { serr = unix.IoctlSetTermios(int(fd), unix.TCSETS, t) }); err != nil {
		return err
	}
	return serr
}

// Serve plays printer emu on the master side until ctx ends or the master is
// closed: every byte read is fed to it and its answers are written back.
// While nobody has the slave open, reads fail with EIO; Serve waits.
func (p *Pair) Serve(ctx context.Context, emu *statustest.Printer) {
	buf := make([]byte, 32<<10)
	for ctx.Err() == nil {
		p.Master.SetReadDeadline(time.Now().Add(50 * time.Millisecond))
		n, err := p.Master.Read(buf)
		if n > 0 {
			if ans := emu.Feed(buf[:n]); len(ans) > 0 {
				p.Master.SetWriteDeadline(time.Now().Add(time.Second))
				p.Master.Write(ans)
			}
		}
		switch {
		case err == nil, errors.Is(err, os.ErrDeadlineExceeded):
		case errors.Is(err, syscall.EIO):
			time.Sleep(5 * time.Millisecond) // slave not open (yet, or any more)
		default:
			return // master closed
		}
	}
}

// Line is a serial line at a fixed path that can be unplugged and plugged in
// again, like a USB-serial adapter: the path is a symlink to the current pty.
type Line struct {
	t    testing.TB
	Path string
	Emu  *statustest.Printer

	mu     sync.Mutex
	pair   *Pair
	cancel context.CancelFunc
	done   chan struct{}
}

// NewLine makes a plugged-in line with an online printer on it.
func NewLine(t testing.TB) *Line {
	t.Helper()
	l := &Line{t: t, Path: filepath.Join(t.TempDir(), "ttyPRINTER"), Emu: statustest.New()}
	l.Plug()
	t.Cleanup(l.Unplug)
	return l
}

// Pair is the current pty pair (nil while unplugged).
func (l *Line) Pair() *Pair {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.pair
}

// Plug makes a new pty at Path with the printer serving it.
func (l *Line) Plug() {
	l.t.Helper()
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.pair != nil {
		return
	}
	p, err := open()
	if err != nil {
		l.t.Fatal(err)
	}
	if err := os.Symlink(p.SlavePath, l.Path); err != nil {
		p.Master.Close()
		l.t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	l.pair, l.cancel, l.done = p, cancel, make(chan struct{})
	done := l.done
	go func() { defer close(done); p.Serve(ctx, l.Emu) }()
}

// Unplug removes the path and hangs up the line.
func (l *Line) Unplug() {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.pair == nil {
		return
	}
	os.Remove(l.Path)
	l.cancel()
	<-l.done
	l.pair.Master.Close()
	l.pair = nil
}
