package registrar

import (
	"context"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/emiago/sipgo"
	"github.com/emiago/sipgo/sip"
)

// Proxy behaviour seen message by message with plain sipgo user agents.

// capture returns a handler that hands each request to ch and answers code.
func capture(ch chan<- *sip.Request, code int) sipgo.RequestHandler {
	return func(req *sip.Request, tx sip.ServerTransaction) {
		select {
		case ch <- req:
		default:
		}
		if req.IsAck() {
			return
		}
		res := sip.NewResponseFromRequest(req, code, "Test", nil)
		if req.IsInvite() && code == sip.StatusOK {
			res.AppendHeader(&sip.ContactHeader{Address: sip.Uri{Scheme: "sip", User: "callee", Host: "127.0.0.1"}})
		}
		_ = tx.Respond(res)
	}
}

func receive(t *testing.T, ch <-chan *sip.Request, what string) *sip.Request {
	t.Helper()
	select {
	case req := <-ch:
		return req
	case <-time.After(3 * time.Second):
		t.Fatalf("%s never arrived", what)
		return nil
	}
}

func newRequest(method sip.RequestMethod, to sip.Uri, fromUser string) *sip.Request {
	req := sip.NewRequest(method, to)
	from := &sip.FromHeader{Address: sip.Uri{Scheme: "sip", User: fromUser, Host: "127.0.0.1"}, Params: sip.NewParams()}
	from.Params.Add("tag", sip.GenerateTagN(10))
	req.AppendHeader(from)
	return req
}

func TestProxyForwardsOutOfDialog(t *testing.T) {
	r := startRegistrar(t, Config{})
	got := make(chan *sip.Request, 4)
	callee := newRawUA(t, "1002", func(s *sipgo.Server) {
		s.OnMessage(capture(got, sip.StatusOK))
		s.OnSubscribe(capture(got, sip.StatusAccepted))
	})
	callee.register(r, "1002", 300)
	// The relay policy (relay.go): an out-of-dialog MESSAGE is relayed
	// for a phone registered here.
	caller := newRawUA(t, "1001")
	caller.register(r, "1001", 300)

	msg := newRequest(sip.MESSAGE, userURI(t, r, "1002"), "1001")
	msg.AppendHeader(sip.NewHeader("Content-Type", "text/plain"))
	msg.SetBody([]byte("hello 1002"))
	res := caller.do(msg)
	if res.StatusCode != sip.StatusOK {
		t.Fatalf("MESSAGE: %s", res.StartLine())
	}
	// §16.7 step 3: our Via is gone from the response.
	if vias := res.GetHeaders("Via"); len(vias) != 1 || strings.Contains(vias[0].Value(), r.Addr()) {
		t.Errorf("Vias in relayed response = %v, want the caller's only", vias)
	}
	in := receive(t, got, "MESSAGE at callee")
	// §16.5/16.6: Request-URI replaced by the registered contact, a Via
	// added on top, Max-Forwards decremented, body untouched.
	if in.Recipient.Port != callee.port || in.Recipient.User != "1002" {
		t.Errorf("Request-URI at callee = %s, want its contact", in.Recipient.String())
	}
	if vias := in.GetHeaders("Via"); len(vias) != 2 || !strings.Contains(vias[0].Value(), r.Addr()) {
		t.Errorf("Vias at callee = %v", vias)
	}
	if mf := in.MaxForwards(); mf == nil || mf.Val() != 69 {
		t.Errorf("Max-Forwards = %v, want 69", mf)
	}
	if string(in.Body()) != "hello 1002" {
		t.Errorf("body = %q", in.Body())
	}
	if rr := in.RecordRoute(); rr != nil {
		t.Errorf("MESSAGE creates no dialog but got Record-Route %v", rr)
	}

	// A SUBSCRIBE creates a dialog: Record-Route. (One for sip:1002@us
	// is ours to serve, subscribe.go; this one is loose-routed
	// through us to the phone itself.)
	ourRoute := regURI(t, r)
	ourRoute.UriParams = sip.HeaderParams{{K: "transport", V: "udp"}, {K: "lr"}}
	sub := newRequest(sip.SUBSCRIBE, callee.contact("1002"), "1001")
	sub.AppendHeader(&sip.RouteHeader{Address: ourRoute})
	sub.AppendHeader(sip.NewHeader("Event", "presence"))
	sub.AppendHeader(&sip.ContactHeader{Address: caller.contact("1001")})
	if res := caller.do(sub); res.StatusCode != sip.StatusAccepted {
		t.Fatalf("SUBSCRIBE: %s", res.StartLine())
	}
	in = receive(t, got, "SUBSCRIBE at callee")
	if rr := in.RecordRoute(); rr == nil || rr.Address.HostPort() != r.Addr() {
		t.Errorf("SUBSCRIBE Record-Route = %v, want the registrar", rr)
	}
}

