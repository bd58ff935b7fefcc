// Package config reads phonesim's YAML configuration: the optional embedded
// registrar and the fleet of emulated phones, each with its SIP accounts (line
// keys L1..L8) and its Action URLs.
//
// Parse and Load are strict: an unknown field, a value of the wrong type or a
// value that does not make sense is an error, and every error names the file,
// the line and the field at fault, all of them at once:
//
//	phones.yaml:7: phones[0].sip_port: 70000 is not a port (1-65535)
//	phones.yaml:12: phones[0].action_url.incomming_call: unknown event (did you mean incoming_call?)
//
// The check runs in two passes. The first walks the YAML tree along the Go
// types and reports every unknown field, value of the wrong type and
// unknown event; only a file that passes it is decoded (by goccy/go-yaml,
// with DisallowUnknownField) and then checked for every semantic problem:
// ports, addresses, collisions, MACs, URLs. Defaults are applied last, in
// one place (File.ApplyDefaults).
//
// YAML anchors, aliases and merge keys ("<<: *base", first in its mapping)
// work, so a fleet can share settings. example.yaml in this directory
// shows every field with its default; demo.yaml is the built-in demo.
package config

import (
	"fmt"
	"log/slog"
	"strconv"
	"strings"
	"time"

	"github.com/phonesim/phonesim/emulator"
)

// File is a whole configuration file.
type File struct {
	// Registrar, if set, is the embedded registrar phonesim runs itself.
	Registrar *Registrar `yaml:"registrar,omitempty"`
	// ActionURLTimeout bounds each Action URL GET (default 5s).
	ActionURLTimeout time.Duration `yaml:"action_url_timeout,omitempty"`
	// LogLevel is debug, info (default), warn or error.
	LogLevel string `yaml:"log_level,omitempty"`
	// Phones are the emulated phones. After Parse they include the
	// phones the fleet blocks generate, after the listed ones.
	Phones []Phone `yaml:"phones"`
	// Fleet are blocks of phones generated from a template (fleet.go);
	// Parse expands them into Phones and empties this list.
	Fleet []FleetBlock `yaml:"fleet,omitempty"`
}

// Registrar is the embedded registrar (and proxy) phonesim can run.
type Registrar struct {
	// Listen is the IP:port it binds, UDP and TCP ("127.0.0.1:5060").
	Listen string `yaml:"listen"`
	// Users maps each account name to its digest password.
	Users map[string]string `yaml:"users"`
	// Realm is the digest realm (default "phonesim").
	Realm string `yaml:"realm,omitempty"`
	// Accounts generate users as fleet blocks do, for a registrar whose
	// phones run in other processes; Parse adds them to Users.
	Accounts []Accounts `yaml:"accounts,omitempty"`
}

// Phone is one emulated desk phone.
type Phone struct {
	// Name identifies the phone in logs, the web pages and scenarios.
	Name string `yaml:"name"`
	// IP is the address SIP, RTP and HTTP bind to, reported as $ip.
	IP string `yaml:"ip"`
	// SIPPort is the phone's SIP port (UDP and TCP).
	SIPPort int `yaml:"sip_port"`
	// HTTPPort serves Active URI, the status API and the web pages.
	HTTPPort int `yaml:"http_port"`
	// RTPPorts, if set, is the "low-high" range media ports come from.
	RTPPorts string `yaml:"rtp_ports,omitempty"`
	// MAC is reported as $mac, normalised to "00:a8:59:00:10:01"; when
	// empty it is derived from the phone's index (see DefaultMAC).
	MAC string `yaml:"mac,omitempty"`
	// Model is reported as $model (default "X4U").
	Model string `yaml:"model,omitempty"`
	// Firmware is reported as $firmware (default "2.12.1").
	Firmware string `yaml:"firmware,omitempty"`
	// Admin is the web / Active URI login (default admin/admin).
	Admin Admin `yaml:"admin,omitempty"`
	// DND is the do-not-disturb state the phone starts with.
	DND bool `yaml:"dnd,omitempty"`
	// RejectCode is the SIP status for calls refused under DND:
	// 480 (default, as Yealink's features.dnd_refuse_code), 486 or 603.
	RejectCode int `yaml:"reject_code,omitempty"`
	// CallAppearances is how many calls the phone holds at once (default
	// 24, Yealink's most); the next incoming INVITE gets 486 Busy Here.
	CallAppearances int `yaml:"call_appearances,omitempty"`
	// RingTimeoutSeconds ends an unanswered incoming call with 480 and a
	// Missed Call (default 120).
	RingTimeoutSeconds int `yaml:"ring_timeout_seconds,omitempty"`
	// AcceptCallsFrom is "any" (default) or "registrar": new calls only
	// from the lines' servers, others get 403 (Yealink sip.trust_ctrl).
	AcceptCallsFrom string `yaml:"accept_calls_from,omitempty"`
	// Media is what the phone plays into a call and where it records.
	Media Media `yaml:"media,omitempty"`
	// Forward is call forwarding at start (also settable in the LCD menu).
	Forward Forward `yaml:"forward,omitempty"`
	// DSS are the programmable keys D1..D10, in order.
	DSS []DSSKey `yaml:"dss,omitempty"`
	// ProvisioningURL is where key=AutoP fetches <mac>.yaml (MAC in 12
	// lowercase hex digits, e.g. 00a859001001.yaml); see Provisioned.
	ProvisioningURL string `yaml:"provisioning_url,omitempty"`
	// Lines are the SIP accounts on line keys L1..L8, at least one.
	Lines []Line `yaml:"lines"`
	// ActionURL is the URL template sent on each event; events without
	// one send nothing.
	ActionURL ActionURLs `yaml:"action_url,omitempty"`
	// ActiveURI is the Active URI switch and client allow-list (also on
	// the phone's web page Active URI).
	ActiveURI ActiveURI `yaml:"active_uri,omitempty"`
	// Origin is the fleet block the phone was generated from, if any.
	Origin Origin `yaml:"-"`
}

