package emulator

import (
	"log/slog"
	"time"
)

// Config is one phone as the core needs it. Package config fills it from
// YAML; tests build it directly.
type Config struct {
	Identity Identity
	Lines    []LineConfig // L1..L8
	DSS      []DSSKey     // D1..D10; a zero Kind is an unprogrammed key
	// RejectCode is the SIP status an incoming call gets under DND
	// (default 480 Temporarily Unavailable, as a Yealink: features.dnd_refuse_code).
	RejectCode int
	// DND and Forward are the state the phone boots in (dnd and forward
	// in the configuration file). A desk phone comes up with them as they
	// were saved: no Activate DND or Activate ... Forward event fires for
	// them. Forward entries apply in order; RingTimeout of a no-answer
	// entry as in SetForward.
	DND     bool
	Forward []SetForward
	// CallAppearances is how many calls the phone holds at once
	// (default DefaultCallAppearances); the next incoming INVITE gets
	// 486 Busy Here.
	CallAppearances int
	// RingTimeout ends an unanswered incoming call with 480 and a Missed
	// Call (default DefaultIncomingRingTimeout).
	RingTimeout time.Duration
	// Provision, if set, runs on key=AutoP on its own goroutine: it
	// fetches and applies the phone's provisioning file and ends by
	// posting ProvisionResult.
	Provision func()
	// Clock, if nil, is the wall clock (WallClock); tests set a fake
	// one to run the phone's timers in virtual time.
	Clock Clock
	// Logger, if nil, is slog.Default().
	Logger *slog.Logger
}

// LineConfig is one SIP account on a line key.
type LineConfig struct {
	User        string
	Password    string
	Server      string // host:port of the registrar / proxy
	DisplayName string
	Expires     time.Duration // REGISTER Expires (default 3600s)
	Voicemail   string
	AutoAnswer  bool
}

// MaxLines is the number of line keys (L1..L8).
const MaxLines = 8

func (c *Config) initWithDefaults() {
	if c.RejectCode == 0 {
		c.RejectCode = 480
	}
	if c.CallAppearances <= 0 {
		c.CallAppearances = DefaultCallAppearances
	}
	if c.RingTimeout <= 0 {
		c.RingTimeout = DefaultIncomingRingTimeout
	}
	if c.Clock == nil {
		c.Clock = WallClock{}
	}
	if c.Logger == nil {
		c.Logger = slog.Default()
	}
	if c.Identity.Name == "" {
		c.Identity.Name = "phone"
	}
	for i := range c.Lines {
		if c.Lines[i].Expires == 0 {
			c.Lines[i].Expires = time.Hour
		}
	}
}

// URI is the line's address of record, "sip:user@host" (host without port).
func (l LineConfig) URI() string {
	return "sip:" + l.User + "@" + HostOf(l.Server)
}
