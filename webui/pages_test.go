package webui_test

import (
	"io"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
)

// get fetches a page with Basic credentials, as a script would.
func get(t *testing.T, base, path string) (*http.Response, string) {
	t.Helper()
	req, _ := http.NewRequest(http.MethodGet, base+path, nil)
	req.SetBasicAuth("admin", "admin")
	return do(t, req)
}

func post(t *testing.T, base, path string, form url.Values) (*http.Response, string) {
	t.Helper()
	req, _ := http.NewRequest(http.MethodPost, base+path, strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.SetBasicAuth("admin", "admin")
	return do(t, req)
}

func do(t *testing.T, req *http.Request) (*http.Response, string) {
	t.Helper()
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp, string(b)
}

var csrfRE = regexp.MustCompile(`name="csrf" value="([^"]+)"`)

func TestPagesHeadersCSRFAndNoPasswords(t *testing.T) {
	ps := startDemo(t, "")
	base := webBase(ps.Phone("alice"))
	for _, path := range []string{"/", "/lines", "/actionurl", "/dss", "/features", "/activeuri", "/phone", "/log"} {
		resp, body := get(t, base, path)
		if resp.StatusCode != http.StatusOK {
			t.Errorf("GET %s: %d", path, resp.StatusCode)
			continue
		}
		h := resp.Header
		if !strings.Contains(h.Get("Content-Security-Policy"), "frame-ancestors 'none'") || h.Get("X-Frame-Options") != "DENY" {
			t.Errorf("GET %s: CSP %q, X-Frame-Options %q", path, h.Get("Content-Security-Policy"), h.Get("X-Frame-Options"))
		}
		if strings.Contains(body, "secret1") {
			t.Errorf("GET %s echoes the line password", path)
		}
		// Every input has a label (accessible name).
		for _, m := range regexp.MustCompile(`<input [^>]*id="([^"]+)"`).FindAllStringSubmatch(body, -1) {
			if !strings.Contains(body, `for="`+m[1]+`"`) && !regexp.MustCompile(`<label><input [^>]*id="`+regexp.QuoteMeta(m[1])+`"`).MatchString(body) {
				t.Errorf("GET %s: input #%s has no label", path, m[1])
			}
		}
	}
	// A POST without the form's token is refused and changes nothing.
	resp, body := post(t, base, "/features", url.Values{"dnd": {"on"}, "no_answer_seconds": {"20"}})
	if resp.StatusCode != http.StatusForbidden || !strings.Contains(body, "reload the page") {
		t.Errorf("POST without CSRF token: %d %q", resp.StatusCode, body)
	}
	if ps.Phone("alice").Snapshot().DND {
		t.Error("a POST without a CSRF token turned DND on")
	}
	// With the token, bad input gets a clear 400.
	_, page := get(t, base, "/features")
	tok := csrfRE.FindStringSubmatch(page)
	if tok == nil {
		t.Fatal("no CSRF token in the Features form")
	}
	resp, body = post(t, base, "/features", url.Values{"csrf": {tok[1]}, "no_answer_seconds": {"soon"}})
	if resp.StatusCode != http.StatusBadRequest || !strings.Contains(body, "whole number of seconds") {
		t.Errorf("bad no-answer time: %d", resp.StatusCode)
	}
	resp, body = post(t, base, "/actionurl", url.Values{"csrf": {tok[1]}, "incoming_call": {"ftp://x/$nope"}})
	if resp.StatusCode != http.StatusBadRequest || !strings.Contains(body, "Nothing saved") || !strings.Contains(body, "incoming_call") {
		t.Errorf("bad Action URL: %d, want 400 naming the event", resp.StatusCode)
	}
	resp, _ = post(t, base, "/actionurl/test", url.Values{"csrf": {tok[1]}, "event": {"no_such_event"}})
	if resp.StatusCode != http.StatusBadRequest {
		t.Errorf("Test of an unknown event: %d, want 400", resp.StatusCode)
	}
	resp, _ = post(t, base, "/phone/key", url.Values{"csrf": {tok[1]}, "key": {"NOPE"}})
	if resp.StatusCode != http.StatusBadRequest {
		t.Errorf("unknown key: %d, want 400", resp.StatusCode)
	}
}
