package peers

import (
	"context"
	"strings"
	"testing"
	"time"
)

func TestKamailioRegistersWithDigest(t *testing.T) {
	t.Parallel()
	k := Kamailio(t, KamailioOptions{Users: map[string]string{"alice": "alice-pw"}})

	good := SIPp(t, SIPpOptions{Scenario: ScenarioRegister, Target: k.Addr(), Service: "alice", AuthPass: "alice-pw"})
	if err := good.Wait(10 * time.Second); err != nil {
		t.Fatalf("REGISTER with the right password: %v", err)
	}
	if msgs := good.Messages(); !strings.Contains(msgs, "SIP/2.0 401") || !strings.Contains(msgs, `Authorization: Digest username="alice"`) {
		t.Fatalf("no digest challenge and answer in:\n%s", msgs)
	}

	bad := SIPp(t, SIPpOptions{Scenario: ScenarioRegister, Target: k.Addr(), Service: "alice", AuthPass: "wrong"})
	if err := bad.Wait(10 * time.Second); err == nil {
		t.Fatal("REGISTER with a wrong password succeeded")
	}
	if !strings.Contains(k.Log(), "request REGISTER sip:"+k.IP) {
		t.Fatalf("kamailio.log does not show the REGISTER:\n%s", k.Log())
	}
}

// A caller from Kamailio's domain must authenticate (407) and reaches the
// registered callee through the proxy, with ACK and BYE along the Route set.
func TestKamailioRoutesAuthenticatedCallToRegisteredUser(t *testing.T) {
	t.Parallel()
	k := Kamailio(t, KamailioOptions{Users: map[string]string{"alice": "a-pw", "bob": "b-pw"}})

	// bob's UAS listens first; a second SIPp registers its address as
	// bob's Contact (binding the UAS's port after the registering SIPp
	// exits could meet that port still taken).
	uas := SIPp(t, SIPpOptions{Scenario: ScenarioAnswer, Service: "bob"})
	reg := SIPp(t, SIPpOptions{Scenario: ScenarioRegister, Target: k.Addr(), Service: "bob", AuthPass: "b-pw",
		Params: map[string]string{"CONTACT": uas.Addr()}})
	if err := reg.Wait(10 * time.Second); err != nil {
		t.Fatalf("bob's REGISTER: %v", err)
	}

	uac := SIPp(t, SIPpOptions{
		Scenario: ScenarioCall,
		Params:   map[string]string{"FROM_USER": "alice", "FROM_DOMAIN": k.IP, "HOLD_MS": "200"},
		Target:   k.Addr(), Service: "bob", AuthUser: "alice", AuthPass: "a-pw",
	})
	if err := uac.Wait(10 * time.Second); err != nil {
		t.Fatal(err)
	}
	if msgs := uac.Messages(); !strings.Contains(msgs, "SIP/2.0 407") || !strings.Contains(msgs, "Proxy-Authorization: Digest") {
		t.Fatalf("the caller was not challenged:\n%s", msgs)
	}
	if err := uas.Wait(5 * time.Second); err != nil {
		t.Fatalf("callee: %v", err)
	}
	if msgs := uas.Messages(); !strings.Contains(msgs, "Record-Route: <sip:"+k.IP) {
		t.Fatalf("the callee did not get a record-routed INVITE:\n%s", msgs)
	}
}

func TestKamailioAnswers404ForUnknownUser(t *testing.T) {
	t.Parallel()
	k := Kamailio(t, KamailioOptions{})
	uac := SIPp(t, SIPpOptions{Scenario: ScenarioCall, Target: k.Addr(), Service: "nobody"})
	err := uac.Wait(10 * time.Second)
	if err == nil || !strings.Contains(err.Error(), "404 Not Found") {
		t.Fatalf("call to an unregistered user: %v, want a failure with 404", err)
	}
}

func TestKamailioConfigRefusesUnsafeValues(t *testing.T) {
	cfg := kamailioConfig{IP: "127.0.0.1", Port: 5060, Realm: "127.0.0.1", Debug: 1}
	for _, users := range []map[string]string{
		{"al ice": "pw"},
		{"alice": `p"w`},
		{"alice": `$var`},
		{"alice": ""},
		{"": "pw"},
	} {
		if _, err := cfg.render(users); err == nil {
			t.Errorf("render(%q) succeeded, want an error", users)
		}
	}
	bad := cfg
	bad.Realm = `x";`
	if _, err := bad.render(nil); err == nil {
		t.Error("a realm with a quote was accepted")
	}
	text, err := cfg.render(map[string]string{"alice": "s3cret!", "bob": "pw"})
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{`$sht(users=>alice) = "s3cret!";`, `$sht(users=>bob) = "pw";`, "listen=udp:127.0.0.1:5060"} {
		if !strings.Contains(text, want) {
			t.Errorf("config lacks %q", want)
		}
	}
}

func TestOptionsPingTimesOutWithoutServer(t *testing.T) {
	t.Parallel()
	ip := LoopbackIP(t)
	ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
	defer cancel()
	if line, err := optionsPing(ctx, ip, ip+":5060"); err == nil {
		t.Fatalf("optionsPing got %q from nobody", line)
	}
}
