package registrar

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/emiago/diago"
	"github.com/emiago/sipgo"
	"github.com/emiago/sipgo/sip"
)

// Calls between two diago phones registered at the registrar: the path the
// emulated phones take.

// answering returns an answer function that rings, answers, and then either
// waits for the caller's BYE or, when hangup is closed, hangs up itself and
// reports the outcome of its BYE on answered.
func answering(p **phone, hangup <-chan struct{}, answered chan<- error) func(d *diago.DialogServerSession) {
	return func(d *diago.DialogServerSession) {
		if err := d.Ringing(); err != nil {
			answered <- err
			return
		}
		_, err := d.Answer(diago.AnswerOptions{}) // returns once the ACK came
		answered <- err
		if err != nil {
			return
		}
		select {
		case <-d.Context().Done(): // BYE from the caller
		case <-hangup:
			ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
			defer cancel()
			answered <- d.Hangup(ctx)
		case <-(*p).ctx.Done():
		}
	}
}

func TestCallThroughRegistrar(t *testing.T) {
	for _, hangupBy := range []string{"caller", "callee"} {
		t.Run("hangup by "+hangupBy, func(t *testing.T) {
			r := startRegistrar(t, Config{})
			var callee *phone
			hangup := make(chan struct{})
			answered := make(chan error, 1)
			callee = newPhone(t, "1002", answering(&callee, hangup, answered))
			callee.register(r, testUsers["1002"])
			caller := newPhone(t, "1001", nil)
			caller.register(r, testUsers["1001"])

			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			defer cancel()
			// The INVITE is challenged with 407; diago answers it.
			d, _, err := caller.dg.Invite(ctx, userURI(t, r, "1002"), diago.InviteOptions{Username: "1001", Password: testUsers["1001"]})
			if err != nil {
				t.Fatalf("INVITE 1002 through the registrar: %v", err)
			}
			defer d.Close()
			if err := <-answered; err != nil {
				t.Fatalf("callee answer (waits for the ACK): %v", err)
			}
			in := callee.waitCall(time.Second)

			// The callee got the INVITE through the proxy: our Via on top,
			// Record-Route naming the registrar, Max-Forwards decremented,
			// and the caller's credentials consumed.
			if rr := in.InviteRequest.RecordRoute(); rr == nil || rr.Address.HostPort() != r.Addr() || !rr.Address.UriParams.Has("lr") {
				t.Errorf("Record-Route at callee = %v, want <sip:%s;lr>", rr, r.Addr())
			}
			if vias := in.InviteRequest.GetHeaders("Via"); len(vias) != 2 || !strings.Contains(vias[0].Value(), r.Addr()) {
				t.Errorf("Vias at callee = %v, want registrar then caller", vias)
			}
			if mf := in.InviteRequest.MaxForwards(); mf == nil || mf.Val() != 69 {
				t.Errorf("Max-Forwards at callee = %v, want 69", mf)
			}
			if h := in.InviteRequest.GetHeader("Proxy-Authorization"); h != nil {
				t.Errorf("callee saw the caller's credentials: %v", h)
			}
			if from := in.InviteRequest.From().Address.User; from != "1001" {
				t.Errorf("callee sees caller %q, want 1001", from)
			}
			// The 200 OK came back with the Record-Route, so BYE goes via us.
			if rr := d.InviteResponse.RecordRoute(); rr == nil || rr.Address.HostPort() != r.Addr() {
				t.Errorf("Record-Route in 200 at caller = %v", rr)
			}

			// Hold and resume: re-INVITEs along the route set, through us.
			if err := d.Hold(ctx); err != nil {
				t.Fatalf("re-INVITE (hold) through the registrar: %v", err)
			}
			if err := d.Unhold(ctx); err != nil {
				t.Fatalf("re-INVITE (unhold) through the registrar: %v", err)
			}

			switch hangupBy {
			case "caller":
				if err := d.Hangup(ctx); err != nil {
					t.Fatalf("caller BYE: %v", err)
				}
				waitDone(t, in.Context(), "callee dialog after caller's BYE")
			case "callee":
				if err := context.Cause(d.Context()); err != nil {
					t.Fatalf("caller dialog ended before hangup: %v", err)
				}
				close(hangup)
				if err := <-answered; err != nil {
					t.Fatalf("callee BYE: %v", err)
				}
				waitDone(t, d.Context(), "caller dialog after callee's BYE")
			}
		})
	}
}

