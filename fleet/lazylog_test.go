package fleet

import (
	"bytes"
	"log/slog"
	"sync"
	"testing"
)

// textLogger writes text records without the time to buf.
func textLogger(buf *bytes.Buffer, level slog.Level) slog.Handler {
	return slog.NewTextHandler(buf, &slog.HandlerOptions{Level: level, ReplaceAttr: func(groups []string, a slog.Attr) slog.Attr {
		if len(groups) == 0 && a.Key == slog.TimeKey {
			return slog.Attr{}
		}
		return a
	}})
}

// A deferred logger writes exactly what the handler it wraps would.
func TestDeferredLoggerWritesTheSameLines(t *testing.T) {
	write := func(h slog.Handler) string {
		log := slog.New(h).With("phone", "2000")
		web := log.With("component", "webui")
		grouped := web.WithGroup("req").With("path", "/status")
		log.Info("registered", "line", 1)
		web.Warn("refused", "client", "127.0.0.1")
		grouped.Info("served", "code", 200)
		web.Debug("below the level")
		log.With().WithGroup("").Info("nothing added")
		return ""
	}
	var want, got bytes.Buffer
	write(textLogger(&want, slog.LevelInfo))
	write(DeferWith(textLogger(&got, slog.LevelInfo)))
	if got.String() != want.String() || want.Len() == 0 {
		t.Errorf("deferred:\n%s\nplain:\n%s", got.String(), want.String())
	}
}

// countingHandler counts the handlers derived from it.
type countingHandler struct {
	slog.Handler
	mu      *sync.Mutex
	derived *int
}

func (h countingHandler) WithAttrs(as []slog.Attr) slog.Handler {
	h.mu.Lock()
	*h.derived++
	h.mu.Unlock()
	return countingHandler{h.Handler.WithAttrs(as), h.mu, h.derived}
}

func (h countingHandler) WithGroup(name string) slog.Handler {
	h.mu.Lock()
	*h.derived++
	h.mu.Unlock()
	return countingHandler{h.Handler.WithGroup(name), h.mu, h.derived}
}

// An idle phone's loggers cost no derived handler until one writes a
// record that passes the level; then each is built once, even when many
// goroutines write at the same time.
func TestDeferredLoggerBuildsOnFirstRecord(t *testing.T) {
	var buf bytes.Buffer
	var derived int
	mu := &sync.Mutex{}
	root := countingHandler{textLogger(&buf, slog.LevelInfo), mu, &derived}
	phone := slog.New(DeferWith(root)).With("phone", "2000")
	sip := phone.With("component", "sipua")
	web := phone.With("component", "webui")
	sip.Debug("retransmission") // below the level
	if derived != 0 {
		t.Fatalf("%d handlers derived before any record", derived)
	}
	var wg sync.WaitGroup
	for range 8 {
		wg.Go(func() { sip.Info("registered") })
	}
	wg.Wait()
	mu.Lock()
	if derived != 2 { // the phone's, then the SIP side's
		t.Errorf("%d handlers derived after the SIP side wrote, want 2", derived)
	}
	mu.Unlock()
	web.Info("page served")
	if derived != 3 {
		t.Errorf("%d handlers derived after the web server wrote, want 3", derived)
	}
	if n := bytes.Count(buf.Bytes(), []byte("component=sipua")); n != 8 {
		t.Errorf("%d SIP lines, want 8:\n%s", n, buf.String())
	}
}

// What a phone's derived loggers allocate while they write nothing, with
// slog's text handler and with it deferred.
func BenchmarkPhoneLoggers(b *testing.B) {
	for _, c := range []struct {
		name string
		root slog.Handler
	}{
		{"text", textLogger(&bytes.Buffer{}, slog.LevelInfo)},
		{"deferred", DeferWith(textLogger(&bytes.Buffer{}, slog.LevelInfo))},
	} {
		b.Run(c.name, func(b *testing.B) {
			b.ReportAllocs()
			log := slog.New(c.root)
			for b.Loop() {
				phone := log.With("phone", "2000")
				_ = phone.With("component", "sipua")
				_ = phone.With("component", "webui")
				_ = phone.With("component", "activeuri")
			}
		})
	}
}