func TestProxyInDialogLooseRoute(t *testing.T) {
	r := startRegistrar(t, Config{})
	got := make(chan *sip.Request, 4)
	callee := newRawUA(t, "1002", func(s *sipgo.Server) {
		s.OnBye(capture(got, sip.StatusOK))
		s.OnRefer(capture(got, sip.StatusAccepted))
		s.OnNotify(capture(got, sip.StatusOK))
	})
	// The callee is registered: in-dialog requests reach one of our
	// phones (relay.go).
	callee.register(r, "1002", 300)
	caller := newRawUA(t, "1001")
	ourRoute := regURI(t, r)
	ourRoute.UriParams = sip.HeaderParams{{K: "transport", V: "udp"}, {K: "lr"}}

	for _, method := range []sip.RequestMethod{sip.BYE, sip.REFER, sip.NOTIFY} {
		// An in-dialog request as a UA builds it from our Record-Route:
		// Request-URI = remote target, Route = us (RFC 3261 §12.2.1.1).
		req := newRequest(method, callee.contact("1002"), "1001")
		to := &sip.ToHeader{Address: sip.Uri{Scheme: "sip", User: "1002", Host: "127.0.0.1"}, Params: sip.NewParams()}
		to.Params.Add("tag", "callee-tag")
		req.AppendHeader(to)
		req.AppendHeader(&sip.RouteHeader{Address: ourRoute})
		if method == sip.REFER {
			req.AppendHeader(sip.NewHeader("Refer-To", "<sip:1003@127.0.0.1>"))
		}
		if method == sip.NOTIFY {
			req.AppendHeader(sip.NewHeader("Event", "refer"))
			req.AppendHeader(sip.NewHeader("Subscription-State", "active"))
		}
		res := caller.do(req)
		if res.StatusCode >= 300 {
			t.Fatalf("%s: %s", method, res.StartLine())
		}
		in := receive(t, got, string(method)+" at callee")
		// §16.4: our Route removed; Request-URI kept.
		if rt := in.Route(); rt != nil {
			t.Errorf("%s at callee still has Route %v", method, rt)
		}
		if in.Recipient.Port != callee.port {
			t.Errorf("%s Request-URI = %s", method, in.Recipient.String())
		}
		if vias := in.GetHeaders("Via"); len(vias) != 2 {
			t.Errorf("%s did not go through the proxy: Vias %v", method, vias)
		}
	}

	// A strict router before us put our URI in the Request-URI and the
	// remote target last in Route (§16.4): we restore the target.
	req := newRequest(sip.BYE, ourRoute, "1001")
	to := &sip.ToHeader{Address: sip.Uri{Scheme: "sip", User: "1002", Host: "127.0.0.1"}, Params: sip.NewParams()}
	to.Params.Add("tag", "callee-tag")
	req.AppendHeader(to)
	req.AppendHeader(&sip.RouteHeader{Address: callee.contact("1002")})
	req.SetDestination(r.Addr()) // sipgo would follow the Route itself
	if res := caller.do(req); res.StatusCode != sip.StatusOK {
		t.Fatalf("strict-routed BYE: %s", res.StartLine())
	}
	in := receive(t, got, "strict-routed BYE at callee")
	if in.Recipient.Port != callee.port || in.Route() != nil {
		t.Errorf("strict-routed BYE arrived as %s with Route %v", in.Recipient.String(), in.Route())
	}
}

