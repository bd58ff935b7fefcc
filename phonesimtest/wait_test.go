package phonesimtest

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/phonesim/phonesim/emulator"
)

// startBare starts a phone with no SIP side (keys and DND work).
func startBare(t *testing.T, name string) *emulator.Phone {
	t.Helper()
	p := emulator.New(emulator.Config{Identity: emulator.Identity{Name: name}}, nil)
	if err := p.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = p.Close(context.Background()) })
	return p
}

// WaitUntil wakes on the events of every device it is given and returns
// once the condition holds across them.
func TestWaitUntilSpansDevices(t *testing.T) {
	a, b := startBare(t, "a"), startBare(t, "b")
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	done := make(chan error, 1)
	go func() {
		done <- WaitUntil(ctx, func() bool { return a.Snapshot().DND && b.Snapshot().DND }, a, b)
	}()
	a.Post(emulator.SetDND{On: true})
	b.Post(emulator.SetDND{On: true})
	if err := <-done; err != nil {
		t.Fatalf("WaitUntil: %v; DND a %v, b %v", err, a.Snapshot().DND, b.Snapshot().DND)
	}
	s, err := WaitSnapshot(ctx, a, func(s emulator.Snapshot) bool { return s.DND })
	if err != nil || !s.DND {
		t.Fatalf("WaitSnapshot of a condition that holds: %v, DND %v", err, s.DND)
	}
}

// A condition that never holds ends with the context's error.
func TestWaitSnapshotEndsWithTheContext(t *testing.T) {
	p := startBare(t, "p")
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	_, err := WaitSnapshot(ctx, p, func(s emulator.Snapshot) bool { return s.DND })
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("err %v, want the context's deadline", err)
	}
}
