package integration

import (
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/phonesim/phonesim/config"
	"github.com/phonesim/phonesim/internal/peers"
)

// key=Reboot unregisters, restarts the phone in process, fires Setup
// Completed again and registers again.
func TestRebootKey(t *testing.T) {
	cti := newCTIServer(t)
	reg := embeddedRegistrar(t, map[string]string{"1001": "pw"})
	p := phoneConfig(t, "desk", cti, config.Line{User: "1001", Password: "pw", Server: reg.Addr()})
	fl := startFleet(t, &config.File{Phones: []config.Phone{p}})
	cti.wait(t, "registered", 5*time.Second)

	mustActiveURI(t, fl.Phones[0], "key=Reboot")
	cti.wait(t, "unregistered", 10*time.Second)
	cti.waitN(t, "setup_completed", 2, 10*time.Second)
	cti.waitN(t, "registered", 2, 10*time.Second)
	assertOrder(t, cti.events(), []string{"setup_completed", "registered", "unregistered", "setup_completed", "registered"})
}

// POST /api/ip moves the phone: HTTP answers on the new address, SIP
// re-registers from there, IP Changed carries the new $ip, and a caller
// reaches the phone at its new SIP address.
func TestIPChangeRebindsAndReregisters(t *testing.T) {
	cti := newCTIServer(t)
	reg := embeddedRegistrar(t, map[string]string{"1001": "pw"})
	p := phoneConfig(t, "desk", cti, config.Line{User: "1001", Password: "pw", Server: reg.Addr()})
	fl := startFleet(t, &config.File{Phones: []config.Phone{p}})
	desk := fl.Phones[0]
	cti.wait(t, "registered", 5*time.Second)
	oldHTTP := desk.HTTPAddr()
	newIP := peers.LoopbackIP(t)

	resp, err := http.PostForm("http://admin:admin@"+oldHTTP+"/api/ip", url.Values{"ip": {newIP}})
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("POST /api/ip: %d", resp.StatusCode)
	}
	changed := cti.wait(t, "ip_changed", 10*time.Second)
	if changed.Query.Get("ip") != newIP {
		t.Fatalf("IP Changed $ip = %q, want %s", changed.Query.Get("ip"), newIP)
	}
	if changed.From != newIP {
		t.Errorf("IP Changed was sent from %s, want the new IP %s", changed.From, newIP)
	}
	cti.waitN(t, "registered", 2, 10*time.Second)
	if got := desk.Phone.Snapshot().Identity.IP; got != newIP {
		t.Errorf("status IP %s, want %s", got, newIP)
	}
	if !strings.HasPrefix(desk.HTTPAddr(), newIP+":") || !strings.HasPrefix(desk.UA.Addr(), newIP+":") {
		t.Fatalf("HTTP %s, SIP %s; want both on %s", desk.HTTPAddr(), desk.UA.Addr(), newIP)
	}
	// The old HTTP address closes; the new one serves.
	waitFor(t, "the old HTTP address to close", 5*time.Second, func() bool {
		r, err := http.Get("http://" + oldHTTP + "/healthz")
		if err == nil {
			r.Body.Close()
		}
		return err != nil
	})
	mustActiveURI(t, desk, "key=DNDOn")
	if dnd := cti.wait(t, "dnd_on", 5*time.Second); dnd.Query.Get("ip") != newIP {
		t.Errorf("later events carry $ip %q", dnd.Query.Get("ip"))
	}
	// A bad address is the client's fault.
	resp, err = http.PostForm(desk.StatusURL()[:strings.Index(desk.StatusURL(), "/api/")]+"/api/ip", url.Values{"ip": {"300.1.1.1"}})
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusBadRequest {
		t.Errorf("bad IP: %d, want 400", resp.StatusCode)
	}
}
