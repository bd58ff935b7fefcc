package registrar

import (
	"context"
	"io"
	"log/slog"
	"net"
	"os"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/emiago/diago"
	"github.com/emiago/diago/media"
	"github.com/emiago/sipgo"
	"github.com/emiago/sipgo/sip"
	"go.uber.org/goleak"

	"github.com/phonesim/phonesim/internal/fakeclock"
)

// Test helpers shared by the registrar tests: a registrar on 127.0.0.1:0,
// a fake clock, plain sipgo user agents and diago phones, all on real
// loopback sockets.

func TestMain(m *testing.M) {
	quiet := testLogger()
	sip.SetDefaultLogger(quiet)
	media.SetDefaultLogger(quiet)
	goleak.VerifyTestMain(m)
}

// testLogger discards logs unless REGISTRAR_DEBUG is set.
func testLogger() *slog.Logger {
	if os.Getenv("REGISTRAR_DEBUG") != "" {
		return slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelDebug}))
	}
	return slog.New(slog.NewTextHandler(io.Discard, nil))
}

var testUsers = map[string]string{"1001": "secret1001", "1002": "secret1002", "1003": "secret1003"}

func digestAuth(user string) sipgo.DigestAuth {
	return sipgo.DigestAuth{Username: user, Password: testUsers[user]}
}

// startRegistrar starts a registrar on 127.0.0.1:0 and closes it at the end
// of the test.
func startRegistrar(t testing.TB, cfg Config, opts ...Option) *Registrar {
	t.Helper()
	if cfg.Listen == "" {
		cfg.Listen = "127.0.0.1:0"
	}
	if cfg.Users == nil {
		cfg.Users = testUsers
	}
	if cfg.Logger == nil {
		cfg.Logger = testLogger()
	}
	r, err := New(cfg, opts...)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	if err := r.Start(context.Background()); err != nil {
		t.Fatalf("Start: %v", err)
	}
	t.Cleanup(func() {
		if err := r.Close(); err != nil {
			t.Errorf("Close: %v", err)
		}
	})
	return r
}

// regURI is sip:host:port of the registrar.
func regURI(t testing.TB, r *Registrar) sip.Uri {
	t.Helper()
	host, portStr, err := net.SplitHostPort(r.Addr())
	if err != nil {
		t.Fatalf("Addr %q: %v", r.Addr(), err)
	}
	port, _ := strconv.Atoi(portStr)
	return sip.Uri{Scheme: "sip", Host: host, Port: port}
}

// userURI is sip:user@registrar.
func userURI(t testing.TB, r *Registrar, user string) sip.Uri {
	u := regURI(t, r)
	u.User = user
	return u
}

func newFakeClock() *fakeclock.Clock {
	return fakeclock.New(time.Date(2025, 1, 2, 3, 4, 5, 0, time.UTC))
}

// rawUA is a plain sipgo user agent listening on its own UDP socket, for
// tests that look at individual messages.
type rawUA struct {
	t      testing.TB
	name   string
	ua     *sipgo.UserAgent
	srv    *sipgo.Server
	client *sipgo.Client
	conn   net.PacketConn
	addr   string
	host   string
	port   int
}

// newRawUA starts one; setup registers request handlers before it serves.
func newRawUA(t testing.TB, name string, setup ...func(srv *sipgo.Server)) *rawUA {
	t.Helper()
	ua, err := sipgo.NewUA(sipgo.WithUserAgent(name), sipgo.WithUserAgentHostname("127.0.0.1"))
	if err != nil {
		t.Fatal(err)
	}
	srv, err := sipgo.NewServer(ua)
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range setup {
		f(srv)
	}
	conn, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := conn.LocalAddr().String()
	client, err := sipgo.NewClient(ua, sipgo.WithClientConnectionAddr(addr))
	if err != nil {
		t.Fatal(err)
	}
	host, portStr, _ := net.SplitHostPort(addr)
	port, _ := strconv.Atoi(portStr)
	u := &rawUA{t: t, name: name, ua: ua, srv: srv, client: client, conn: conn, addr: addr, host: host, port: port}
	done := make(chan struct{})
	go func() {
		defer close(done)
		_ = srv.ServeUDP(conn)
	}()
	// The listener must be in sipgo's pool before the client sends from it.
	deadline := time.Now().Add(2 * time.Second)
	for ua.TransportLayer().Pool("udp").Get(addr) == nil {
		if time.Now().After(deadline) {
			t.Fatal("raw UA listener not ready")
		}
		time.Sleep(time.Millisecond)
	}
	t.Cleanup(func() {
		conn.Close()
		<-done
		closeUA(ua)
	})
	return u
}

