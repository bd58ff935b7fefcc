package registrar

import (
	"testing"

	"github.com/phonesim/phonesim/internal/torture"
)

// Every RFC 4475 message against the live registrar with a phone
// registered (issue 7): each valid request is answered (valid longreq.dat
// is 3.5 KB, and its 407 used to fail with "larger than MTU"), responses
// are not, and no invalid message is accepted: it gets an error or is
// dropped. Nothing is relayed to the corpus's example.com hosts: that
// would need DNS, which the relay policy does not do (relay.go).
func TestRFC4475CorpusAgainstRegistrar(t *testing.T) {
	r := startRegistrar(t, Config{})
	phone := newRawUA(t, "1002")
	phone.register(r, "1002", 300)
	for _, kind := range []string{"valid", "invalid"} {
		msgs, err := torture.Load("../testdata/rfc4475", kind)
		if err != nil {
			t.Fatal(err)
		}
		for name, msg := range msgs {
			t.Run(kind+"/"+name, func(t *testing.T) {
				got, err := torture.Probe(r.Addr(), msg)
				if err != nil {
					t.Fatal(err)
				}
				t.Logf("%d bytes: %v", len(msg), got)
				switch {
				case torture.IsResponse(msg):
					if len(got) > 0 {
						t.Errorf("a response was answered: %v", got)
					}
				case kind == "valid":
					if len(got) == 0 || torture.StatusCode(got[len(got)-1]) < 200 {
						t.Errorf("valid request not answered: %v", got)
					}
				default:
					for _, line := range got {
						if code := torture.StatusCode(line); code >= 200 && code < 400 {
							t.Errorf("invalid request accepted: %s", line)
						}
					}
				}
			})
		}
	}
}
