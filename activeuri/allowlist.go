package activeuri

import (
	"fmt"
	"net/netip"
	"strings"
	"sync/atomic"
)

// AllowList is the Active URI switch and client allow-list a phone's web
// page edits while the phone runs (Yealink: features.action_uri.enable and
// features.action_uri_limit_ip, "any" by default). It guards only the
// Active URI path, as on the hardware: the web pages stay reachable so
// that an administrator cannot lock themselves out by a typo. Safe for
// concurrent use; the zero value is off with no list (use NewAllowList).
type AllowList struct {
	state atomic.Pointer[allowState]
}

type allowState struct {
	enabled bool
	any     bool
	entries []string
	nets    []netip.Prefix
}

// NewAllowList parses entries (see ParseAllowList); an empty list means
// "any".
func NewAllowList(enabled bool, entries []string) (*AllowList, error) {
	a := &AllowList{}
	if err := a.Set(enabled, entries); err != nil {
		return nil, err
	}
	return a, nil
}

// Set replaces the switch and the list at once; on error nothing changes.
func (a *AllowList) Set(enabled bool, entries []string) error {
	nets, anyIP, clean, err := ParseAllowList(entries)
	if err != nil {
		return err
	}
	a.state.Store(&allowState{enabled: enabled, any: anyIP, entries: clean, nets: nets})
	return nil
}

// Enabled reports whether Active URI commands are served at all.
func (a *AllowList) Enabled() bool {
	s := a.state.Load()
	return s != nil && s.enabled
}

// Entries is the list as set, normalised ("any" when empty).
func (a *AllowList) Entries() []string {
	s := a.state.Load()
	if s == nil {
		return nil
	}
	return append([]string(nil), s.entries...)
}

// Allows reports whether client may send Active URI commands.
func (a *AllowList) Allows(client netip.Addr) bool {
	s := a.state.Load()
	if s == nil || !s.enabled {
		return false
	}
	if s.any {
		return true
	}
	for _, p := range s.nets {
		if p.Contains(client) {
			return true
		}
	}
	return false
}

// ParseAllowList reads allow-list entries: "any", a single address
// ("192.0.2.7", "::1") or a CIDR prefix ("10.0.0.0/8"). Blank entries are
// skipped; no entry at all means any. clean is the normalised list.
func ParseAllowList(entries []string) (nets []netip.Prefix, anyIP bool, clean []string, err error) {
	for i, e := range entries {
		e = strings.TrimSpace(e)
		switch {
		case e == "":
			continue
		case strings.EqualFold(e, "any"):
			anyIP = true
			clean = append(clean, "any")
		case strings.Contains(e, "/"):
			p, perr := netip.ParsePrefix(e)
			if perr != nil {
				return nil, false, nil, fmt.Errorf("allow-list entry %d: %q is not an address, a CIDR prefix or \"any\"", i+1, e)
			}
			p = netip.PrefixFrom(p.Addr().Unmap(), p.Bits()).Masked()
			nets = append(nets, p)
			clean = append(clean, p.String())
		default:
			ip, perr := netip.ParseAddr(e)
			if perr != nil {
				return nil, false, nil, fmt.Errorf("allow-list entry %d: %q is not an address, a CIDR prefix or \"any\"", i+1, e)
			}
			ip = ip.Unmap().WithZone("")
			nets = append(nets, netip.PrefixFrom(ip, ip.BitLen()))
			clean = append(clean, ip.String())
		}
	}
	if len(clean) == 0 {
		anyIP, clean = true, []string{"any"}
	}
	return nets, anyIP, clean, nil
}