// contact is the raw UA's contact URI for user.
func (u *rawUA) contact(user string) sip.Uri {
	return sip.Uri{Scheme: "sip", User: user, Host: u.host, Port: u.port, UriParams: sip.HeaderParams{{K: "transport", V: "udp"}}}
}

// newRegister builds a REGISTER for user at the registrar with one Contact
// of this UA; expires < 0 leaves the Expires header out.
func (u *rawUA) newRegister(r *Registrar, user string, expires int) *sip.Request {
	req := sip.NewRequest(sip.REGISTER, regURI(u.t, r))
	aor := sip.Uri{Scheme: "sip", User: user, Host: "127.0.0.1"}
	from := &sip.FromHeader{Address: aor, Params: sip.NewParams()}
	from.Params.Add("tag", sip.GenerateTagN(12))
	req.AppendHeader(from)
	req.AppendHeader(&sip.ToHeader{Address: aor, Params: sip.NewParams()})
	req.AppendHeader(&sip.ContactHeader{Address: u.contact(user)})
	if expires >= 0 {
		e := sip.ExpiresHeader(expires)
		req.AppendHeader(&e)
	}
	return req
}

// do sends req and returns the final response.
func (u *rawUA) do(req *sip.Request) *sip.Response {
	u.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	res, err := u.client.Do(ctx, req)
	if err != nil {
		u.t.Fatalf("%s: %v", req.Method, err)
	}
	return res
}

