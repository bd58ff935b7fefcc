package registrar

import (
	"strings"
	"testing"
	"time"

	"github.com/emiago/sipgo/sip"
	"github.com/icholy/digest"
)

func TestRegisterChallengeThenOK(t *testing.T) {
	r := startRegistrar(t, Config{})
	u := newRawUA(t, "1001")

	// First REGISTER without credentials: 401 with a digest challenge.
	req := u.newRegister(r, "1001", 300)
	res := u.do(req)
	if res.StatusCode != sip.StatusUnauthorized {
		t.Fatalf("first REGISTER: got %s, want 401", res.StartLine())
	}
	h := res.GetHeader("WWW-Authenticate")
	if h == nil {
		t.Fatal("401 without WWW-Authenticate")
	}
	chal, err := digest.ParseChallenge(h.Value())
	if err != nil {
		t.Fatalf("challenge %q: %v", h.Value(), err)
	}
	if chal.Realm != DefaultRealm || chal.Nonce == "" || !chal.SupportsQOP("auth") || chal.Algorithm != "MD5" {
		t.Errorf("challenge = %+v, want realm phonesim, a nonce, qop auth, MD5", chal)
	}
	if len(r.Bindings()) != 0 {
		t.Errorf("binding created before authentication: %v", r.Bindings())
	}

	// Answer the challenge: 200 listing the contact with its expiry.
	res, err = u.client.DoDigestAuth(t.Context(), req, res, digestAuth("1001"))
	if err != nil {
		t.Fatal(err)
	}
	if res.StatusCode != sip.StatusOK {
		t.Fatalf("REGISTER with credentials: got %s, want 200", res.StartLine())
	}
	c := res.Contact()
	if c == nil || c.Address.Port != u.port || c.Address.User != "1001" {
		t.Fatalf("200 Contact = %v, want our contact", c)
	}
	if exp, _ := c.Params.Get("expires"); exp != "300" {
		t.Errorf("Contact expires = %q, want 300", exp)
	}
	if h := res.GetHeader("Expires"); h == nil || h.Value() != "300" {
		t.Errorf("Expires header = %v, want 300", h)
	}
	bs := r.Bindings()
	if len(bs) != 1 || bs[0].User != "1001" || !strings.Contains(bs[0].Contact, u.addr) || bs[0].Transport != "UDP" {
		t.Fatalf("Bindings = %+v, want 1001 at %s over UDP", bs, u.addr)
	}
	if left := time.Until(bs[0].Expires); left < 290*time.Second || left > 300*time.Second {
		t.Errorf("binding expires in %v, want about 300s", left)
	}
}

func TestRegisterRejections(t *testing.T) {
	r := startRegistrar(t, Config{MinExpires: time.Minute})
	u := newRawUA(t, "1001")

	tests := []struct {
		name       string
		to, auth   string // AOR user; credentials user
		password   string
		expires    int
		wantStatus int
	}{
		// Our choice, like Asterisk chan_sip and FreeSWITCH (see handleRegister).
		{"wrong password", "1001", "1001", "not-the-password", 300, sip.StatusForbidden},
		{"unknown user", "9999", "9999", "whatever", 300, sip.StatusNotFound},
		// RFC 3261 §10.3 step 4: authenticated as someone else.
		{"other user's binding", "1002", "1001", testUsers["1001"], 300, sip.StatusForbidden},
		// §10.3 step 7: 423 below Min-Expires.
		{"interval too brief", "1001", "1001", testUsers["1001"], 30, sip.StatusIntervalToBrief},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res := u.doAuth(u.newRegister(r, tt.to, tt.expires), tt.auth, tt.password)
			if res.StatusCode != tt.wantStatus {
				t.Fatalf("got %s, want %d", res.StartLine(), tt.wantStatus)
			}
			if tt.wantStatus == sip.StatusIntervalToBrief {
				if h := res.GetHeader("Min-Expires"); h == nil || h.Value() != "60" {
					t.Errorf("Min-Expires = %v, want 60", h)
				}
			}
			if bs := r.Bindings(); len(bs) != 0 {
				t.Errorf("rejected REGISTER left bindings %+v", bs)
			}
		})
	}
}

