package peers

import (
	"bufio"
	"bytes"
	"errors"
	"io"
	"strings"
	"testing"
)

func TestNetstringRoundTrip(t *testing.T) {
	var stream []byte
	msgs := []string{"", "hello world!", `{"command":"dial","params":"sip:bob@127.0.0.1"}`, strings.Repeat("x", 5000)}
	for _, m := range msgs {
		stream = appendNetstring(stream, []byte(m))
	}
	if got := string(appendNetstring(nil, []byte("hello world!"))); got != "12:hello world!," {
		t.Fatalf("appendNetstring = %q, want the example of the netstring spec", got)
	}
	r := bufio.NewReader(bytes.NewReader(stream))
	for _, want := range msgs {
		got, err := readNetstring(r)
		if err != nil || string(got) != want {
			t.Fatalf("readNetstring = %.40q, %v; want %.40q", got, err, want)
		}
	}
	if _, err := readNetstring(r); err != io.EOF {
		t.Fatalf("at the end: err = %v, want io.EOF", err)
	}
}

func TestNetstringRejectsMalformedInput(t *testing.T) {
	for _, in := range []string{
		"5:hello!",       // wrong terminator
		"5hello,",        // no colon
		":,",             // empty length
		"05:hello,",      // leading zero
		"-1:,",           // sign
		"3:ab",           // truncated
		"12",             // truncated length
		"99999999999:x,", // too long
	} {
		_, err := readNetstring(bufio.NewReader(strings.NewReader(in)))
		if err == nil || errors.Is(err, io.EOF) {
			t.Errorf("readNetstring(%q) err = %v, want a descriptive error", in, err)
		}
	}
}

func FuzzReadNetstring(f *testing.F) {
	for _, s := range []string{"12:hello world!,", "0:,", "3:ab", "05:hello,", "2:{},1:x,", "999999999:"} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, in []byte) {
		r := bufio.NewReader(bytes.NewReader(in))
		for {
			b, err := readNetstring(r)
			if err != nil {
				return
			}
			if len(b) > maxNetstring {
				t.Fatalf("message of %d bytes accepted", len(b))
			}
			// What was read re-encodes to a prefix of the input.
			if enc := appendNetstring(nil, b); !bytes.Contains(in, enc) {
				t.Fatalf("read %q, whose encoding %q is not in the input", b, enc)
			}
		}
	})
}
