package peers

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"strconv"
)

// Netstrings frame baresip's ctrl_tcp messages: "<length>:<bytes>,", the
// length in decimal ASCII without leading zeros (D. J. Bernstein,
// "Netstrings", 1997: "12:hello world!,").

// maxNetstring bounds one message; baresip's largest (help, reginfo) are a
// few kilobytes.
const maxNetstring = 1 << 20

// appendNetstring frames b.
func appendNetstring(dst, b []byte) []byte {
	dst = strconv.AppendInt(dst, int64(len(b)), 10)
	dst = append(dst, ':')
	dst = append(dst, b...)
	return append(dst, ',')
}

// readNetstring reads one netstring. It returns io.EOF when the stream ends
// cleanly between netstrings, and a descriptive error for malformed input.
func readNetstring(r *bufio.Reader) ([]byte, error) {
	n := 0
	digits := 0
	for {
		c, err := r.ReadByte()
		if err != nil {
			if err == io.EOF && digits > 0 {
				return nil, io.ErrUnexpectedEOF
			}
			return nil, err
		}
		if c == ':' {
			break
		}
		if c < '0' || c > '9' {
			return nil, fmt.Errorf("netstring: unexpected byte %q in length", c)
		}
		if digits > 0 && n == 0 {
			return nil, errors.New("netstring: leading zero in length")
		}
		digits++
		n = n*10 + int(c-'0')
		if n > maxNetstring {
			return nil, fmt.Errorf("netstring: length over %d bytes", maxNetstring)
		}
	}
	if digits == 0 {
		return nil, errors.New("netstring: empty length")
	}
	b := make([]byte, n+1)
	if _, err := io.ReadFull(r, b); err != nil {
		if err == io.EOF {
			err = io.ErrUnexpectedEOF
		}
		return nil, err
	}
	if b[n] != ',' {
		return nil, fmt.Errorf("netstring: %q after %d bytes, want ','", b[n], n)
	}
	return b[:n], nil
}