// ActiveURI turns Active URI commands on or off and limits the clients
// that may send them (Yealink features.action_uri_limit_ip).
type ActiveURI struct {
	// Enabled defaults to true.
	Enabled *bool `yaml:"enabled,omitempty"`
	// Allow lists client addresses: single IPs, CIDR prefixes or "any"
	// (the default, as on the hardware).
	Allow []string `yaml:"allow,omitempty"`
}

// On reports whether Active URI is turned on (the default).
func (a ActiveURI) On() bool { return a.Enabled == nil || *a.Enabled }

// Admin is the login of the phone's web pages and Active URI (spec §3:
// default admin/admin).
type Admin struct {
	User     string `yaml:"user,omitempty"`
	Password string `yaml:"password,omitempty"`
}

// Media configures the phone's audio.
type Media struct {
	// Play is what the phone sends in a call: a WAV file (8 kHz 16-bit
	// mono) or "tone:HZ" (default "tone:440").
	Play string `yaml:"play,omitempty"`
	// RecordDir, if set, is where each call is recorded.
	RecordDir string `yaml:"record_dir,omitempty"`
}

// Forward is call forwarding: each target, when set, turns its condition
// on at start (firing Activate ... Forward).
type Forward struct {
	Always   string `yaml:"always,omitempty"`    // every call
	Busy     string `yaml:"busy,omitempty"`      // calls while in a call
	NoAnswer string `yaml:"no_answer,omitempty"` // calls unanswered after NoAnswerSeconds
	// NoAnswerSeconds is the ring time before no-answer forwarding
	// (default 20).
	NoAnswerSeconds int `yaml:"no_answer_seconds,omitempty"`
}

// DSSKey is one programmable key: speed_dial, blf (busy lamp field) or
// transfer, to Value.
type DSSKey struct {
	Type  string `yaml:"type"`
	Value string `yaml:"value"`
	Label string `yaml:"label,omitempty"`
}

// Line is one SIP account on a line key.
type Line struct {
	User        string `yaml:"user"`
	Password    string `yaml:"password,omitempty"`
	Server      string `yaml:"server"` // host:port of the registrar / proxy
	DisplayName string `yaml:"display_name,omitempty"`
	// Expires is the REGISTER expiry in seconds (default 3600).
	Expires    int    `yaml:"expires,omitempty"`
	Voicemail  string `yaml:"voicemail,omitempty"`
	AutoAnswer bool   `yaml:"auto_answer,omitempty"`
	// Transport is "udp" (default) or "tcp".
	Transport string `yaml:"transport,omitempty"`
	// AutoAnswerDelay is how long an auto-answering line rings before it
	// answers (default 0s: at once); a fleet block's auto_answer sets it.
	AutoAnswerDelay time.Duration `yaml:"auto_answer_delay,omitempty"`
}

// The defaults, in one place; ApplyDefaults uses them.
const (
	DefaultActionURLTimeout = 5 * time.Second
	DefaultLogLevel         = "info"
	DefaultRealm            = "phonesim"
	DefaultModel            = "X4U"
	DefaultFirmware         = "2.12.1"
	DefaultAdminUser        = "admin"
	DefaultAdminPassword    = "admin"
	DefaultRejectCode       = 480 // 480 Temporarily Unavailable: Yealink's default (features.dnd_refuse_code)
	DefaultCallAppearances  = emulator.DefaultCallAppearances
	DefaultRingTimeout      = 120 // seconds, emulator.DefaultIncomingRingTimeout
	DefaultAcceptCallsFrom  = "any"
	DefaultPlay             = "tone:440"
	DefaultExpires          = 3600 // seconds
	DefaultTransport        = "udp"
)

// DefaultMAC is the MAC of the phone at index i (0-based) when the file
// gives none: 00:a8:59 (a Fanvil OUI) followed by i+1, so phones[0] is
// 00:a8:59:00:00:01.
func DefaultMAC(i int) string {
	n := uint32(i + 1)
	return fmt.Sprintf("00:a8:59:%02x:%02x:%02x", byte(n>>16), byte(n>>8), byte(n))
}

