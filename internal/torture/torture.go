// Package torture sends the RFC 4475 torture corpus (testdata/rfc4475) to a
// live SIP element over UDP on loopback and reports what came back; the
// phone's and the registrar's corpus tests use it.
package torture

import (
	"bytes"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"time"
)

// Load reads every message of one part of the corpus ("valid" or
// "invalid") under dir, by name without ".dat".
func Load(dir, kind string) (map[string][]byte, error) {
	files, err := filepath.Glob(filepath.Join(dir, kind, "*.dat"))
	if err != nil {
		return nil, err
	}
	if len(files) == 0 {
		return nil, fmt.Errorf("no %s messages in %s", kind, dir)
	}
	out := map[string][]byte{}
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			return nil, err
		}
		out[strings.TrimSuffix(filepath.Base(f), ".dat")] = b
	}
	return out, nil
}

// IsResponse reports whether msg is a response (which nobody answers).
func IsResponse(msg []byte) bool { return bytes.HasPrefix(msg, []byte("SIP/2.0 ")) }

// topVia finds the sent-by of the first Via header field (full or compact
// form, any case, folded or not).
var topVia = regexp.MustCompile(`(?im)^(?:via|v)[ \t]*:[ \t]*SIP[ \t]*/[ \t]*2\.0[ \t]*/[ \t]*[a-z]+[ \t\r\n]+([^;,\s]+)`)

// ViaTo points the message's top Via sent-by at addr and changes nothing
// else: an element answers a UDP request at the source address and the
// Via's port (RFC 3261 §18.2.2), and the corpus names hosts like
// 192.0.2.1:5060.
func ViaTo(msg []byte, addr string) []byte {
	loc := topVia.FindSubmatchIndex(msg)
	if loc == nil {
		return msg
	}
	out := append([]byte{}, msg[:loc[2]]...)
	out = append(out, addr...)
	return append(out, msg[loc[3]:]...)
}

// Probe sends msg (its top Via pointed at the sending socket) from a fresh
// socket on 127.0.0.1 to addr and returns the status lines of the
// responses: until a final one, or until nothing came for 500 ms, at most
// 3 s.
func Probe(addr string, msg []byte) ([]string, error) {
	c, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	defer c.Close()
	dst, err := net.ResolveUDPAddr("udp", addr)
	if err != nil {
		return nil, err
	}
	if _, err := c.WriteTo(ViaTo(msg, c.LocalAddr().String()), dst); err != nil {
		return nil, fmt.Errorf("send %d bytes: %w", len(msg), err)
	}
	var got []string
	buf := make([]byte, 65535)
	end := time.Now().Add(3 * time.Second)
	for time.Now().Before(end) {
		quiet := time.Now().Add(500 * time.Millisecond)
		if quiet.After(end) {
			quiet = end
		}
		_ = c.SetReadDeadline(quiet)
		n, _, err := c.ReadFrom(buf)
		if err != nil {
			break
		}
		line, _, _ := strings.Cut(string(buf[:n]), "\r\n")
		got = append(got, line)
		if StatusCode(line) >= 200 {
			break
		}
	}
	return got, nil
}

// StatusCode is the code of a status line, 0 if it is not one.
func StatusCode(line string) int {
	f := strings.Fields(line)
	if len(f) < 2 || f[0] != "SIP/2.0" || len(f[1]) != 3 {
		return 0
	}
	n := 0
	for _, d := range f[1] {
		if d < '0' || d > '9' {
			return 0
		}
		n = n*10 + int(d-'0')
	}
	return n
}
