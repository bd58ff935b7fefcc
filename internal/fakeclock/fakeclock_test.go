package fakeclock

import (
	"context"
	"testing"
	"time"

	"go.uber.org/goleak"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

func TestAfterFuncFiresWhenAdvancedPastItsTime(t *testing.T) {
	c := New(time.Unix(1e9, 0))
	fired := make(chan time.Duration, 2)
	c.AfterFunc(20*time.Second, func() { fired <- 20 * time.Second })
	stop := c.AfterFunc(5*time.Second, func() { fired <- 5 * time.Second })
	if err := c.WaitArmed(context.Background(), 2); err != nil {
		t.Fatal(err)
	}
	if !stop() {
		t.Fatal("stop of a waiting timer reported false")
	}
	if stop() {
		t.Fatal("second stop reported true")
	}
	c.Advance(20*time.Second - time.Nanosecond)
	if n := c.Pending(); n != 1 {
		t.Fatalf("%d timers pending before their time, want 1", n)
	}
	c.Advance(time.Nanosecond)
	select {
	case d := <-fired:
		if d != 20*time.Second {
			t.Fatalf("the cancelled %v timer fired", d)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("the 20 s timer did not fire at 20 s")
	}
	if n := c.Pending(); n != 0 {
		t.Fatalf("%d timers pending after they fired", n)
	}
	if got, want := c.Now(), time.Unix(1e9, 0).Add(20*time.Second); !got.Equal(want) {
		t.Fatalf("Now %v, want %v", got, want)
	}
}

func TestWaitArmedEndsWithTheContext(t *testing.T) {
	c := New(time.Unix(0, 0))
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if err := c.WaitArmed(ctx, 1); err == nil {
		t.Fatal("WaitArmed returned nil with no timer armed")
	}
}
