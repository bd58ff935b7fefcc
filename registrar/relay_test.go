package registrar

import (
	"testing"

	"github.com/emiago/sipgo"
	"github.com/emiago/sipgo/sip"
)

// The relay policy (issue 7, item 4), seen from a stranger, from a phone
// registered here and from the host a request would be relayed to.
func TestRelayPolicy(t *testing.T) {
	r := startRegistrar(t, Config{})
	got := make(chan *sip.Request, 8)
	// elsewhere is any host:port on the network: not registered here.
	elsewhere := newRawUA(t, "elsewhere", func(s *sipgo.Server) {
		s.OnOptions(capture(got, sip.StatusOK))
		s.OnMessage(capture(got, sip.StatusOK))
		s.OnBye(capture(got, sip.StatusOK))
	})
	stranger := newRawUA(t, "1001")
	phone := newRawUA(t, "1002")
	phone.register(r, "1002", 300)

	send := func(u *rawUA, method sip.RequestMethod, to sip.Uri, toTag bool) *sip.Response {
		t.Helper()
		req := newRequest(method, to, u.name)
		if toTag {
			th := &sip.ToHeader{Address: to, Params: sip.NewParams()}
			th.Params.Add("tag", "in-dialog")
			req.AppendHeader(th)
		}
		req.SetDestination(r.Addr()) // through the registrar, whatever the Request-URI says
		return u.do(req)
	}
	target := elsewhere.contact("bob")
	for _, tc := range []struct {
		name   string
		from   *rawUA
		method sip.RequestMethod
		to     sip.Uri
		toTag  bool
		status int
	}{
		// Out of dialog, an unregistered sender is challenged (as for
		// INVITE) before anything is relayed.
		{"stranger OPTIONS to any host", stranger, sip.OPTIONS, target, false, sip.StatusProxyAuthRequired},
		{"stranger MESSAGE to any host", stranger, sip.MESSAGE, target, false, sip.StatusProxyAuthRequired},
		// A request posing as in-dialog is not challenged; it is refused.
		{"stranger BYE to any host", stranger, sip.BYE, target, true, sip.StatusForbidden},
		// No DNS for a foreign domain, even for a registered phone.
		{"phone MESSAGE to a foreign domain", phone, sip.MESSAGE, sip.Uri{Scheme: "sip", User: "bob", Host: "phonesim-test.invalid"}, false, sip.StatusNotFound},
	} {
		t.Run(tc.name, func(t *testing.T) {
			res := send(tc.from, tc.method, tc.to, tc.toTag)
			if res.StatusCode != tc.status {
				t.Fatalf("got %s, want %d", res.StartLine(), tc.status)
			}
		})
	}
	select {
	case req := <-got:
		t.Fatalf("a refused request was relayed: %s", req.StartLine())
	default:
	}

	// A phone registered here may reach an address outside the domain
	// (a direct IP call set up through its proxy).
	if res := send(phone, sip.MESSAGE, target, false); res.StatusCode != sip.StatusOK {
		t.Fatalf("registered phone's MESSAGE: %s, want 200", res.StartLine())
	}
	receive(t, got, "MESSAGE from the registered phone")

	// A stranger that authenticates is relayed too.
	req := newRequest(sip.OPTIONS, target, "1001")
	req.SetDestination(r.Addr())
	if res := stranger.doAuth(req, "1001", testUsers["1001"]); res.StatusCode != sip.StatusOK {
		t.Fatalf("authenticated OPTIONS: %s, want 200", res.StartLine())
	}
	receive(t, got, "authenticated OPTIONS")
}
