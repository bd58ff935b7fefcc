package peers

import "testing"

// The capture reads whatever crosses lo: a short or odd datagram must not
// panic it.
func FuzzParseCaptured(f *testing.F) {
	ip := []byte{0x45, 0, 0, 48, 0, 0, 0, 0, 64, 17, 0, 0, 127, 0, 0, 1, 127, 0, 0, 2,
		0x13, 0xc4, 0x13, 0xc4, 0, 28, 0, 0}
	f.Add(append(ip, []byte("INVITE sip:a@b SIP/2.0\r\nv: SIP/2.0/UDP 127.0.0.1:5060;branch=z\r\nt: <sip:a@b>;tag=1\r\n\r\n")...))
	f.Add(ip[:20])
	f.Add([]byte{0x4f})
	f.Fuzz(func(t *testing.T, b []byte) {
		if p, ok := parseUDP(b); ok {
			parseSIPRequest(p)
		}
	})
}
