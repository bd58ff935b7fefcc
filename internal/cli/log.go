package cli

import (
	"context"
	"log/slog"
	"strings"
)

// libraryNoise lowers to debug the warnings sipgo logs for its own
// bookkeeping: v1.7.3 releases a pooled client connection once more than it
// took it when a phone stops ("UDP ref went negative on try close"), and
// then does nothing (sip/transport_udp.go, TryClose). A user can do nothing
// about it; a shutdown that went well must not look like one that did not.
type libraryNoise struct{ slog.Handler }

func (h libraryNoise) Handle(ctx context.Context, r slog.Record) error {
	if r.Level == slog.LevelWarn && strings.Contains(r.Message, "ref went negative") {
		if !h.Handler.Enabled(ctx, slog.LevelDebug) {
			return nil
		}
		r.Level = slog.LevelDebug
	}
	return h.Handler.Handle(ctx, r)
}

func (h libraryNoise) WithAttrs(as []slog.Attr) slog.Handler {
	return libraryNoise{h.Handler.WithAttrs(as)}
}

func (h libraryNoise) WithGroup(name string) slog.Handler {
	return libraryNoise{h.Handler.WithGroup(name)}
}
