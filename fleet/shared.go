package fleet

import (
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/netip"
	"strconv"
	"sync"
	"time"

	"github.com/phonesim/phonesim/config"
)

// sharedHTTP is one HTTP listener for every phone of the process on one
// port (issue 10, item 2): a listener per phone costs a descriptor each,
// and 10,000 phones with a SIP socket and a listener each do not fit in
// an open-file limit of 20,000. It binds the port on the wildcard address
// and demultiplexes by the local address each connection came to, so that
// each phone's web server still answers only on its own IP, as a desk
// phone's does: a connection to an address no phone has is reset at once,
// before a byte of HTTP is read.
type sharedHTTP struct {
	port int
	ln   net.Listener
	srv  *http.Server
	done chan struct{}

	mu   sync.RWMutex
	byIP map[netip.Addr]http.Handler
}

// groupKey is what phones must have in common to share a listener: the
// address family and the port.
type groupKey struct {
	is4  bool
	port int
}

func keyOf(p *config.Phone) (groupKey, bool) {
	a, err := netip.ParseAddr(p.IP)
	if err != nil {
		return groupKey{}, false
	}
	return groupKey{a.Unmap().Is4(), p.HTTPPort}, true
}

// httpGroups are the indices of phones by groupKey; a phone whose address
// does not parse is a group of its own.
func httpGroups(phones []config.Phone) [][]int {
	var groups [][]int
	at := map[groupKey]int{}
	for i := range phones {
		k, ok := keyOf(&phones[i])
		if !ok {
			groups = append(groups, []int{i})
			continue
		}
		g, seen := at[k]
		if !seen {
			g = len(groups)
			at[k] = g
			groups = append(groups, nil)
		}
		groups[g] = append(groups[g], i)
	}
	return groups
}

// listenShared binds the wildcard address of the family on port.
func listenShared(k groupKey, log *slog.Logger) (*sharedHTTP, error) {
	network, host := "tcp6", "::"
	if k.is4 {
		network, host = "tcp4", "0.0.0.0"
	}
	ln, err := net.Listen(network, net.JoinHostPort(host, strconv.Itoa(k.port)))
	if err != nil {
		return nil, fmt.Errorf("http (shared by the phones on port %d): %w", k.port, err)
	}
	sh := &sharedHTTP{port: k.port, ln: ln, byIP: map[netip.Addr]http.Handler{}, done: make(chan struct{})}
	sh.srv = &http.Server{Handler: sh, ReadHeaderTimeout: 5 * time.Second, Protocols: http1Only}
	go func() {
		defer close(sh.done)
		if err := sh.srv.Serve(refusing{ln, sh}); err != nil && !errors.Is(err, http.ErrServerClosed) && !errors.Is(err, net.ErrClosed) {
			log.Error("shared http server", "port", k.port, "error", err)
		}
	}()
	return sh, nil
}

func (sh *sharedHTTP) add(ip netip.Addr, h http.Handler) {
	sh.mu.Lock()
	sh.byIP[ip] = h
	sh.mu.Unlock()
}

// remove drops ip's handler if it is still h (a phone that moved away and
// back keeps its new entry).
func (sh *sharedHTTP) remove(ip netip.Addr, h http.Handler) {
	sh.mu.Lock()
	if cur, ok := sh.byIP[ip]; ok && cur == h {
		delete(sh.byIP, ip)
	}
	sh.mu.Unlock()
}

func (sh *sharedHTTP) lookup(local net.Addr) http.Handler {
	ta, ok := local.(*net.TCPAddr)
	if !ok {
		return nil
	}
	ip, ok := netip.AddrFromSlice(ta.IP)
	if !ok {
		return nil
	}
	sh.mu.RLock()
	defer sh.mu.RUnlock()
	return sh.byIP[ip.Unmap()]
}

// ServeHTTP hands the request to the phone at the address it came to. A
// phone that moved away since the connection was accepted is not there
// any more: 421 Misdirected Request (RFC 9110 §15.5.20: "the request was
// directed at a server that is unable or unwilling to produce an
// authoritative response for the target URI").
func (sh *sharedHTTP) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	local, _ := r.Context().Value(http.LocalAddrContextKey).(net.Addr)
	h := sh.lookup(local)
	if h == nil {
		w.Header().Set("Connection", "close")
		http.Error(w, "no phone at this address", http.StatusMisdirectedRequest)
		return
	}
	h.ServeHTTP(w, r)
}

// close stops the listener and waits for its server to end.
func (sh *sharedHTTP) close() {
	_ = sh.srv.Close()
	<-sh.done
}

// refusing accepts only connections to an address a phone has; the rest
// are reset (SO_LINGER 0), as a host with nothing listening on that
// address:port would.
type refusing struct {
	net.Listener
	sh *sharedHTTP
}

func (l refusing) Accept() (net.Conn, error) {
	for {
		c, err := l.Listener.Accept()
		if err != nil {
			return nil, err
		}
		if l.sh.lookup(c.LocalAddr()) != nil {
			return c, nil
		}
		if tc, ok := c.(*net.TCPConn); ok {
			_ = tc.SetLinger(0)
		}
		_ = c.Close()
	}
}
