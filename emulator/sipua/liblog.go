package sipua

import (
	"context"
	"log/slog"
)

// diagoLog lowers to debug the one warning diago logs for an ordinary SIP
// outcome: a BYE for a dialog that has already ended. When both ends hang
// up at once (two phones of one process at shutdown, or a caller and callee
// pressing X together) each BYE crosses the other, and the late one is
// answered 481 as RFC 3261 §15.1.2 says ("the UAS MUST ... respond with a
// 481 (Call/Transaction Does Not Exist)" for a BYE that matches no dialog);
// diago then logs "Failed to handle request" at warn. Nothing failed: the
// call is over for both ends. Every other diago warning passes through.
type diagoLog struct{ slog.Handler }

func (h diagoLog) Handle(ctx context.Context, r slog.Record) error {
	if r.Level == slog.LevelWarn && r.Message == "Failed to handle request" && isCrossedBYE(r) {
		if !h.Handler.Enabled(ctx, slog.LevelDebug) {
			return nil
		}
		r.Level = slog.LevelDebug
	}
	return h.Handler.Handle(ctx, r)
}

func (h diagoLog) WithAttrs(as []slog.Attr) slog.Handler { return diagoLog{h.Handler.WithAttrs(as)} }
func (h diagoLog) WithGroup(name string) slog.Handler    { return diagoLog{h.Handler.WithGroup(name)} }

// isCrossedBYE: the record is about a BYE that found no dialog.
func isCrossedBYE(r slog.Record) bool {
	bye, gone := false, false
	r.Attrs(func(a slog.Attr) bool {
		switch a.Key {
		case "req.method":
			bye = a.Value.String() == "BYE"
		case "error":
			gone = a.Value.String() == "Call/Transaction Does Not Exist"
		}
		return true
	})
	return bye && gone
}
