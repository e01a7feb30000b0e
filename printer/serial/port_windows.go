package serial

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"time"
	"unsafe"

	"golang.org/x/sys/windows"
)

// winPort is a COM port opened for synchronous I/O; each read and write sets
// its own total timeout from the context's deadline.
type winPort struct {
	mu sync.Mutex
	h  windows.Handle
}

func openPort(path string, baud int, flow string) (port, error) {
	s, err := lineSettings(baud, flow)
	if err != nil {
		return nil, err
	}
	name := path
	if !strings.HasPrefix(name, `\\.\`) {
		name = `\\.\` + name // COM10 and above need the device namespace
	}
	p16, err := windows.UTF16PtrFromString(name)
	if err != nil {
		return nil, err
	}
	h, err := windows.CreateFile(p16, windows.GENERIC_READ|windows.GENERIC_WRITE, 0, nil, windows.OPEN_EXISTING, 0, 0)
	if err != nil {
		return nil, fmt.Errorf("open %s: %w", path, err)
	}
	var dcb windows.DCB
	if err := windows.GetCommState(h, &dcb); err != nil {
		windows.CloseHandle(h)
		return nil, fmt.Errorf("%s is not a serial port: %w", path, err)
	}
	dcb.DCBlength = uint32(unsafe.Sizeof(dcb))
	dcb.BaudRate = uint32(s.baud)
	dcb.Flags = dcbFlags(s)
	dcb.ByteSize = 8
	dcb.Parity = windows.NOPARITY
	dcb.StopBits = windows.ONESTOPBIT
	dcb.XonChar, dcb.XoffChar = 0x11, 0x13
	dcb.XonLim, dcb.XoffLim = 512, 512
	if err := windows.SetCommState(h, &dcb); err != nil {
		windows.CloseHandle(h)
		return nil, fmt.Errorf("configure %s: %w", path, err)
	}
	return &winPort{h: h}, nil
}

// timeouts sets the total timeouts of the next read or write.
func (p *winPort) timeouts(ctx context.Context, read bool) error {
	ms := int64(60_000)
	if dl, ok := ctx.Deadline(); ok {
		ms = time.Until(dl).Milliseconds()
	}
	t := windows.CommTimeouts{}
	if read {
		// Return as soon as a byte arrives, or after the total time.
		t.ReadIntervalTimeout = 0xFFFFFFFF
		t.ReadTotalTimeoutMultiplier = 0xFFFFFFFF
		t.ReadTotalTimeoutConstant = commTimeoutMS(ms)
	} else {
		t.WriteTotalTimeoutConstant = commTimeoutMS(ms)
	}
	return windows.SetCommTimeouts(p.h, &t)
}

func (p *winPort) write(ctx context.Context, b []byte) (int, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if err := p.timeouts(ctx, false); err != nil {
		return 0, err
	}
	var n uint32
	err := windows.WriteFile(p.h, b, &n, nil)
	if err == nil && int(n) < len(b) {
		err = fmt.Errorf("line held (flow control, or the printer is busy): %w", context.DeadlineExceeded)
	}
	return int(n), err
}

func (p *winPort) read(ctx context.Context, b []byte) (int, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if err := p.timeouts(ctx, true); err != nil {
		return 0, err
	}
	var n uint32
	if err := windows.ReadFile(p.h, b, &n, nil); err != nil {
		return int(n), err
	}
	if n == 0 {
		return 0, context.DeadlineExceeded
	}
	return int(n), nil
}

func (p *winPort) flushInput() error {
	p.mu.Lock()
	defer p.mu.Unlock()
	return windows.PurgeComm(p.h, windows.PURGE_RXCLEAR)
}

func (p *winPort) close() error {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.h == windows.InvalidHandle {
		return errors.New("port already closed")
	}
	err := windows.CloseHandle(p.h)
	p.h = windows.InvalidHandle
	return err
}
