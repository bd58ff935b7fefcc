package activeuri

import (
	"net/http"
	"net/http/httptest"
	"net/netip"
	"strings"
	"testing"
)

func TestAllowList(t *testing.T) {
	a, err := NewAllowList(true, nil)
	if err != nil || !a.Allows(netip.MustParseAddr("198.51.100.1")) || strings.Join(a.Entries(), ",") != "any" {
		t.Fatalf("empty list: %v %v, want any (the hardware's default)", a.Entries(), err)
	}
	if err := a.Set(true, []string{" 10.1.2.3/8 ", "::ffff:192.0.2.7", ""}); err != nil {
		t.Fatal(err)
	}
	if got := strings.Join(a.Entries(), ","); got != "10.0.0.0/8,192.0.2.7" {
		t.Errorf("entries %q, want normalised", got)
	}
	for ip, want := range map[string]bool{"10.200.0.1": true, "192.0.2.7": true, "192.0.2.8": false, "127.0.0.1": false} {
		if got := a.Allows(netip.MustParseAddr(ip)); got != want {
			t.Errorf("Allows(%s) = %v, want %v", ip, got, want)
		}
	}
	if err := a.Set(true, []string{"10.0.0.1", "nope"}); err == nil || !strings.Contains(err.Error(), `entry 2: "nope"`) {
		t.Errorf("bad entry: %v", err)
	}
	if got := strings.Join(a.Entries(), ","); got != "10.0.0.0/8,192.0.2.7" {
		t.Errorf("a refused Set changed the list to %q", got)
	}
	_ = a.Set(false, []string{"any"})
	if a.Allows(netip.MustParseAddr("10.0.0.1")) {
		t.Error("Active URI off still allows")
	}
}

// The allow-list guards only the Active URI path (Yealink
// features.action_uri_limit_ip); a refused client is answered 403 before
// authentication and the request is observed.
func TestAllowListGuardsActiveURIOnly(t *testing.T) {
	d := newRecordingDevice()
	a, _ := NewAllowList(true, []string{"10.0.0.0/8"})
	var seen []Request
	s := New(d, Options{Active: a, Observe: func(r Request) { seen = append(seen, r) }})
	rec := httptest.NewRecorder()
	req := httptest.NewRequest(http.MethodGet, PathCommand+"?key=OK", nil)
	req.RemoteAddr = "127.0.0.1:4000"
	s.ServeHTTP(rec, req)
	if rec.Code != http.StatusForbidden || !strings.Contains(rec.Body.String(), "127.0.0.1") {
		t.Errorf("outside the list: %d %q", rec.Code, rec.Body.String())
	}
	if len(seen) != 1 || seen[0].Status != http.StatusForbidden {
		t.Errorf("observed %+v, want the 403 recorded", seen)
	}
	rec = httptest.NewRecorder()
	req = httptest.NewRequest(http.MethodGet, PathStatus, nil)
	req.RemoteAddr = "127.0.0.1:4000"
	req.SetBasicAuth("admin", "admin")
	s.ServeHTTP(rec, req)
	if rec.Code != http.StatusOK {
		t.Errorf("status API from outside the Active URI list: %d, want 200", rec.Code)
	}
	_ = a.Set(false, nil)
	rec = httptest.NewRecorder()
	req = httptest.NewRequest(http.MethodGet, PathCommand+"?key=OK", nil)
	req.RemoteAddr = "10.0.0.1:4000"
	s.ServeHTTP(rec, req)
	if rec.Code != http.StatusForbidden || !strings.Contains(rec.Body.String(), "turned off") {
		t.Errorf("Active URI off: %d %q", rec.Code, rec.Body.String())
	}
}

func FuzzParseAllowList(f *testing.F) {
	for _, s := range []string{"any", "10.0.0.0/8", "192.0.2.7", "::1", "fe80::1%eth0", "1.2.3.4/33", "", "ANY,1.2.3.4"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		nets, anyIP, clean, err := ParseAllowList(strings.Split(s, ","))
		if err != nil {
			return
		}
		if len(clean) == 0 || (!anyIP && len(nets) == 0) {
			t.Fatalf("%q: accepted but allows nothing: %v %v", s, nets, clean)
		}
		// The normalised list parses to the same thing.
		nets2, any2, clean2, err := ParseAllowList(clean)
		if err != nil || any2 != anyIP || len(nets2) != len(nets) || strings.Join(clean2, ",") != strings.Join(clean, ",") {
			t.Fatalf("%q: normalised %v does not round-trip: %v %v", s, clean, clean2, err)
		}
	})
}
