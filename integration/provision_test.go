package integration

import (
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"github.com/phonesim/phonesim/config"
	"github.com/phonesim/phonesim/emulator"
)

// key=AutoP fetches <mac>.yaml from the provisioning URL and applies it:
// DND and busy forwarding come on, the file's Action URL set replaces the
// phone's, and the status API reports the run.
func TestAutoProvisioning(t *testing.T) {
	cti := newCTIServer(t)
	newCTI := newCTIServer(t)
	var mu sync.Mutex
	files := map[string]string{
		"/prov/00a859001001.yaml": "dnd: true\nforward: {busy: \"2001\"}\naction_url:\n  dnd_off: " + newCTI.URL + "/dnd_off?ip=$ip\n",
	}
	prov := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		body, ok := files[r.URL.Path]
		mu.Unlock()
		if !ok {
			http.NotFound(w, r)
			return
		}
		w.Write([]byte(body))
	}))
	defer prov.Close()

	p := phoneConfig(t, "desk", cti, config.Line{User: "1001", Password: "pw", Server: "127.0.0.1:9"})
	p.ProvisioningURL = prov.URL + "/prov/"
	fl := startFleet(t, &config.File{Phones: []config.Phone{p}})
	desk := fl.Phones[0]
	if st := desk.Phone.Snapshot().Provision.State; st != "never" {
		t.Fatalf("provisioning state before AutoP: %q", st)
	}
	mustActiveURI(t, desk, "key=AutoP")
	waitForPhone(t, desk, "provisioning to finish", 5*time.Second, func() bool { return desk.Phone.Snapshot().Provision.State == "ok" })
	s := desk.Phone.Snapshot()
	if !s.DND || !s.Forward[emulator.ForwardBusy].On || s.Forward[emulator.ForwardBusy].Target != "2001" {
		t.Fatalf("after provisioning: dnd %v forward %+v", s.DND, s.Forward)
	}
	if a := s.Provision.Applied; len(a) != 3 {
		t.Errorf("applied %v, want dnd, forward, action_url", a)
	}
	// The provisioned Action URLs replaced the old set.
	mustActiveURI(t, desk, "key=DNDOff")
	newCTI.wait(t, "dnd_off", 5*time.Second)
	if n := cti.count("dnd_off"); n != 0 {
		t.Errorf("the old CTI server still got dnd_off")
	}

	// A missing file is reported, and changes nothing.
	mu.Lock()
	files = map[string]string{}
	mu.Unlock()
	mustActiveURI(t, desk, "key=AutoP")
	waitFor(t, "the failed run", 5*time.Second, func() bool { return desk.Phone.Snapshot().Provision.State == "failed" })
	if e := desk.Phone.Snapshot().Provision.Error; e == "" {
		t.Error("failed run without an error")
	}
}
