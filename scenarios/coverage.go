package scenarios

import (
	"slices"
	"strings"

	"github.com/phonesim/phonesim/keypad"
)

// Coverage is, for each event key and each key name, the scenario files
// (base names) that assert the event (expect_event) or press the key.
type Coverage struct {
	Events map[string][]string // "incoming_call" -> ["basic_call.yaml", ...]
	Keys   map[string][]string // canonical key name ("F_TRANSFER") -> files
}

// CoverageOf collects what the scenarios assert and press: expect_event
// steps, press and dial keys, hook (SPEAKER, X), set dnd (DNDON, DNDOFF)
// and the key= of uri steps.
func CoverageOf(list []*Scenario) Coverage {
	c := Coverage{Events: map[string][]string{}, Keys: map[string][]string{}}
	add := func(m map[string][]string, k, file string) {
		if !slices.Contains(m[k], file) {
			m[k] = append(m[k], file)
		}
	}
	for _, sc := range list {
		file := baseName(sc.Path)
		for _, st := range sc.Steps {
			if st.Kind == KindExpectEvent {
				add(c.Events, st.Event.Key(), file)
			}
			for _, k := range st.PressedKeys() {
				add(c.Keys, k.String(), file)
			}
		}
	}
	for _, m := range []map[string][]string{c.Events, c.Keys} {
		for k := range m {
			slices.Sort(m[k])
		}
	}
	return c
}

func baseName(path string) string {
	if i := strings.LastIndexAny(path, `/\`); i >= 0 {
		return path[i+1:]
	}
	return path
}

// PressedKeys are the keys the step presses through Active URI.
func (s Step) PressedKeys() []keypad.Key {
	var names []string
	switch s.Kind {
	case KindPress:
		names = s.Keys
	case KindDial:
		for _, c := range s.Dial {
			names = append(names, string(c))
		}
		names = append(names, "OK")
	case KindHook:
		names = []string{map[string]string{"off": "SPEAKER", "on": "X"}[s.Hook]}
	case KindSet:
		if s.Set.DND != nil {
			names = []string{map[bool]string{true: "DNDOn", false: "DNDOff"}[*s.Set.DND]}
		}
	case KindURI:
		for seg := range strings.SplitSeq(s.URI, "&") {
			if name, v, ok := strings.Cut(seg, "="); ok && strings.EqualFold(name, "key") {
				names = append(names, strings.Split(v, ";")...)
			}
		}
	}
	var out []keypad.Key
	for _, n := range names {
		if k, err := keypad.Parse(n); err == nil {
			out = append(out, k)
		}
	}
	return out
}
