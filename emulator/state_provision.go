package emulator

import (
	"errors"
	"time"
)

// ErrNoProvisioning is returned by key=AutoP on a phone without a
// provisioning URL.
var ErrNoProvisioning = errors.New("no provisioning URL configured")

// ProvisionResult ends an auto-provisioning run started by key=AutoP. The
// provisioner applies what it fetched with ordinary inputs (SetDND,
// SetForward) before posting it.
type ProvisionResult struct {
	URL     string
	Applied []string // what changed, e.g. "dnd", "forward", "action_url"
	Err     string
}

func (ProvisionResult) input() {}

// ProvisionStatus is the last auto-provisioning run, for the status API.
type ProvisionStatus struct {
	State   string    `json:"state"` // "never", "running", "ok", "failed"
	URL     string    `json:"url,omitempty"`
	At      time.Time `json:"at,omitzero"`
	Applied []string  `json:"applied,omitempty"`
	Error   string    `json:"error,omitempty"`
}

// autoProvision is key=AutoP: the configured provisioner fetches and
// applies the phone's file off the loop.
func (s *state) autoProvision() error {
	prov := s.p.cfg.Provision
	if prov == nil {
		return ErrNoProvisioning
	}
	if s.provision.State == "running" {
		return nil
	}
	s.provision = ProvisionStatus{State: "running", At: s.p.cfg.Clock.Now()}
	go prov()
	return nil
}

func (s *state) onProvisionResult(in ProvisionResult) {
	st := ProvisionStatus{State: "ok", URL: in.URL, At: s.p.cfg.Clock.Now(), Applied: in.Applied, Error: in.Err}
	if in.Err != "" {
		st.State = "failed"
		s.notice = "Provisioning failed"
	}
	s.provision = st
}
