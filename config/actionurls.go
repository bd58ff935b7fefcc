package config

import (
	"fmt"

	"github.com/goccy/go-yaml"

	"github.com/phonesim/phonesim/emulator"
)

// ActionURLs maps each event to its URL template (spec §2: "each event has
// its own configurable URL"). In YAML the keys are the event keys of
// emulator.ParseEventKey ("incoming_call"); an empty value means no URL.
// It converts freely to and from map[emulator.EventType]string.
type ActionURLs map[emulator.EventType]string

// UnmarshalYAML reads the map keyed by event key. Parse checks the keys and
// URLs first, with line numbers; this is the conversion.
func (a *ActionURLs) UnmarshalYAML(unmarshal func(any) error) error {
	var raw map[string]string
	if err := unmarshal(&raw); err != nil {
		return err
	}
	if len(raw) == 0 {
		*a = nil
		return nil
	}
	out := make(ActionURLs, len(raw))
	for key, url := range raw {
		ev, err := emulator.ParseEventKey(key)
		if err != nil {
			return err
		}
		if url != "" {
			out[ev] = url
		}
	}
	*a = out
	return nil
}

// MarshalYAML writes the map keyed by event key, in the spec's event order.
func (a ActionURLs) MarshalYAML() (any, error) {
	var out yaml.MapSlice
	for _, ev := range emulator.ActionEvents() {
		if url, ok := a[ev]; ok {
			out = append(out, yaml.MapItem{Key: ev.Key(), Value: url})
		}
	}
	for ev := range a {
		if ev.Key() == "" {
			return nil, fmt.Errorf("action_url: %v is not an Action URL event", ev)
		}
	}
	return out, nil
}
