package main

import (
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"os"
	"regexp"
	"strings"
	"testing"

	"github.com/phonesim/phonesim/webui"
)

// A setting changed on the web pages survives a restart of the binary:
// Features → DND on, SIGTERM, start again with the same --state-dir.
func TestWebPageSettingSurvivesARestart(t *testing.T) {
	dir := t.TempDir()
	d := startDemo(t, "--state-dir", dir)
	base := webBaseOf(t, d.alice)

	req, _ := http.NewRequest(http.MethodGet, base+"/features", nil)
	req.SetBasicAuth("admin", "admin")
	page := mustDo(t, req, http.StatusOK)
	m := regexp.MustCompile(`name="csrf" value="([^"]+)"`).FindStringSubmatch(page)
	if m == nil {
		t.Fatal("no CSRF token on the Features page")
	}
	form := url.Values{"csrf": {m[1]}, "dnd": {"on"}, "no_answer_seconds": {"20"}}
	req, _ = http.NewRequest(http.MethodPost, base+"/features", strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.SetBasicAuth("admin", "admin")
	mustDo(t, req, http.StatusOK)
	if _, err := os.Stat(webui.StateFileName(dir, "alice")); err != nil {
		t.Fatalf("no state file after saving: %v", err)
	}
	d.terminate(t)

	d2 := startDemo(t, "--state-dir", dir)
	req, _ = http.NewRequest(http.MethodGet, webBaseOf(t, d2.alice)+"/api/status", nil)
	req.SetBasicAuth("admin", "admin")
	var st struct{ DND bool }
	if err := json.Unmarshal([]byte(mustDo(t, req, http.StatusOK)), &st); err != nil {
		t.Fatal(err)
	}
	if !st.DND {
		t.Error("after a restart alice's DND is off; the Features page had turned it on")
	}
	req, _ = http.NewRequest(http.MethodGet, webBaseOf(t, d2.alice)+"/", nil)
	req.SetBasicAuth("admin", "admin")
	if page := mustDo(t, req, http.StatusOK); !strings.Contains(page, `<span id="from-state">dnd, forward</span>`) {
		t.Error("the Status page does not say that DND came from the state file")
	}
	d2.terminate(t)
}

// webBaseOf is http://host:port of a phone, from its Active URI URL.
func webBaseOf(t *testing.T, activeURI string) string {
	t.Helper()
	u, err := url.Parse(activeURI)
	if err != nil {
		t.Fatal(err)
	}
	return "http://" + u.Host
}

func mustDo(t *testing.T, req *http.Request, want int) string {
	t.Helper()
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != want {
		t.Fatalf("%s %s: %d, want %d: %s", req.Method, req.URL, resp.StatusCode, want, b)
	}
	return string(b)
}
