package serial

import (
	"context"
	"errors"
	"fmt"
	"os"

	"golang.org/x/sys/unix"
)

// bauds maps rates to termios speed codes.
var bauds = map[int]uint32{
	1200: unix.B1200, 2400: unix.B2400, 4800: unix.B4800, 9600: unix.B9600,
	19200: unix.B19200, 38400: unix.B38400, 57600: unix.B57600, 115200: unix.B115200,
	230400: unix.B230400, 460800: unix.B460800, 921600: unix.B921600,
}

// unixPort is a tty opened non-blocking, so that the runtime poller gives
// reads and writes deadlines even while flow control holds the line.
type unixPort struct{ f *os.File }

func openPort(path string, baud int, flow string) (port, error) {
	s, err := lineSettings(baud, flow)
	if err != nil {
		return nil, err
	}
	speed, ok := bauds[s.baud]
	if !ok {
		return nil, fmt.Errorf("baud %d is not supported here", s.baud)
	}
	fd, err := unix.Open(path, unix.O_RDWR|unix.O_NOCTTY|unix.O_NONBLOCK|unix.O_CLOEXEC, 0)
	if err != nil {
		return nil, &os.PathError{Op: "open", Path: path, Err: err}
	}
	fail := func(op string, err error) (port, error) {
		unix.Close(fd)
		return nil, fmt.Errorf("%s %s: %w", op, path, err)
	}
	t, err := unix.IoctlGetTermios(fd, unix.TCGETS)
	if err != nil {
		return fail("not a serial port:", err)
	}
	// raw 8N1
	t.Iflag &^= unix.IGNBRK | unix.BRKINT | unix.PARMRK | unix.ISTRIP | unix.INLCR | unix.IGNCR |
		unix.ICRNL | unix.IXON | unix.IXOFF | unix.IXANY | unix.INPCK | unix.IUCLC
	t.Oflag &^= unix.OPOST
	t.Lflag &^= unix.ECHO | unix.ECHONL | unix.ICANON | unix.ISIG | unix.IEXTEN
	t.Cflag &^= unix.CSIZE | unix.PARENB | unix.CSTOPB | unix.CRTSCTS | unix.CBAUD
	t.Cflag |= unix.CS8 | unix.CREAD | unix.CLOCAL | speed
	t.Ispeed, t.Ospeed = speed, speed
	t.Cc[unix.VMIN], t.Cc[unix.VTIME] = 1, 0
	if s.rtscts {
		t.Cflag |= unix.CRTSCTS
	}
	if s.xonoff {
		t.Iflag |= unix.IXON | unix.IXOFF
		t.Cc[unix.VSTART], t.Cc[unix.VSTOP] = 0x11, 0x13
	}
	if err := unix.IoctlSetTermios(fd, unix.TCSETS, t); err != nil {
		return fail("configure", err)
	}
	// Nobody else may open the port while a printer job is on it.
	if err := unix.IoctlSetInt(fd, unix.TIOCEXCL, 0); err != nil {
		return fail("lock", err)
	}
	return &unixPort{f: os.NewFile(uintptr(fd), path)}, nil
}

func (p *unixPort) write(ctx context.Context, b []byte) (int, error) {
	dl, _ := ctx.Deadline()
	if err := p.f.SetWriteDeadline(dl); err != nil {
		return 0, err
	}
	n, err := p.f.Write(b)
	if errors.Is(err, os.ErrDeadlineExceeded) {
		err = fmt.Errorf("line held (flow control, or the printer is busy): %w", context.DeadlineExceeded)
	}
	return n, err
}

func (p *unixPort) read(ctx context.Context, b []byte) (int, error) {
	dl, _ := ctx.Deadline()
	if err := p.f.SetReadDeadline(dl); err != nil {
		return 0, err
	}
	n, err := p.f.Read(b)
	if errors.Is(err, os.ErrDeadlineExceeded) {
		return n, context.DeadlineExceeded
	}
	if err == nil && n == 0 {
		return 0, errors.New("line hung up")
	}
	return n, err
}

func (p *unixPort) flushInput() error {
	rc, err := p.f.SyscallConn()
	if err != nil {
		return err
	}
	var ferr error
	if err := rc.Control(func(fd uintptr) { ferr = unix.IoctlSetInt(int(fd), unix.TCFLSH, unix.TCIFLUSH) }); err != nil {
		return err
	}
	return ferr
}

func (p *unixPort) close() error { return p.f.Close() }