// ApplyDefaults fills every optional field left empty and puts MACs and
// transports in canonical form. Parse calls it after validation; it is
// idempotent.
func (f *File) ApplyDefaults() {
	if f.ActionURLTimeout == 0 {
		f.ActionURLTimeout = DefaultActionURLTimeout
	}
	f.LogLevel = strings.ToLower(f.LogLevel)
	if f.LogLevel == "" {
		f.LogLevel = DefaultLogLevel
	}
	if r := f.Registrar; r != nil && r.Realm == "" {
		r.Realm = DefaultRealm
	}
	if len(f.Phones) == 0 {
		f.Phones = nil // "phones: []" and no phones: are the same file
	}
	for i := range f.Phones {
		p := &f.Phones[i]
		if mac, ok := normaliseMAC(p.MAC); ok {
			p.MAC = mac
		}
		if p.MAC == "" {
			p.MAC = DefaultMAC(i)
		}
		if p.Model == "" {
			p.Model = DefaultModel
		}
		if p.Firmware == "" {
			p.Firmware = DefaultFirmware
		}
		if p.Admin.User == "" {
			p.Admin.User = DefaultAdminUser
		}
		if p.Admin.Password == "" {
			p.Admin.Password = DefaultAdminPassword
		}
		if p.RejectCode == 0 {
			p.RejectCode = DefaultRejectCode
		}
		if p.CallAppearances == 0 {
			p.CallAppearances = DefaultCallAppearances
		}
		if p.RingTimeoutSeconds == 0 {
			p.RingTimeoutSeconds = DefaultRingTimeout
		}
		p.AcceptCallsFrom = strings.ToLower(p.AcceptCallsFrom)
		if p.AcceptCallsFrom == "" {
			p.AcceptCallsFrom = DefaultAcceptCallsFrom
		}
		if p.Media.Play == "" {
			p.Media.Play = DefaultPlay
		}
		for j := range p.Lines {
			l := &p.Lines[j]
			if l.Expires == 0 {
				l.Expires = DefaultExpires
			}
			l.Transport = strings.ToLower(l.Transport)
			if l.Transport == "" {
				l.Transport = DefaultTransport
			}
		}
	}
}

// SlogLevel is LogLevel as a slog.Level (info if unset or unknown).
func (f *File) SlogLevel() slog.Level {
	switch strings.ToLower(f.LogLevel) {
	case "debug":
		return slog.LevelDebug
	case "warn":
		return slog.LevelWarn
	case "error":
		return slog.LevelError
	}
	return slog.LevelInfo
}

// PhoneByName returns the phone called name, or nil.
func (f *File) PhoneByName(name string) *Phone {
	for i := range f.Phones {
		if f.Phones[i].Name == name {
			return &f.Phones[i]
		}
	}
	return nil
}

// EmulatorConfig converts the phone to the core's configuration. The
// Logger is left nil (the core then uses slog.Default()).
func (p *Phone) EmulatorConfig() emulator.Config {
	cfg := emulator.Config{
		Identity: emulator.Identity{
			Name:     p.Name,
			MAC:      p.MAC,
			IP:       p.IP,
			Model:    p.Model,
			Firmware: p.Firmware,
		},
		RejectCode:      p.RejectCode,
		CallAppearances: p.CallAppearances,
		RingTimeout:     time.Duration(p.RingTimeoutSeconds) * time.Second,
	}
	for _, k := range p.DSS {
		cfg.DSS = append(cfg.DSS, emulator.DSSKey{Kind: k.Type, Value: k.Value, Label: k.Label})
	}
	for _, l := range p.Lines {
		cfg.Lines = append(cfg.Lines, emulator.LineConfig{
			User:        l.User,
			Password:    l.Password,
			Server:      l.Server,
			DisplayName: l.DisplayName,
			Expires:     time.Duration(l.Expires) * time.Second,
			Voicemail:   l.Voicemail,
			AutoAnswer:  l.AutoAnswer,
		})
	}
	return cfg
}

// SIPAddr is "ip:sip_port" (IPv6 bracketed).
func (p *Phone) SIPAddr() string { return joinHostPort(p.IP, p.SIPPort) }

// HTTPAddr is "ip:http_port" (IPv6 bracketed).
func (p *Phone) HTTPAddr() string { return joinHostPort(p.IP, p.HTTPPort) }

// RTPPortRange returns the bounds of RTPPorts; ok is false when it is unset
// or malformed (Parse rejects malformed ranges).
func (p *Phone) RTPPortRange() (low, high int, ok bool) {
	return parsePortRange(p.RTPPorts)
}

// Tone returns the frequency of a "tone:HZ" Play; ok is false for a file.
func (m Media) Tone() (hz int, ok bool) {
	rest, found := strings.CutPrefix(m.Play, "tone:")
	if !found {
		return 0, false
	}
	hz, err := strconv.Atoi(rest)
	if err != nil {
		return 0, false
	}
	return hz, true
}

// URI is the line's address of record, "sip:user@host".
func (l Line) URI() string {
	return emulator.LineConfig{User: l.User, Server: l.Server}.URI()
}
