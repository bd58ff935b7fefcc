package config

import (
	"bytes"
	"fmt"

	"github.com/goccy/go-yaml"
)

// MaxProvisionSize bounds a provisioning file fetched over HTTP.
const MaxProvisionSize = 1 << 20

// Provisioned is what a phone's auto-provisioning file (<mac>.yaml at its
// provisioning_url, fetched on key=AutoP) may change at run time. Fields
// left out keep their values.
type Provisioned struct {
	DND       *bool      `yaml:"dnd,omitempty"`
	Forward   *Forward   `yaml:"forward,omitempty"`
	ActionURL ActionURLs `yaml:"action_url,omitempty"`
}

// ParseProvisioned reads a provisioning file strictly: unknown fields,
// unknown events and bad values are errors naming name:line or the field.
func ParseProvisioned(name string, data []byte) (*Provisioned, error) {
	if len(data) > MaxProvisionSize {
		return nil, fmt.Errorf("%s: %d bytes, more than %d", name, len(data), MaxProvisionSize)
	}
	var p Provisioned
	dec := yaml.NewDecoder(bytes.NewReader(data), yaml.DisallowUnknownField())
	if err := dec.Decode(&p); err != nil && err.Error() != "EOF" {
		return nil, fmt.Errorf("%s: %s", name, yaml.FormatError(err, false, false))
	}
	s := &errorSink{file: name}
	v := &validator{s: s}
	if p.Forward != nil {
		v.forward("forward", p.Forward)
	}
	for ev, raw := range p.ActionURL {
		v.actionURL("action_url."+ev.Key(), raw)
	}
	if err := s.err(); err != nil {
		return nil, err
	}
	return &p, nil
}