// An INVITE over TCP to a callee on UDP: double Record-Route (RFC 5658),
// the failure relayed back, and the hop-by-hop ACK of that failure kept
// away from the callee.
func TestProxyTCPToUDPAndFailureACK(t *testing.T) {
	r := startRegistrar(t, Config{DisableInviteChallenge: true})
	invites := make(chan *sip.Request, 2)
	acks := make(chan *sip.Request, 2)
	callee := newRawUA(t, "1002", func(s *sipgo.Server) {
		s.OnInvite(capture(invites, sip.StatusBusyHere))
		s.OnAck(capture(acks, 0))
		s.OnMessage(capture(make(chan *sip.Request, 1), sip.StatusOK))
	})
	callee.register(r, "1002", 300)

	ua, err := sipgo.NewUA(sipgo.WithUserAgent("1001"), sipgo.WithUserAgentHostname("127.0.0.1"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { closeUA(ua) })
	client, err := sipgo.NewClient(ua)
	if err != nil {
		t.Fatal(err)
	}
	target := userURI(t, r, "1002")
	target.UriParams = sip.HeaderParams{{K: "transport", V: "tcp"}}
	req := newRequest(sip.INVITE, target, "1001")
	req.SetTransport("TCP")
	req.AppendHeader(&sip.ContactHeader{Address: sip.Uri{Scheme: "sip", User: "1001", Host: "127.0.0.1", Port: 5999, UriParams: sip.HeaderParams{{K: "transport", V: "tcp"}}}})
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	res, err := client.Do(ctx, req)
	if err != nil {
		t.Fatalf("INVITE over TCP: %v", err)
	}
	if res.StatusCode != sip.StatusBusyHere {
		t.Fatalf("INVITE over TCP: %s, want the callee's 486", res.StartLine())
	}
	in := receive(t, invites, "INVITE at callee")
	rrs := in.GetHeaders("Record-Route")
	if len(rrs) != 2 || !strings.Contains(rrs[0].Value(), "transport=udp") || !strings.Contains(rrs[1].Value(), "transport=tcp") {
		t.Errorf("Record-Route at callee = %v, want udp (callee side) then tcp (caller side)", rrs)
	}
	// Our client ACKed the 486 (sipgo absorbs it in the transaction); the
	// caller's ACK must not be forwarded as a stray one.
	select {
	case ack := <-acks:
		t.Fatalf("callee got a stray ACK through the proxy: %s", ack.StartLine())
	case <-time.After(300 * time.Millisecond):
	}

	// REGISTER over TCP: the binding remembers the transport.
	reg := newRequest(sip.REGISTER, regURI(t, r), "1001")
	reg.SetTransport("TCP")
	reg.Recipient.UriParams = sip.HeaderParams{{K: "transport", V: "tcp"}}
	reg.AppendHeader(&sip.ToHeader{Address: sip.Uri{Scheme: "sip", User: "1001", Host: "127.0.0.1"}, Params: sip.NewParams()})
	reg.AppendHeader(&sip.ContactHeader{Address: sip.Uri{Scheme: "sip", User: "1001", Host: "127.0.0.1", Port: 5999, UriParams: sip.HeaderParams{{K: "transport", V: "tcp"}}}})
	if res, err = client.Do(ctx, reg); err == nil && res.StatusCode == sip.StatusUnauthorized {
		res, err = client.DoDigestAuth(ctx, reg, res, digestAuth("1001"))
	}
	if err != nil || res.StatusCode != sip.StatusOK {
		t.Fatalf("REGISTER over TCP: %v %v", res, err)
	}
	found := false
	for _, b := range r.Bindings() {
		if b.User == "1001" {
			found = b.Transport == "TCP"
		}
	}
	if !found {
		t.Errorf("no TCP binding for 1001: %+v", r.Bindings())
	}

	// 20 KB, far above sipgo's default 1,300-byte UDP cap: relayed over
	// UDP to the callee and answered (udpsize.go), not refused with 513.
	big := newRequest(sip.MESSAGE, target, "1001")
	big.SetTransport("TCP")
	big.AppendHeader(sip.NewHeader("Content-Type", "text/plain"))
	big.SetBody([]byte(strings.Repeat("x", 20000)))
	res, err = client.Do(ctx, big)
	if err != nil {
		t.Fatalf("big MESSAGE over TCP: %v", err)
	}
	if res.StatusCode != sip.StatusOK {
		t.Fatalf("big MESSAGE: %s, want 200 from the callee", res.StartLine())
	}
}

func TestProxyErrors(t *testing.T) {
	r := startRegistrar(t, Config{DisableInviteChallenge: true})
	u := newRawUA(t, "1001")

	// 1003 registers the registrar's own address: forwarding would loop.
	loopReq := u.newRegister(r, "1003", 300)
	loopReq.ReplaceHeader(&sip.ContactHeader{Address: userURI(t, r, "1003")})
	if res := u.doAuth(loopReq, "1003", testUsers["1003"]); res.StatusCode != sip.StatusOK {
		t.Fatalf("REGISTER 1003: %s", res.StartLine())
	}

	tel := sip.Uri{Scheme: "tel"}
	_ = sip.ParseUri("tel:+15551234", &tel)
	tests := []struct {
		name   string
		req    func() *sip.Request
		status int
	}{
		{"max-forwards 0", func() *sip.Request {
			req := newRequest(sip.MESSAGE, userURI(t, r, "1002"), "1001")
			mf := sip.MaxForwardsHeader(0)
			req.AppendHeader(&mf)
			return req
		}, sip.StatusTooManyHops},
		{"tel URI", func() *sip.Request { return newRequest(sip.MESSAGE, tel, "1001") }, 416},
		{"loop to ourselves", func() *sip.Request { return newRequest(sip.MESSAGE, userURI(t, r, "1003"), "1001") }, sip.StatusLoopDetected},
		{"unknown user", func() *sip.Request { return newRequest(sip.MESSAGE, userURI(t, r, "4242"), "1001") }, sip.StatusNotFound},
		{"not registered", func() *sip.Request { return newRequest(sip.MESSAGE, userURI(t, r, "1002"), "1001") }, sip.StatusTemporarilyUnavailable},
		{"realm as domain", func() *sip.Request {
			return newRequest(sip.MESSAGE, sip.Uri{Scheme: "sip", User: "1002", Host: DefaultRealm}, "1001")
		}, sip.StatusTemporarilyUnavailable},
		{"OPTIONS to the registrar", func() *sip.Request { return newRequest(sip.OPTIONS, regURI(t, r), "1001") }, sip.StatusOK},
		{"INVITE to the registrar", func() *sip.Request { return newRequest(sip.INVITE, regURI(t, r), "1001") }, sip.StatusNotFound},
		{"unmatched CANCEL", func() *sip.Request { return newRequest(sip.CANCEL, userURI(t, r, "1002"), "1001") }, sip.StatusCallTransactionDoesNotExists},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			req := tt.req()
			req.SetDestination(r.Addr()) // whatever the Request-URI says
			res := u.do(req)
			if res.StatusCode != tt.status {
				t.Fatalf("got %s, want %d", res.StartLine(), tt.status)
			}
			if tt.status == sip.StatusOK {
				if h := res.GetHeader("Allow"); h == nil || !strings.Contains(h.Value(), "INVITE") {
					t.Errorf("OPTIONS answer without Allow: %v", h)
				}
			}
		})
	}
}

