package fleet

import (
	"context"
	"log/slog"
	"sync"
)

// lazyWith defers a logger's With and WithGroup until it first writes a
// record (issue 10, item 3: memory per idle phone). Each phone derives
// loggers from the fleet's (its name; the SIP side, the web server, the
// Active URI handler their component), and slog's text handler copies its
// state and formats the attributes on every With: about 2.5 KiB a phone
// in a 10,000-phone fleet (heap profile, docs/benchmarks.md), for loggers
// an idle phone never writes to at the default level. Here a With costs
// a small struct; the first record that passes the level builds the real
// handler, once, and the output is the same.
type lazyWith struct {
	parent slog.Handler // the handler the attributes or group apply to
	attrs  []slog.Attr  // WithAttrs, or
	group  string       // WithGroup

	once sync.Once
	h    slog.Handler // built by the first Handle
}

// DeferWith wraps h so that the handlers derived from it (With,
// WithGroup) are built on first use. Start does so for the phones'
// loggers; cmd/phonesim does it for slog's default logger too, which
// sipgo derives three loggers a phone from.
func DeferWith(h slog.Handler) slog.Handler {
	if _, ok := h.(*lazyWith); ok {
		return h
	}
	return &lazyWith{parent: h, h: h}
}

// handler is the real handler, built on the first call.
func (l *lazyWith) handler() slog.Handler {
	l.once.Do(func() {
		if l.h != nil { // the root: nothing to apply
			return
		}
		p := l.parent
		if lp, ok := p.(*lazyWith); ok {
			p = lp.handler()
		}
		if l.group != "" {
			l.h = p.WithGroup(l.group)
		} else {
			l.h = p.WithAttrs(l.attrs)
		}
	})
	return l.h
}

// Enabled asks the root: attributes and groups do not change the level.
func (l *lazyWith) Enabled(ctx context.Context, level slog.Level) bool {
	return l.parent.Enabled(ctx, level)
}

func (l *lazyWith) Handle(ctx context.Context, r slog.Record) error {
	return l.handler().Handle(ctx, r)
}

func (l *lazyWith) WithAttrs(as []slog.Attr) slog.Handler {
	if len(as) == 0 {
		return l
	}
	return &lazyWith{parent: l, attrs: as}
}

func (l *lazyWith) WithGroup(name string) slog.Handler {
	if name == "" {
		return l
	}
	return &lazyWith{parent: l, group: name}
}