// doAuth sends req, answers a 401/407 challenge with user/password, and
// returns the final response.
func (u *rawUA) doAuth(req *sip.Request, user, password string) *sip.Response {
	u.t.Helper()
	res := u.do(req)
	if res.StatusCode != sip.StatusUnauthorized && res.StatusCode != sip.StatusProxyAuthRequired {
		return res
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	res, err := u.client.DoDigestAuth(ctx, req, res, sipgo.DigestAuth{Username: user, Password: password})
	if err != nil {
		u.t.Fatalf("%s with auth: %v", req.Method, err)
	}
	return res
}

// register registers user with this UA's contact and fails the test unless
// the registrar answers 200.
func (u *rawUA) register(r *Registrar, user string, expires int) *sip.Response {
	u.t.Helper()
	res := u.doAuth(u.newRegister(r, user, expires), user, testUsers[user])
	if res.StatusCode != sip.StatusOK {
		u.t.Fatalf("REGISTER %s: %s", user, res.StartLine())
	}
	return res
}

// closeUA closes a test user agent. sipgo handles each message on its own
// goroutine; one read just before the listener closed may run after Close,
// find no connection and open a fresh socket to answer from. Closing again
// a moment later sweeps that socket (and its reader goroutine) away.
func closeUA(ua *sipgo.UserAgent) {
	ua.Close()
	time.Sleep(30 * time.Millisecond)
	ua.Close()
}

// phone is a diago user agent registered at the registrar: the kind of
// SIP stack the emulated phones use.
type phone struct {
	t        testing.TB
	user     string
	dg       *diago.Diago
	ua       *sipgo.UserAgent
	ctx      context.Context // ends when the test ends: answer functions watch it
	cancel   context.CancelFunc
	incoming chan *diago.DialogServerSession
	answer   func(d *diago.DialogServerSession) // what the phone does with a call

	mu     sync.Mutex
	closed bool
	wg     sync.WaitGroup // calls in progress
}

// newPhone starts a diago UA named user on 127.0.0.1 (port 0) and serves
// calls with answer (which must return when the call is over).
func newPhone(t testing.TB, user string, answer func(d *diago.DialogServerSession)) *phone {
	t.Helper()
	ua, err := sipgo.NewUA(sipgo.WithUserAgent(user), sipgo.WithUserAgentHostname("127.0.0.1"))
	if err != nil {
		t.Fatal(err)
	}
	dg := diago.NewDiago(ua,
		diago.WithLogger(testLogger()),
		// Field notes: set BindHost explicitly, or diago picks a LAN address.
		diago.WithTransport(diago.Transport{Transport: "udp", BindHost: "127.0.0.1", BindPort: 0}),
	)
	ctx, cancel := context.WithCancel(context.Background())
	p := &phone{t: t, user: user, dg: dg, ua: ua, ctx: ctx, cancel: cancel, incoming: make(chan *diago.DialogServerSession, 4), answer: answer}
	// Field notes: ServeBackground before registering.
	if err := dg.ServeBackground(ctx, func(d *diago.DialogServerSession) {
		p.mu.Lock()
		if p.closed {
			p.mu.Unlock()
			return
		}
		p.wg.Add(1)
		p.mu.Unlock()
		defer p.wg.Done()
		select {
		case p.incoming <- d:
		default:
		}
		if p.answer != nil {
			p.answer(d)
		}
	}); err != nil {
		cancel()
		t.Fatalf("diago serve: %v", err)
	}
	// ServeBackground returns when the socket is bound but before sipgo put
	// it in its connection pool; a REGISTER sent in between tries to bind
	// the same port again ("address already in use"). Wait for the pool.
	deadline := time.Now().Add(2 * time.Second)
	for {
		ports := ua.TransportLayer().ListenPorts("udp")
		if len(ports) > 0 && ua.TransportLayer().Pool("udp").Get(net.JoinHostPort("127.0.0.1", strconv.Itoa(ports[0]))) != nil {
			break
		}
		if time.Now().After(deadline) {
			cancel()
			t.Fatal("diago listener not ready")
		}
		time.Sleep(time.Millisecond)
	}
	t.Cleanup(func() {
		p.mu.Lock()
		p.closed = true
		p.mu.Unlock()
		cancel()
		p.wg.Wait() // answer functions end with their call or p.ctx
		closeUA(ua)
	})
	return p
}

// register registers the phone's user at the registrar, as
// emulator/sipua does: To/From carry the account, Contact its user.
func (p *phone) register(r *Registrar, password string) *diago.RegisterTransaction {
	p.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	tx, err := p.dg.RegisterTransaction(ctx, regURI(p.t, r), diago.RegisterOptions{Username: p.user, Password: password})
	if err != nil {
		p.t.Fatal(err)
	}
	aor := sip.Uri{Scheme: "sip", User: p.user, Host: regURI(p.t, r).Host}
	from := &sip.FromHeader{Address: aor, Params: sip.NewParams()}
	from.Params.Add("tag", sip.GenerateTagN(12))
	tx.Origin.AppendHeader(from)
	tx.Origin.AppendHeader(&sip.ToHeader{Address: aor, Params: sip.NewParams()})
	if err := tx.Register(ctx); err != nil {
		p.t.Fatalf("register %s: %v", p.user, err)
	}
	return tx
}

// waitCall returns the next incoming call or fails the test.
func (p *phone) waitCall(timeout time.Duration) *diago.DialogServerSession {
	p.t.Helper()
	select {
	case d := <-p.incoming:
		return d
	case <-time.After(timeout):
		p.t.Fatalf("%s: no incoming call within %v", p.user, timeout)
		return nil
	}
}
