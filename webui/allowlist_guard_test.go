package webui

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/phonesim/phonesim/activeuri"
)

// The allow-list guards only the Active URI path (Yealink
// features.action_uri_limit_ip); a refused client is answered 403 before
// authentication and the request is observed.
func TestAllowListGuardsActiveURIOnly(t *testing.T) {
	d := newRecordingDevice()
	a, _ := activeuri.NewAllowList(true, []string{"10.0.0.0/8"})
	var seen []Request
	s := NewWebServer(d, WebOptions{Active: a, Observe: func(r Request) { seen = append(seen, r) }})
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