func TestRegisterExpiryAndUnregister(t *testing.T) {
	clock := newFakeClock()
	r := startRegistrar(t, Config{}, WithClock(clock.Now))
	u := newRawUA(t, "1001")

	u.register(r, "1001", 60)
	if n := len(r.Bindings()); n != 1 {
		t.Fatalf("%d bindings after REGISTER, want 1", n)
	}
	clock.Advance(59 * time.Second)
	if n := len(r.Bindings()); n != 1 {
		t.Fatalf("%d bindings after 59 s of 60, want 1", n)
	}
	clock.Advance(2 * time.Second)
	if bs := r.Bindings(); len(bs) != 0 {
		t.Fatalf("binding outlived its expiry: %+v", bs)
	}

	// Register again, then remove the binding with Expires: 0.
	u.register(r, "1001", 60)
	res := u.register(r, "1001", 0)
	if res.Contact() != nil {
		t.Errorf("200 to unregister still lists %v", res.Contact())
	}
	if bs := r.Bindings(); len(bs) != 0 {
		t.Fatalf("Expires: 0 left %+v", bs)
	}
}

func TestRegisterContactExpiresParamWins(t *testing.T) {
	r := startRegistrar(t, Config{MaxExpires: 10 * time.Minute})
	u := newRawUA(t, "1001")

	// RFC 3261 §10.3 step 7: the Contact "expires" parameter overrides the
	// Expires header, and the registrar may shorten what is asked.
	req := u.newRegister(r, "1001", 3600)
	req.Contact().Params = sip.HeaderParams{{K: "expires", V: "120"}}
	second := &sip.ContactHeader{Address: u.contact("1001b")}
	req.AppendHeader(second)
	res := u.doAuth(req, "1001", testUsers["1001"])
	if res.StatusCode != sip.StatusOK {
		t.Fatalf("got %s", res.StartLine())
	}
	got := map[string]string{}
	for _, h := range res.GetHeaders("Contact") {
		c := h.(*sip.ContactHeader)
		got[c.Address.User], _ = c.Params.Get("expires")
	}
	want := map[string]string{"1001": "120", "1001b": "600"}
	for k, v := range want {
		if got[k] != v {
			t.Errorf("contact %s expires=%q, want %q (all: %v)", k, got[k], v, got)
		}
	}
}

func TestRegisterWildcardAndQuery(t *testing.T) {
	r := startRegistrar(t, Config{})
	a := newRawUA(t, "1001")
	b := newRawUA(t, "1001")
	a.register(r, "1001", 300)
	b.register(r, "1001", 300)
	if n := len(r.Bindings()); n != 2 {
		t.Fatalf("%d bindings for two phones, want 2", n)
	}

	// A REGISTER without Contact queries the bindings (§10.2.3).
	req := a.newRegister(r, "1001", -1)
	req.RemoveHeader("Contact")
	res := a.doAuth(req, "1001", testUsers["1001"])
	if res.StatusCode != sip.StatusOK || len(res.GetHeaders("Contact")) != 2 {
		t.Fatalf("query: %s with %d contacts, want 200 with 2", res.StartLine(), len(res.GetHeaders("Contact")))
	}

	// "Contact: *" needs Expires: 0 (§10.3 step 6).
	bad := a.newRegister(r, "1001", 300)
	bad.RemoveHeader("Contact")
	bad.AppendHeader(&sip.ContactHeader{Address: sip.Uri{Wildcard: true, Host: "*"}})
	if res := a.doAuth(bad, "1001", testUsers["1001"]); res.StatusCode != sip.StatusBadRequest {
		t.Fatalf("wildcard with Expires 300: got %s, want 400", res.StartLine())
	}
	all := a.newRegister(r, "1001", 0)
	all.RemoveHeader("Contact")
	all.AppendHeader(&sip.ContactHeader{Address: sip.Uri{Wildcard: true, Host: "*"}})
	if res := a.doAuth(all, "1001", testUsers["1001"]); res.StatusCode != sip.StatusOK {
		t.Fatalf("wildcard unregister: got %s, want 200", res.StartLine())
	}
	if bs := r.Bindings(); len(bs) != 0 {
		t.Fatalf("wildcard left %+v", bs)
	}
}