func TestCallCancelBeforeAnswer(t *testing.T) {
	r := startRegistrar(t, Config{})
	ringing := make(chan struct{})
	cause := ringingCallee(t, r)
	caller := newPhone(t, "1001", nil)
	caller.register(r, testUsers["1001"])

	d, err := caller.dg.NewDialog(userURI(t, r, "1002"), diago.NewDialogOptions{})
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go func() {
		select {
		case <-ringing:
			cancel() // hang up while it rings: diago sends CANCEL
		case <-time.After(10 * time.Second):
			cancel()
		}
	}()
	_, err = d.Invite(ctx, diago.InviteClientOptions{
		Username: "1001", Password: testUsers["1001"],
		OnResponse: func(res *sip.Response) error {
			if res.StatusCode == sip.StatusRinging {
				close(ringing)
			}
			return nil
		},
	})
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("cancelled INVITE returned %v, want context.Canceled", err)
	}
	if d.InviteResponse == nil || d.InviteResponse.StatusCode != sip.StatusRequestTerminated {
		t.Fatalf("caller's final response = %v, want 487", d.InviteResponse)
	}
	select {
	case err := <-cause:
		if !errors.Is(err, sip.ErrTransactionCanceled) {
			t.Fatalf("callee's call ended with %v, want the CANCEL (%v)", err, sip.ErrTransactionCanceled)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("callee never saw the CANCEL")
	}
}

