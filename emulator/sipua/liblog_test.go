package sipua

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"strings"
	"testing"
	"time"
)

// A BYE that crossed ours (481, RFC 3261 §15.1.2) is not a warning; any
// other failure diago reports still is.
func TestDiagoLogLowersOnlyCrossedBYEs(t *testing.T) {
	for _, tc := range []struct {
		method, err string
		level       slog.Level // handler's level
		want        string     // "" for nothing written
	}{
		{"BYE", "Call/Transaction Does Not Exist", slog.LevelInfo, ""},
		{"BYE", "Call/Transaction Does Not Exist", slog.LevelDebug, "level=DEBUG"},
		{"INVITE", "Call/Transaction Does Not Exist", slog.LevelInfo, "level=WARN"},
		{"BYE", "write udp: connection refused", slog.LevelInfo, "level=WARN"},
	} {
		var buf bytes.Buffer
		log := slog.New(diagoLog{slog.NewTextHandler(&buf, &slog.HandlerOptions{Level: tc.level})}).With("sip", "127.0.0.1:5062")
		// As diago.go logs it.
		log.Warn("Failed to handle request", "error", errors.New(tc.err), "req.method", tc.method, "req.from", "<sip:a@h>", "req.to", "<sip:b@h>")
		out := buf.String()
		if tc.want == "" && out != "" || tc.want != "" && !strings.Contains(out, tc.want) {
			t.Errorf("%s %q at %v: logged %q, want %q", tc.method, tc.err, tc.level, out, tc.want)
		}
	}
	// Other records pass untouched.
	var buf bytes.Buffer
	h := diagoLog{slog.NewTextHandler(&buf, nil)}
	r := slog.NewRecord(time.Now(), slog.LevelWarn, "something else", 0)
	if err := h.Handle(context.Background(), r); err != nil || !strings.Contains(buf.String(), "level=WARN") {
		t.Errorf("other warning: %q, %v", buf.String(), err)
	}
}
