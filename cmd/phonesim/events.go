package main

import (
	"fmt"
	"io"
	"strings"
	"sync"

	"github.com/phonesim/phonesim/emulator"
	"github.com/phonesim/phonesim/fleet"
)

// printEvents writes every phone's Action URL events to w as they happen,
// one line each, with the variables a CTI server would receive for it:
//
//	alice  outgoing_call       local=sip:1002@127.0.0.1 call_id=2kHg...
//
// so that whoever runs the demo sees the event stream without writing a
// server. The returned func stops it.
func printEvents(w io.Writer, fl *fleet.Fleet) (stop func()) {
	var mu sync.Mutex // one line at a time from every phone's subscriber
	width := 0
	for _, m := range fl.Phones {
		width = max(width, len(m.Config.Name))
	}
	var cancels []func()
	for _, m := range fl.Phones {
		cancels = append(cancels, m.Phone.Subscribe(func(ev emulator.Event) {
			if ev.Type.Key() == "" {
				return // a redraw notice, not one of the 27 events
			}
			line := strings.TrimRight(fmt.Sprintf("%-*s  %-22s %s", width, ev.Phone, ev.Type.Key(), eventVars(ev)), " ") + "\n"
			mu.Lock()
			defer mu.Unlock()
			_, _ = io.WriteString(w, line)
		}))
	}
	return func() {
		for _, c := range cancels {
			c()
		}
	}
}

// eventVars is "name=value" for each call or line variable the event
// fills, and its cause.
func eventVars(ev emulator.Event) string {
	v := ev.Vars
	var parts []string
	for _, kv := range [][2]string{
		{"active_user", v.ActiveUser}, {"local", v.Local}, {"remote", v.Remote},
		{"display_remote", v.DisplayRemote}, {"call_id", v.CallID},
	} {
		if kv[1] != "" {
			parts = append(parts, kv[0]+"="+kv[1])
		}
	}
	if ev.Cause != "" {
		parts = append(parts, fmt.Sprintf("cause=%q", ev.Cause))
	}
	return strings.Join(parts, " ")
}
