// Package dialoginfo builds and parses the application/dialog-info+xml
// documents of the SIP dialog event package (RFC 4235 §4), the body of the
// NOTIFYs that drive a phone's BLF (busy lamp field) keys.
//
// Only the parts a BLF key uses are modelled: the document's version, state
// and entity, and per dialog its identifiers, direction, state (with the
// optional event and code attributes), and the local and remote identities
// and targets. Everything else a document may carry (duration, replaces,
// route sets, session descriptions, elements of other namespaces) is
// accepted and ignored on Parse.
package dialoginfo

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
)

// Namespace is the XML namespace of dialog-info documents (RFC 4235 §4.1).
const Namespace = "urn:ietf:params:xml:ns:dialog-info"

// ContentType is the MIME type of a dialog-info document (RFC 4235 §4).
const ContentType = "application/dialog-info+xml"

// MaxDocumentSize bounds what Parse reads: 64 KiB holds hundreds of dialogs,
// far more than a BLF NOTIFY ever carries.
const MaxDocumentSize = 64 << 10

// Document states (RFC 4235 §4.1): the "state" attribute of <dialog-info>
// says whether the document holds every dialog of the entity ("full") or
// only those that changed since the previous document ("partial").
const (
	StateFull    = "full"
	StatePartial = "partial"
)

// Dialog directions (RFC 4235 §4.1.1: "initiator" when the observed user
// sent the INVITE that created the dialog, "recipient" when it received it).
const (
	DirectionInitiator = "initiator"
	DirectionRecipient = "recipient"
)

// Dialog states (RFC 4235 §3.7.1, the state machine of Figure 3).
const (
	DialogTrying     = "trying"     // INVITE sent or received, no response yet
	DialogProceeding = "proceeding" // 1xx without a To tag
	DialogEarly      = "early"      // 1xx with a To tag: ringing
	DialogConfirmed  = "confirmed"  // 2xx: the call is up
	DialogTerminated = "terminated" // failure, CANCEL, BYE
)

// Lamp states of a BLF key, as returned by LampState.
const (
	LampIdle    = "idle"
	LampRinging = "ringing"
	LampBusy    = "busy"
)

// Info is one dialog-info document.
type Info struct {
	// Version orders the documents of one subscription: RFC 4235 §4.1
	// starts it at 0 and increments it by one per document sent.
	Version int
	// State is StateFull or StatePartial.
	State string
	// Entity is the observed user's address of record, e.g.
	// "sip:1002@phonesim".
	Entity string
	// Dialogs are the observed user's dialogs; none means idle.
	Dialogs []Dialog
}

// Dialog is one <dialog> element: a call of the observed user, from that
// user's point of view ("local" is the observed user).
type Dialog struct {
	ID        string // the mandatory "id" attribute, unique within the entity
	CallID    string // "call-id" attribute
	LocalTag  string // "local-tag": the observed user's tag
	RemoteTag string // "remote-tag": the peer's tag
	Direction string // DirectionInitiator, DirectionRecipient or "" (unknown)
	State     string // one of the Dialog* states
	// Event and Code are the optional attributes of <state>: why the
	// dialog changed state ("cancelled", "rejected", "replaced",
	// "local-bye", "remote-bye", "error", "timeout") and the SIP response
	// code that caused it (RFC 4235 §4.1.2). Code 0 means absent.
	Event string
	Code  int

	LocalIdentity  string // <local><identity>: the observed user's URI
	LocalDisplay   string // its "display" attribute
	LocalTarget    string // <local><target uri=...>: the observed user's contact
	RemoteIdentity string // <remote><identity>: the peer's URI
	RemoteDisplay  string // its "display" attribute
	RemoteTarget   string // <remote><target uri=...>: the peer's contact
}

// State events allowed on <state event=...> (RFC 4235 §4.1.2).
var stateEvents = map[string]bool{
	"cancelled": true, "rejected": true, "replaced": true, "local-bye": true,
	"remote-bye": true, "error": true, "timeout": true,
}

var dialogStates = map[string]bool{
	DialogTrying: true, DialogProceeding: true, DialogEarly: true,
	DialogConfirmed: true, DialogTerminated: true,
}

// LampState maps the document to what a BLF key shows, as Yealink and
// Fanvil phones do:
//
//   - "ringing" (LED blinking; a press picks the call up) when any dialog
//     is trying, proceeding or early and the observed user is not its
//     initiator: someone is calling the observed user. This wins over
//     busy, so a call waiting on a busy user blinks too.
//   - "busy" (LED steady) when any dialog is confirmed, or is trying,
//     proceeding or early with the observed user as the initiator (the
//     observed user is dialling out).
//   - "idle" (LED off) with no dialog, or only terminated ones.
//
// A dialog without a direction in an early state counts as incoming
// (Asterisk and FreeSWITCH always send "recipient" for ringing; phones
// treat an early dialog as ringing unless it says otherwise).
//
// A partial document (State "partial") only lists the dialogs that
// changed; the caller must merge it into the previous full state first.
func (i Info) LampState() string {
	ringing, busy := false, false
	for _, d := range i.Dialogs {
		switch d.State {
		case DialogConfirmed:
			busy = true
		case DialogTrying, DialogProceeding, DialogEarly:
			if d.Direction == DirectionInitiator {
				busy = true
			} else {
				ringing = true
			}
		}
	}
	switch {
	case ringing:
		return LampRinging
	case busy:
		return LampBusy
	}
	return LampIdle
}

// Validate reports the first thing in i that a dialog-info document may not
// hold (RFC 4235 §4.1 and its XML schema). Marshal and Parse apply it.
func (i Info) Validate() error {
	if i.Version < 0 {
		return fmt.Errorf("dialoginfo: version %d is negative", i.Version)
	}
	if i.State != StateFull && i.State != StatePartial {
		return fmt.Errorf("dialoginfo: document state %q, want %q or %q", i.State, StateFull, StatePartial)
	}
	if strings.TrimSpace(i.Entity) == "" {
		return errors.New("dialoginfo: entity is empty")
	}
	for n, d := range i.Dialogs {
		if err := d.validate(); err != nil {
			return fmt.Errorf("dialoginfo: dialog %d: %w", n+1, err)
		}
	}
	return nil
}

func (d Dialog) validate() error {
	if strings.TrimSpace(d.ID) == "" {
		return errors.New(`the "id" attribute is empty`)
	}
	if !dialogStates[d.State] {
		return fmt.Errorf("state %q, want trying, proceeding, early, confirmed or terminated", d.State)
	}
	if d.Direction != "" && d.Direction != DirectionInitiator && d.Direction != DirectionRecipient {
		return fmt.Errorf("direction %q, want %q or %q", d.Direction, DirectionInitiator, DirectionRecipient)
	}
	if d.Event != "" && !stateEvents[d.Event] {
		return fmt.Errorf("state event %q is not one of RFC 4235's", d.Event)
	}
	if d.Code != 0 && (d.Code < 100 || d.Code > 699) {
		return fmt.Errorf("state code %d is not a SIP response code", d.Code)
	}
	return nil
}

// parseNonNegative parses an xs:nonNegativeInteger that fits an int.
func parseNonNegative(what, s string) (int, error) {
	v, err := strconv.ParseInt(strings.TrimSpace(s), 10, 64)
	if err != nil || v < 0 || int64(int(v)) != v {
		return 0, fmt.Errorf("dialoginfo: %s %q is not a non-negative integer", what, s)
	}
	return int(v), nil
}
