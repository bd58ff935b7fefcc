package scenarios

import (
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/goccy/go-yaml/ast"

	"github.com/phonesim/phonesim/emulator"
)

// stateChecks reads expect_state, a mapping of conditions on the phone's
// snapshot (the state its status API shows):
//
//	hook: on|off            dnd: true|false        busy: true|false
//	line: {L1: registered}  call: talking           calls: 2
//	forward: {always: "1003"} or {busy: off}
//	led: {MSG: blink}       lamp: {D1: ringing}     muted: true
//	volume: 5               voicemail: {new: 2, old: 8}
//	provision: ok           ip: 127.0.0.1           pickup: D1
func (p *parse) stateChecks(v ast.Node, at int) []StateCheck {
	values, ok := p.mapping(v, at, "expect_state")
	if !ok {
		return nil
	}
	var out []StateCheck
	for _, mv := range values {
		l := line(mv.Key)
		key := keyOf(mv)
		switch key {
		case "line", "forward", "led", "lamp", "voicemail":
			sub, ok := p.mapping(mv.Value, l, "expect_state."+key)
			if !ok {
				continue
			}
			for _, s := range sub {
				if c, ok := p.subCheck(key, keyOf(s), s.Value, line(s.Key)); ok {
					out = append(out, c)
				}
			}
			continue
		}
		want, ok := p.scalar(mv.Value, l, "expect_state."+key)
		if !ok {
			continue
		}
		if c, ok := p.check(key, want, l); ok {
			out = append(out, c)
		}
	}
	if len(out) == 0 && len(values) == 0 {
		p.errf(at, "expect_state: no condition")
	}
	return out
}

func (p *parse) check(key, want string, l int) (StateCheck, bool) {
	c := StateCheck{What: key, Want: want}
	bad := func(allowed string) (StateCheck, bool) {
		p.errf(l, "expect_state.%s: %q: want %s", key, want, allowed)
		return c, false
	}
	switch key {
	case "hook":
		var hook emulator.Hook
		if hook.UnmarshalText([]byte(want+"_hook")) != nil {
			return bad("on or off")
		}
		c.test = func(s emulator.Snapshot) (string, bool) {
			return strings.TrimSuffix(s.Hook.String(), "_hook"), s.Hook == hook
		}
	case "dnd", "busy", "muted":
		b, ok := parseBool(want)
		if !ok {
			return bad("true or false")
		}
		c.Want = strconv.FormatBool(b)
		c.test = func(s emulator.Snapshot) (string, bool) {
			got := map[string]bool{"dnd": s.DND, "busy": s.Busy, "muted": s.Muted}[key]
			return strconv.FormatBool(got), got == b
		}
	case "call":
		var state emulator.CallState
		if state.UnmarshalText([]byte(want)) != nil || state == emulator.CallNew || state == emulator.CallEnded {
			return bad("calling, ringback, ringing, talking, held or conference")
		}
		c.What = "a call"
		c.test = func(s emulator.Snapshot) (string, bool) {
			got := make([]string, len(s.Calls))
			found := false
			for i, call := range s.Calls {
				got[i] = call.State.String()
				found = found || call.State == state
			}
			return "calls [" + strings.Join(got, " ") + "]", found
		}
	case "calls", "volume":
		n, err := strconv.Atoi(want)
		if err != nil || n < 0 || n > 99 {
			return bad("a number")
		}
		c.test = func(s emulator.Snapshot) (string, bool) {
			got := s.Volume
			if key == "calls" {
				got = len(s.Calls)
			}
			return strconv.Itoa(got), got == n
		}
	case "provision":
		if !slices.Contains([]string{"never", "running", "ok", "failed"}, want) {
			return bad("never, running, ok or failed")
		}
		c.test = func(s emulator.Snapshot) (string, bool) { return s.Provision.State, s.Provision.State == want }
	case "ip":
		c.test = func(s emulator.Snapshot) (string, bool) { return s.Identity.IP, s.Identity.IP == want }
	case "pickup":
		// pickup: D1 - the BLF key can pick the watched call up (its
		// early dialog is known).
		n, err := strconv.Atoi(strings.TrimPrefix(want, "D"))
		if !strings.HasPrefix(want, "D") || err != nil || n < 1 || n > 10 {
			return bad("a DSS key D1-D10")
		}
		c.What = "pickup ready on"
		c.test = func(s emulator.Snapshot) (string, bool) {
			for _, d := range s.DSS {
				if d.Key == n {
					return strconv.FormatBool(d.Pickup), d.Pickup
				}
			}
			return "not programmed", false
		}
	default:
		p.errf(l, "expect_state: unknown key %q (want hook, dnd, busy, muted, line, call, calls, forward, led, lamp, volume, voicemail, provision, ip, pickup)", key)
		return c, false
	}
	return c, true
}

