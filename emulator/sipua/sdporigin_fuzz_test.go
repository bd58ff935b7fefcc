package sipua

import (
	"strings"
	"testing"
)

// mend is fed the SDP diago writes, but also answers it builds from what a
// far end offered: whatever the body, it must not panic, and a body with a
// well-formed o= line must come out with our origin, the rest unchanged.
func FuzzSDPOriginMend(f *testing.F) {
	f.Add("v=0\r\no=- 4004756237 4004756237 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\nm=audio 4000 RTP/AVP 0\r\n", "v=0\r\no=- 3592 1526 IN IP4 127.0.0.1\r\ns=-\r\na=sendonly\r\n")
	f.Add("o=", "")
	f.Add("v=0\no=1002 3592 1524 IN IP4 10.0.0.1\n", "o=a b c d e f g\r\n")
	f.Add("\r\n\r\no=- 1 2 IN IP4 x", "o=- 1 2 IN IP4 x\r\no=- 9 9 IN IP4 y\r\n")
	f.Fuzz(func(t *testing.T, first, second string) {
		var o sdpOrigins
		a := o.mend("call", []byte(first))
		b := o.mend("call", []byte(second))
		for _, c := range []struct{ in, out []byte }{{[]byte(first), a}, {[]byte(second), b}} {
			_, _, f, ok := originLine(c.in)
			if !ok {
				if string(c.out) != string(c.in) {
					t.Fatalf("body without an origin changed: %q -> %q", c.in, c.out)
				}
				continue
			}
			s, e, g, ok := originLine(c.out)
			if !ok || g[0] != "-" || strings.Join(g[3:], " ") != strings.Join(f[3:], " ") {
				t.Fatalf("mended %q -> %q (o= %q)", c.in, c.out, c.out[s:e])
			}
		}
	})
}
