package webui

import (
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
)

// FuzzActiveURI feeds arbitrary raw queries to /cgi-bin/ConfigManApp.com.
// The phone here accepts every input, so the only answers are 200 (with the
// inputs recorded) and 400 (with none); never a 5xx, never a panic (the
// recover middleware would hide a panic as a 400, so the log is checked).
func FuzzActiveURI(f *testing.F) {
	for _, seed := range []string{
		"key=OK", "key=SPEAKER;1;0;0;2;OK", "key=Enter", "key=dndon", "key=%23", "key=*",
		"number=%2B4930123&outgoing_uri=1001@127.0.0.1", "number=+49&outgoing_uri=sip:1@[::1]:5060",
		"", "&&&", "=", "key", "key=", "key=;;", "key=%ZZ", "%ZZ=1", "key=OK&key=X",
		"number=" + strings.Repeat("9", 70), "number=1&outgoing_uri=@", "number=1&outgoing_uri=a@b:0",
		"key=%E2%82%AC", "number=%00", "KEY=f_transfer&_=1", "outgoing_uri=1@h",
		"key=" + strings.Repeat("OK;", 100), "number=1&outgoing_uri=1@[::1", "number=1&outgoing_uri=1@[",
	} {
		f.Add(seed)
	}
	dev := newRecordingDevice()
	logs := &logBuffer{}
	s := NewWebServer(dev, WebOptions{Logger: slog.New(slog.NewTextHandler(logs, nil))})
	f.Fuzz(func(t *testing.T, rawQuery string) {
		dev.got()
		req := httptest.NewRequest(http.MethodGet, PathCommand, nil)
		req.URL.RawQuery = rawQuery
		req.RemoteAddr = "127.0.0.1:40000"
		req.SetBasicAuth("admin", "admin")
		rec := httptest.NewRecorder()
		s.ServeHTTP(rec, req)

		if strings.Contains(logs.String(), "panic") {
			t.Fatalf("query %q panicked:\n%s", rawQuery, logs.String())
		}
		inputs := dev.got()
		switch rec.Code {
		case http.StatusOK:
			if len(inputs) == 0 {
				t.Fatalf("query %q: 200 but nothing reached the phone", rawQuery)
			}
		case http.StatusBadRequest:
			if len(inputs) != 0 {
				t.Fatalf("query %q: 400 but the phone got %v", rawQuery, inputs)
			}
			if strings.TrimSpace(rec.Body.String()) == "" {
				t.Fatalf("query %q: 400 without a message", rawQuery)
			}
		default:
			t.Fatalf("query %q: status %d (%s)", rawQuery, rec.Code, rec.Body)
		}
	})
}

// FuzzLoginNext: whatever the form's next field holds, the redirect stays
// on this server.
func FuzzLoginNext(f *testing.F) {
	for _, seed := range []string{"/", "/api/status", "//evil", `/\evil`, "http://x/", "/a?b=c;d", "/%2F/x", "\x00", "/\t/x"} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, next string) {
		got := safeNext(next)
		if got != "/" && got != next {
			t.Fatalf("safeNext(%q) = %q: neither the input nor /", next, got)
		}
		u, err := url.Parse(got)
		if err != nil || u.Host != "" || u.Scheme != "" || !strings.HasPrefix(got, "/") ||
			strings.HasPrefix(got, "//") || strings.HasPrefix(got, `/\`) {
			t.Fatalf("safeNext(%q) = %q leaves this server", next, got)
		}
	})
}
