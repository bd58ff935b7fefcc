package emulator

import "strings"

// partyURI is the one format of $local and $remote: sip:USER@HOST, the
// scheme, user and host of a party's URI without port, URI parameters or
// headers. The same party then looks the same whether it came from a To
// header (sip:1003@127.0.0.1:45060), a number dialled (sip:1003@127.0.0.1)
// or a REFER's Refer-To (sip:1001@127.0.0.1:45071;transport=udp). A value
// that is not a sip:/sips: URI is returned as it is.
func partyURI(raw string) string {
	raw = strings.TrimSpace(raw)
	raw = strings.TrimSuffix(strings.TrimPrefix(raw, "<"), ">")
	var scheme string
	switch {
	case strings.HasPrefix(raw, "sip:"):
		scheme = "sip:"
	case strings.HasPrefix(raw, "sips:"):
		scheme = "sips:"
	default:
		return raw
	}
	rest := raw[len(scheme):]
	user, hostpart, hasUser := strings.Cut(rest, "@")
	if !hasUser {
		user, hostpart = "", rest
	}
	if i := strings.IndexAny(hostpart, ";?"); i >= 0 {
		hostpart = hostpart[:i]
	}
	host := HostOf(hostpart)
	if !hasUser {
		return scheme + host
	}
	return scheme + user + "@" + host
}
