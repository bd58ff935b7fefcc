package emulator

import "sync"

// mailbox is an unbounded FIFO of work for one goroutine. put never blocks
// and never drops, so SIP handlers, HTTP handlers and ebiten's Update can
// post into a phone whatever the loop is doing.
type mailbox[T any] struct {
	mu     sync.Mutex
	items  []T
	wake   chan struct{} // capacity 1: "there is something to take"
	closed bool
}

func newMailbox[T any]() *mailbox[T] {
	return &mailbox[T]{wake: make(chan struct{}, 1)}
}

// put appends v; it reports false once the mailbox is closed.
func (m *mailbox[T]) put(v T) bool {
	m.mu.Lock()
	if m.closed {
		m.mu.Unlock()
		return false
	}
	m.items = append(m.items, v)
	m.mu.Unlock()
	select {
	case m.wake <- struct{}{}:
	default:
	}
	return true
}

// take moves every queued item into buf (reusing its storage) and returns it.
func (m *mailbox[T]) take(buf []T) []T {
	m.mu.Lock()
	buf = append(buf[:0], m.items...)
	clear(m.items)
	m.items = m.items[:0]
	m.mu.Unlock()
	return buf
}

// close makes later puts fail; queued items can still be taken.
func (m *mailbox[T]) close() {
	m.mu.Lock()
	m.closed = true
	m.mu.Unlock()
	select {
	case m.wake <- struct{}{}:
	default:
	}
}
