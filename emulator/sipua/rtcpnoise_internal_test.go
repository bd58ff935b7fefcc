package sipua

import (
	"bytes"
	"log/slog"
	"testing"
)

// The filter in front of diago's media logger turns its RTCP unmarshal
// errors into one DEBUG line, counts them all, and passes everything else
// on as it was (attributes added with With included).
func TestRTCPNoiseFilterLogsOnceAtDebug(t *testing.T) {
	var buf bytes.Buffer
	text := slog.NewTextHandler(&buf, &slog.HandlerOptions{Level: slog.LevelDebug})
	log := slog.New(newRTCPNoise(func() slog.Handler { return text })).With("sess", "s1")
	before := IgnoredRTCP()
	for range 3 {
		log.Error(diagoRTCPUnmarshal, "error", "rtcp: failed to unmarshal")
	}
	log.Error("RTP session RTCP reader stopped with error", "error", "x")
	out := buf.String()
	if c := bytes.Count(buf.Bytes(), []byte("level=ERROR")); c != 1 {
		t.Errorf("%d ERROR lines, want only the unrelated one:\n%s", c, out)
	}
	if c := bytes.Count(buf.Bytes(), []byte("level=DEBUG msg=\"non-RTCP datagram")); c != 1 {
		t.Errorf("%d DEBUG lines about ignored datagrams, want one:\n%s", c, out)
	}
	if c := bytes.Count(buf.Bytes(), []byte("sess=s1")); c != 2 {
		t.Errorf("the With attributes reached %d lines, want 2:\n%s", c, out)
	}
	if got := IgnoredRTCP() - before; got < 3 {
		t.Errorf("counted %d, want 3", got)
	}
}