// rawExchange sends one datagram to the registrar and returns the answer,
// or nil when none comes within wait.
func rawExchange(t *testing.T, r *Registrar, msg string, wait time.Duration) *sip.Response {
	t.Helper()
	conn, err := net.ListenUDP("udp", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	raddr, err := net.ResolveUDPAddr("udp", r.Addr())
	if err != nil {
		t.Fatal(err)
	}
	msg = strings.ReplaceAll(msg, "$LOCAL", conn.LocalAddr().String())
	msg = strings.ReplaceAll(msg, "$REG", r.Addr())
	if _, err := conn.WriteToUDP([]byte(msg), raddr); err != nil {
		t.Fatal(err)
	}
	buf := make([]byte, 65535)
	for {
		conn.SetReadDeadline(time.Now().Add(wait))
		n, _, err := conn.ReadFromUDP(buf)
		if err != nil {
			return nil
		}
		m, err := sip.NewParser().ParseSIP(buf[:n])
		if err != nil {
			t.Fatalf("unparsable answer %q: %v", buf[:n], err)
		}
		if res, ok := m.(*sip.Response); ok && res.StatusCode >= 200 {
			return res
		}
	}
}

func TestMalformedRequests(t *testing.T) {
	r := startRegistrar(t, Config{})
	msg := func(lines ...string) string { return strings.Join(lines, "\r\n") + "\r\n\r\n" }
	tests := []struct {
		name string
		msg  string
		want int // 0: no answer
	}{
		{"garbage", "\x00\x01garbage\r\n\r\n", 0},
		{"no From", msg("MESSAGE sip:1002@$REG SIP/2.0", "Via: SIP/2.0/UDP $LOCAL;branch=z9hG4bK-nofrom",
			"To: <sip:1002@$REG>", "Call-ID: nofrom", "CSeq: 1 MESSAGE", "Content-Length: 0"), sip.StatusBadRequest},
		{"CSeq method mismatch", msg("MESSAGE sip:1002@$REG SIP/2.0", "Via: SIP/2.0/UDP $LOCAL;branch=z9hG4bK-cseq",
			"From: <sip:1001@$REG>;tag=a", "To: <sip:1002@$REG>", "Call-ID: cseq", "CSeq: 1 INVITE", "Content-Length: 0"), sip.StatusBadRequest},
		{"no CSeq", msg("OPTIONS sip:$REG SIP/2.0", "Via: SIP/2.0/UDP $LOCAL;branch=z9hG4bK-nocseq",
			"From: <sip:1001@$REG>;tag=a", "To: <sip:$REG>", "Call-ID: nocseq", "Content-Length: 0"), sip.StatusBadRequest},
		{"REGISTER without user", msg("REGISTER sip:$REG SIP/2.0", "Via: SIP/2.0/UDP $LOCAL;branch=z9hG4bK-nouser",
			"From: <sip:$REG>;tag=a", "To: <sip:$REG>", "Call-ID: nouser", "CSeq: 1 REGISTER", "Contact: <sip:x@$LOCAL>", "Content-Length: 0"), sip.StatusBadRequest},
		{"bad digest header", msg("REGISTER sip:$REG SIP/2.0", "Via: SIP/2.0/UDP $LOCAL;branch=z9hG4bK-baddigest",
			"From: <sip:1001@$REG>;tag=a", "To: <sip:1001@$REG>", "Call-ID: baddigest", "CSeq: 1 REGISTER",
			`Authorization: Digest username="1001", realm="phonesim", nonce="zz", uri=`, "Contact: <sip:1001@$LOCAL>", "Content-Length: 0"), sip.StatusUnauthorized},
		{"malformed Expires", msg("REGISTER sip:$REG SIP/2.0", "Via: SIP/2.0/UDP $LOCAL;branch=z9hG4bK-badexp",
			"From: <sip:1001@$REG>;tag=a", "To: <sip:1001@$REG>", "Call-ID: badexp", "CSeq: 1 REGISTER",
			"Expires: soon", "Contact: <sip:1001@$LOCAL>;expires=-1", "Content-Length: 0"), sip.StatusUnauthorized},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			wait := time.Second
			if tt.want == 0 {
				wait = 200 * time.Millisecond
			}
			res := rawExchange(t, r, tt.msg, wait)
			switch {
			case tt.want == 0 && res != nil:
				t.Fatalf("answered %s, want silence", res.StartLine())
			case tt.want != 0 && res == nil:
				t.Fatalf("no answer, want %d", tt.want)
			case tt.want != 0 && res.StatusCode != tt.want:
				t.Fatalf("got %s, want %d", res.StartLine(), tt.want)
			}
		})
	}
	// Still serving.
	res := rawExchange(t, r, msg("OPTIONS sip:$REG SIP/2.0", "Via: SIP/2.0/UDP $LOCAL;branch=z9hG4bK-alive",
		"From: <sip:1001@$REG>;tag=a", "To: <sip:$REG>", "Call-ID: alive", "CSeq: 1 OPTIONS", "Max-Forwards: 70", "Content-Length: 0"), time.Second)
	if res == nil || res.StatusCode != sip.StatusOK {
		t.Fatalf("registrar not answering after malformed input: %v", res)
	}
}
