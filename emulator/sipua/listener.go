package sipua

import (
	"fmt"
	"io"
	"net"

	"github.com/emiago/sipgo"
)

// listener is the phone's SIP socket and the one goroutine that reads it.
type listener struct {
	port    int
	udp     net.PacketConn // one of udp and tcp is set
	tcp     net.Listener
	started bool          // serve was called
	done    chan struct{} // closed when the reader returns
}

// listen binds the SIP socket; port 0 in addr lets the kernel choose.
func listen(network, addr string) (*listener, error) {
	l := &listener{done: make(chan struct{})}
	switch network {
	case "udp":
		c, err := net.ListenPacket("udp", addr)
		if err != nil {
			return nil, err
		}
		l.udp, l.port = c, c.LocalAddr().(*net.UDPAddr).Port
	case "tcp":
		c, err := net.Listen("tcp", addr)
		if err != nil {
			return nil, err
		}
		l.tcp, l.port = c, c.Addr().(*net.TCPAddr).Port
	default:
		return nil, fmt.Errorf("transport %q: want udp or tcp", network)
	}
	return l, nil
}

// serve hands the socket to sipgo's transport layer, which reads it until
// it is closed.
func (l *listener) serve(srv *sipgo.Server) {
	l.started = true
	go func() {
		defer close(l.done)
		if l.udp != nil {
			_ = srv.ServeUDP(l.udp)
		} else {
			_ = srv.ServeTCP(l.tcp)
		}
	}()
}

// close closes the socket (sipgo's Close may have done so already) and,
// if it was served, waits for the reader to return.
func (l *listener) close() {
	var c io.Closer = l.tcp
	if l.udp != nil {
		c = l.udp
	}
	_ = c.Close()
	if l.started {
		<-l.done
	}
}
