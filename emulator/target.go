package emulator

import "strings"

// The one parser of call targets: a number (or SIP user), user@host, or a
// sip:/sips: URI, as typed, dialled with number=, configured for forwarding
// and DSS keys, or named in a REFER. The phone core and the SIP side
// (emulator/sipua) both address a target with TargetURI, so what the phone
// shows and what it sends agree; $local and $remote then take partyURI's
// one format.

// TargetURI is the URI a target is called at: a sip:/sips: URI as it is,
// user@host as sip:user@host, and a bare user at the line's server
// (host:port, the port kept).
func TargetURI(target, server string) string {
	switch {
	case strings.HasPrefix(target, "sip:"), strings.HasPrefix(target, "sips:"):
		return target
	case strings.Contains(target, "@"):
		return "sip:" + target
	}
	return "sip:" + target + "@" + server
}

// HostOf is the host of a "host:port" (or "host") server address as it
// stands in a URI: an IPv6 literal keeps its brackets ("[::1]:5060" gives
// "[::1]").
func HostOf(hostport string) string {
	// IPv6 literals come bracketed: "[::1]:5060".
	if len(hostport) > 0 && hostport[0] == '[' {
		for i := 1; i < len(hostport); i++ {
			if hostport[i] == ']' {
				return hostport[:i+1]
			}
		}
		return hostport
	}
	for i := len(hostport) - 1; i >= 0; i-- {
		if hostport[i] == ':' {
			return hostport[:i]
		}
	}
	return hostport
}
