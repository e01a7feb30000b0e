package chaos

import (
	"errors"
	"fmt"
	"net"
	"sync"
	"time"
)

// PathState is what the network path between the agent and its upstream
// does.
type PathState int

// Network path states.
const (
	PathUp        PathState = iota // bytes flow
	PathRefused                    // nothing listens: connections are refused, open ones are reset
	PathBlackHole                  // connections are accepted and bytes taken, nothing ever answers
)

func (s PathState) String() string {
	switch s {
	case PathRefused:
		return "refused"
	case PathBlackHole:
		return "black hole"
	}
	return "up"
}

// Proxy is the network path from the agent to the upstream: a TCP proxy on
// a fixed loopback address that can refuse connections, black-hole them and
// be restored. Connections that were black-holed are reset when the path is
// restored, as a router that lost them would. Its methods are safe for
// concurrent use.
type Proxy struct {
	addr, target string

	mu     sync.Mutex
	ln     net.Listener
	state  PathState
	conns  map[*pipe]struct{}
	closed bool
	wg     sync.WaitGroup
}

// pipe is one proxied connection.
type pipe struct {
	client, server net.Conn
	held           bool // black-holed: its bytes go nowhere
}

// NewProxy listens on a free loopback port and forwards to target.
func NewProxy(target string) (*Proxy, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, fmt.Errorf("proxy: listen: %w", err)
	}
	p := &Proxy{addr: ln.Addr().String(), target: target, ln: ln, conns: map[*pipe]struct{}{}}
	p.serve(ln)
	return p, nil
}

// Addr is where the agent connects.
func (p *Proxy) Addr() string { return p.addr }

// State is the path's state.
func (p *Proxy) State() PathState {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.state
}

// Set changes the path: PathRefused closes the listener and resets every
// connection, PathBlackHole stops every byte, PathUp restores the path and
// resets the connections that were black-holed.
func (p *Proxy) Set(s PathState) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.closed {
		return errors.New("proxy closed")
	}
	prev := p.state
	p.state = s
	switch s {
	case PathRefused:
		if p.ln != nil {
			p.ln.Close()
			p.ln = nil
		}
		for c := range p.conns {
			c.client.Close()
			c.server.Close()
		}
	case PathBlackHole:
		for c := range p.conns {
			c.held = true
		}
	case PathUp:
		for c := range p.conns {
			if c.held {
				c.client.Close()
				c.server.Close()
			}
		}
	}
	if s != PathRefused && p.ln == nil {
		ln, err := listenRetry(p.addr)
		if err != nil {
			p.state = prev
			return fmt.Errorf("proxy: listen again on %s: %w", p.addr, err)
		}
		p.ln = ln
		p.serve(ln)
	}
	return nil
}

// listenRetry listens on addr again; a port just closed can take a moment.
func listenRetry(addr string) (net.Listener, error) {
	var err error
	for range 50 {
		var ln net.Listener
		if ln, err = net.Listen("tcp", addr); err == nil {
			return ln, nil
		}
		time.Sleep(20 * time.Millisecond)
	}
	return nil, err
}

// Close stops the proxy and every connection.
func (p *Proxy) Close() {
	p.mu.Lock()
	p.closed = true
	if p.ln != nil {
		p.ln.Close()
		p.ln = nil
	}
	for c := range p.conns {
		c.client.Close()
		c.server.Close()
	}
	p.mu.Unlock()
	p.wg.Wait()
}

func (p *Proxy) serve(ln net.Listener) {
	p.wg.Add(1)
	go func() {
		defer p.wg.Done()
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			p.wg.Add(1)
			go func() {
				defer p.wg.Done()
				p.handle(c)
			}()
		}
	}()
}

func (p *Proxy) handle(client net.Conn) {
	p.mu.Lock()
	state := p.state
	p.mu.Unlock()
	if state == PathRefused {
		client.Close()
		return
	}
	var server net.Conn
	if state == PathUp {
		var err error
		if server, err = net.DialTimeout("tcp", p.target, 5*time.Second); err != nil {
			client.Close()
			return
		}
	} else {
		// Black hole: nothing behind it. A stand-in that is never written
		// keeps the pipe's shape.
		a, b := net.Pipe()
		defer b.Close()
		server = a
	}
	c := &pipe{client: client, server: server}
	p.mu.Lock()
	if p.closed || p.state == PathRefused {
		p.mu.Unlock()
		client.Close()
		server.Close()
		return
	}
	c.held = c.held || p.state == PathBlackHole || state == PathBlackHole
	p.conns[c] = struct{}{}
	p.mu.Unlock()
	var wg sync.WaitGroup
	wg.Add(2)
	go func() { defer wg.Done(); p.pump(c, c.client, c.server) }()
	go func() { defer wg.Done(); p.pump(c, c.server, c.client) }()
	wg.Wait()
	p.mu.Lock()
	delete(p.conns, c)
	p.mu.Unlock()
}

// pump copies from src to dst while the pipe is not held; held bytes are
// dropped. Either side ending ends both.
func (p *Proxy) pump(c *pipe, src, dst net.Conn) {
	defer func() {
		src.Close()
		dst.Close()
	}()
	buf := make([]byte, 32<<10)
	for {
		n, err := src.Read(buf)
		if n > 0 {
			p.mu.Lock()
			held := c.held
			p.mu.Unlock()
			if !held {
				if _, werr := dst.Write(buf[:n]); werr != nil {
					return
				}
			}
		}
		if err != nil {
			return
		}
	}
}