func TestRegisterStaleNonce(t *testing.T) {
	clock := newFakeClock()
	r := startRegistrar(t, Config{}, WithClock(clock.Now), WithNonceLifetime(time.Minute))
	u := newRawUA(t, "1001")
	req := u.newRegister(r, "1001", 300)
	chal := u.do(req)
	clock.Advance(2 * time.Minute)
	res, err := u.client.DoDigestAuth(t.Context(), req, chal, digestAuth("1001"))
	if err != nil {
		t.Fatal(err)
	}
	// RFC 2617 §3.2.1: right password, old nonce -> new challenge, stale=true.
	if res.StatusCode != sip.StatusUnauthorized {
		t.Fatalf("old nonce: got %s, want 401", res.StartLine())
	}
	if h := res.GetHeader("WWW-Authenticate"); h == nil || !strings.Contains(h.Value(), "stale=true") {
		t.Fatalf("401 after stale nonce lacks stale=true: %v", h)
	}
	res, err = u.client.DoDigestAuth(t.Context(), req, res, digestAuth("1001"))
	if err != nil || res.StatusCode != sip.StatusOK {
		t.Fatalf("fresh nonce: %v %v", res, err)
	}
}

func TestRegisterOutOfOrderCSeq(t *testing.T) {
	r := startRegistrar(t, Config{})
	u := newRawUA(t, "1001")
	req := u.newRegister(r, "1001", 300)
	if res := u.doAuth(req, "1001", testUsers["1001"]); res.StatusCode != sip.StatusOK {
		t.Fatalf("got %s", res.StartLine())
	}
	// Same Call-ID, lower CSeq: "the update MUST be aborted and the request
	// fails" (§10.3 step 7).
	old := u.newRegister(r, "1001", 0)
	callID := sip.CallIDHeader(req.CallID().Value())
	old.AppendHeader(&callID)
	old.AppendHeader(&sip.CSeqHeader{SeqNo: req.CSeq().SeqNo - 5, MethodName: sip.REGISTER})
	res := u.doAuth(old, "1001", testUsers["1001"])
	// DoDigestAuth increments CSeq once; it is still not above the binding's.
	if res.StatusCode != sip.StatusBadRequest {
		t.Fatalf("stale CSeq: got %s, want 400", res.StartLine())
	}
	if n := len(r.Bindings()); n != 1 {
		t.Fatalf("out-of-order unregister removed the binding")
	}
}

func TestRegisterOpenRegistrar(t *testing.T) {
	r := startRegistrar(t, Config{Users: map[string]string{}})
	u := newRawUA(t, "anyone")
	res := u.do(u.newRegister(r, "anyone", 120))
	if res.StatusCode != sip.StatusOK {
		t.Fatalf("open registrar: got %s, want 200 without challenge", res.StartLine())
	}
	if bs := r.Bindings(); len(bs) != 1 || bs[0].User != "anyone" {
		t.Fatalf("Bindings = %+v", bs)
	}
}

func TestRegisterMalformedExpiresMeans3600(t *testing.T) {
	r := startRegistrar(t, Config{Users: map[string]string{}})
	u := newRawUA(t, "anyone")
	// RFC 3261 §20.19: a malformed Expires "SHOULD be treated as equivalent
	// to 3600"; the same for a malformed expires parameter.
	req := u.newRegister(r, "anyone", -1)
	req.AppendHeader(sip.NewHeader("Expires", "soon"))
	req.Contact().Params = sip.HeaderParams{{K: "Expires", V: "-1"}}
	res := u.do(req)
	if res.StatusCode != sip.StatusOK {
		t.Fatalf("got %s", res.StartLine())
	}
	if exp, _ := res.Contact().Params.Get("expires"); exp != "3600" {
		t.Fatalf("granted %q, want 3600", exp)
	}
}
