package phonesimtest_test

import (
	"context"
	"fmt"
	"time"

	"github.com/phonesim/phonesim/emulator"
	"github.com/phonesim/phonesim/phonesimtest"
)

// A CTI test without testing.T helpers: start the demo, place a call over
// Active URI, wait for what a CTI server would receive.
func ExampleStart() {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	phones, err := phonesimtest.StartDemo(ctx, phonesimtest.Options{})
	if err != nil {
		fmt.Println(err)
		return
	}
	defer phones.Close()
	alice, bob := phones.Phone("1001"), phones.Phone("1002")

	if _, err := alice.URI(ctx, "number=1002&outgoing_uri=1001@127.0.0.1"); err != nil {
		fmt.Println(err)
		return
	}
	in, _, err := bob.WaitEvent(ctx, 0, phonesimtest.Event("incoming_call"))
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(in.Event, in.Vars["display_remote"])

	if _, err := bob.Press(ctx, "OK"); err != nil {
		fmt.Println(err)
		return
	}
	s, err := alice.WaitSnapshot(ctx, func(s emulator.Snapshot) bool {
		return len(s.Calls) == 1 && s.Calls[0].State == emulator.CallTalking
	})
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(s.LCD.Title)
	// Output:
	// Incoming Call Alice
	// Talking
}