// Timer C (RFC 3261 §16.8): a call that rings too long is cancelled towards
// the callee and answered 408 to the caller.
func TestCallRingTimeout(t *testing.T) {
	r := startRegistrar(t, Config{}, WithRingTimeout(300*time.Millisecond))
	cause := ringingCallee(t, r)
	caller := newPhone(t, "1001", nil)
	caller.register(r, testUsers["1001"])

	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	start := time.Now()
	_, _, err := caller.dg.Invite(ctx, userURI(t, r, "1002"), diago.InviteOptions{Username: "1001", Password: testUsers["1001"]})
	var resErr *sipgo.ErrDialogResponse
	if !errors.As(err, &resErr) || resErr.Res.StatusCode != sip.StatusRequestTimeout {
		t.Fatalf("INVITE ringing past Timer C: %v, want 408", err)
	}
	if d := time.Since(start); d > 5*time.Second {
		t.Errorf("408 after %v, Timer C was 300ms", d)
	}
	select {
	case err := <-cause:
		if !errors.Is(err, sip.ErrTransactionCanceled) {
			t.Fatalf("callee's call ended with %v, want a CANCEL", err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("callee never saw the CANCEL")
	}
}

func TestCallUnknownAndUnregistered(t *testing.T) {
	r := startRegistrar(t, Config{})
	caller := newPhone(t, "1001", nil)
	caller.register(r, testUsers["1001"])

	for _, tt := range []struct {
		user string
		want int
	}{
		{"9999", sip.StatusNotFound},               // no such account
		{"1003", sip.StatusTemporarilyUnavailable}, // an account, not registered
		{"", sip.StatusNotFound},                   // the registrar itself
	} {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		_, _, err := caller.dg.Invite(ctx, userURI(t, r, tt.user), diago.InviteOptions{Username: "1001", Password: testUsers["1001"]})
		cancel()
		var resErr *sipgo.ErrDialogResponse
		if !errors.As(err, &resErr) || resErr.Res.StatusCode != tt.want {
			t.Errorf("INVITE %q: err %v, want a %d response", tt.user, err, tt.want)
		}
	}
}

func TestInviteChallenge(t *testing.T) {
	r := startRegistrar(t, Config{})
	callee := newRawUA(t, "1002")
	callee.register(r, "1002", 300)
	u := newRawUA(t, "1001")

	invite := func(from string) *sip.Request {
		req := sip.NewRequest(sip.INVITE, userURI(t, r, "1002"))
		f := &sip.FromHeader{Address: sip.Uri{Scheme: "sip", User: from, Host: "127.0.0.1"}, Params: sip.NewParams()}
		f.Params.Add("tag", sip.GenerateTagN(10))
		req.AppendHeader(f)
		req.AppendHeader(&sip.ContactHeader{Address: u.contact(from)})
		return req
	}
	// No credentials: 407 with Proxy-Authenticate (RFC 3261 §22.3).
	res := u.do(invite("1001"))
	if res.StatusCode != sip.StatusProxyAuthRequired || res.GetHeader("Proxy-Authenticate") == nil {
		t.Fatalf("INVITE without credentials: %s, want 407 with Proxy-Authenticate", res.StartLine())
	}
	// Wrong password: 403. Right password in someone else's name: 403.
	if res := u.doAuth(invite("1001"), "1001", "wrong"); res.StatusCode != sip.StatusForbidden {
		t.Errorf("wrong password: %s, want 403", res.StartLine())
	}
	if res := u.doAuth(invite("1003"), "1001", testUsers["1001"]); res.StatusCode != sip.StatusForbidden {
		t.Errorf("From 1003 authenticated as 1001: %s, want 403", res.StartLine())
	}
	// With DisableInviteChallenge the INVITE goes straight through (the
	// raw callee has no INVITE handler: sipgo answers 405).
	r2 := startRegistrar(t, Config{DisableInviteChallenge: true})
	callee.register(r2, "1002", 300)
	req := invite("1001")
	req.Recipient = userURI(t, r2, "1002")
	if res := u.do(req); res.StatusCode != sip.StatusMethodNotAllowed {
		t.Errorf("unchallenged INVITE: %s, want the callee's 405", res.StartLine())
	}
}

func TestRestartOnSameAddress(t *testing.T) {
	r := startRegistrar(t, Config{})
	addr := r.Addr()
	p := newPhone(t, "1002", nil)
	p.register(r, testUsers["1002"])
	if len(r.Bindings()) != 1 {
		t.Fatal("no binding")
	}

	if err := r.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}
	if err := r.Close(); err != nil {
		t.Fatalf("second Close: %v", err)
	}
	if len(r.Bindings()) != 0 {
		t.Error("bindings survived the restart of an in-memory registrar")
	}
	// Registering now fails: nobody listens.
	ctx, cancel := context.WithTimeout(context.Background(), 500*time.Millisecond)
	tx, err := p.dg.RegisterTransaction(ctx, regURI(t, r), diago.RegisterOptions{Username: "1002", Password: testUsers["1002"]})
	if err == nil {
		err = tx.Register(ctx)
	}
	cancel()
	if err == nil {
		t.Fatal("REGISTER succeeded with the registrar closed")
	}

	// Same object again: same address, port 0 included.
	if err := r.Start(context.Background()); err != nil {
		t.Fatalf("restart: %v", err)
	}
	if r.Addr() != addr {
		t.Fatalf("restarted on %s, want %s", r.Addr(), addr)
	}
	p.register(r, testUsers["1002"])
	if len(r.Bindings()) != 1 {
		t.Fatal("no binding after restart")
	}
	r.Close()

	// A new registrar on the address of the old one.
	r2 := startRegistrar(t, Config{Listen: addr})
	if r2.Addr() != addr {
		t.Fatalf("new registrar on %s, want %s", r2.Addr(), addr)
	}
	p.register(r2, testUsers["1002"])

	// Stopping through the context of Start works too.
	r3, err := New(Config{Listen: "127.0.0.1:0", Users: testUsers, Logger: testLogger()})
	if err != nil {
		t.Fatal(err)
	}
	sctx, scancel := context.WithCancel(context.Background())
	if err := r3.Start(sctx); err != nil {
		t.Fatal(err)
	}
	scancel()
	deadline := time.Now().Add(2 * time.Second)
	for {
		if err := r3.Start(context.Background()); err == nil {
			break // it had stopped, so it could start again
		}
		if time.Now().After(deadline) {
			t.Fatal("registrar still running after its Start context was cancelled")
		}
		time.Sleep(10 * time.Millisecond)
	}
	r3.Close()
}

func waitDone(t *testing.T, ctx context.Context, what string) {
	t.Helper()
	select {
	case <-ctx.Done():
	case <-time.After(5 * time.Second):
		t.Fatalf("%s: still up after 5s", what)
	}
}

// ringingCallee registers 1002 as a phone that rings on every call and
// never answers; cause gets why the call ended at its side.
func ringingCallee(t *testing.T, r *Registrar) (cause chan error) {
	t.Helper()
	var callee *phone
	cause = make(chan error, 1)
	callee = newPhone(t, "1002", func(d *diago.DialogServerSession) {
		if err := d.Ringing(); err != nil {
			cause <- err
			return
		}
		select {
		case <-d.Context().Done():
			cause <- context.Cause(d.Context())
		case <-callee.ctx.Done():
		}
	})
	callee.register(r, testUsers["1002"])
	return cause
}
