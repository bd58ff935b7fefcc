package main

import (
	"context"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// A phonesim that exits before its ready line (here: a configuration it
// refuses) is reported at once with what it said, not after the ready
// timeout: the call-rate run once waited its full 2 minutes for a
// process that had already gone.
func TestWaitReadyReportsAnEarlyExit(t *testing.T) {
	dir := t.TempDir()
	bin, err := buildPhonesim(context.Background(), dir)
	if err != nil {
		t.Fatal(err)
	}
	cfg := filepath.Join(dir, "bad.yaml")
	if err := os.WriteFile(cfg, []byte("phones:\n  - name: x\n    sip_port: 99999\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	p, err := startPhonesim(bin, cfg, "all 1 phones up", io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	defer p.stop()
	_, _, err = p.waitReady(context.Background(), 10*time.Minute)
	if err == nil || !strings.Contains(err.Error(), "exited before it was ready") || !strings.Contains(err.Error(), "bad.yaml:3") {
		t.Fatalf("waitReady: %v; want the early exit with the file's error", err)
	}
}