// subCheck is one entry of line:, forward:, led:, lamp: or voicemail:.
func (p *parse) subCheck(group, key string, v ast.Node, l int) (StateCheck, bool) {
	want, ok := p.scalar(v, l, "expect_state."+group+"."+key)
	if !ok {
		return StateCheck{}, false
	}
	c := StateCheck{What: group + " " + key, Want: want}
	bad := func(allowed string) (StateCheck, bool) {
		p.errf(l, "expect_state.%s.%s: %q: want %s", group, key, want, allowed)
		return c, false
	}
	switch group {
	case "line":
		n, err := strconv.Atoi(strings.TrimPrefix(key, "L"))
		if !strings.HasPrefix(key, "L") || err != nil || n < 1 || n > emulator.MaxLines {
			p.errf(l, "expect_state.line: %q: want L1-L8", key)
			return c, false
		}
		var reg emulator.RegState
		if reg.UnmarshalText([]byte(want)) != nil {
			return bad("registered, registering, unregistered or failed")
		}
		c.test = func(s emulator.Snapshot) (string, bool) {
			for _, ls := range s.Lines {
				if ls.Line == n {
					return ls.Registration.String(), ls.Registration == reg
				}
			}
			return "no such line", false
		}
	case "forward":
		kinds := map[string]emulator.ForwardKind{"always": emulator.ForwardAlways, "busy": emulator.ForwardBusy, "no_answer": emulator.ForwardNoAnswer}
		kind, ok := kinds[key]
		if !ok {
			p.errf(l, "expect_state.forward: %q: want always, busy or no_answer", key)
			return c, false
		}
		off := strings.EqualFold(want, "off") || want == "false"
		c.test = func(s emulator.Snapshot) (string, bool) {
			f := s.Forward[kind]
			if !f.On {
				return "off", off
			}
			return f.Target, !off && f.Target == want
		}
	case "led":
		if _, ok := (emulator.LCD{}).LED(key); !ok {
			p.errf(l, "expect_state.led: %q: want L1-L8, D1-D10, MSG, DND or HEADSET", key)
			return c, false
		}
		var led emulator.LED
		if led.UnmarshalText([]byte(want)) != nil {
			return bad("on, off or blink")
		}
		c.test = func(s emulator.Snapshot) (string, bool) {
			got, _ := s.LCD.LED(key)
			return got.String(), got == led
		}
	case "lamp":
		n, err := strconv.Atoi(strings.TrimPrefix(key, "D"))
		if !strings.HasPrefix(key, "D") || err != nil || n < 1 || n > 10 {
			p.errf(l, "expect_state.lamp: %q: want D1-D10", key)
			return c, false
		}
		var lamp emulator.BLFLamp
		if lamp.UnmarshalText([]byte(want)) != nil || lamp == emulator.BLFNone {
			return bad("idle, ringing or busy")
		}
		c.test = func(s emulator.Snapshot) (string, bool) {
			for _, d := range s.DSS {
				if d.Key == n {
					return d.Lamp.String(), d.Lamp == lamp
				}
			}
			return "not programmed", false
		}
	case "voicemail":
		n, err := strconv.Atoi(want)
		if (key != "new" && key != "old") || err != nil || n < 0 {
			p.errf(l, "expect_state.voicemail: want new: N and/or old: N")
			return c, false
		}
		c.test = func(s emulator.Snapshot) (string, bool) {
			got := 0
			for _, vm := range s.Voicemail {
				if key == "new" {
					got += vm.New
				} else {
					got += vm.Old
				}
			}
			return strconv.Itoa(got), got == n
		}
	}
	return c, true
}

// Test reports what the snapshot shows for the condition and whether it
// holds.
func (c StateCheck) Test(s emulator.Snapshot) (got string, ok bool) { return c.test(s) }

func (c StateCheck) String() string { return fmt.Sprintf("%s %s", c.What, c.Want) }
