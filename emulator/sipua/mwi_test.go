package sipua

import "testing"

func TestParseMessageSummary(t *testing.T) {
	for body, want := range map[string][3]int{
		"Messages-Waiting: yes\r\nMessage-Account: sip:*97@pbx\r\nVoice-Message: 2/8 (0/2)\r\n": {1, 2, 8},
		"Messages-Waiting: no\r\n":                    {0, 0, 0},
		"messages-waiting: YES\nvoice-message: 1/0\n": {1, 1, 0},
		"garbage":                 {0, 0, 0},
		"Voice-Message: -3/x\r\n": {0, 0, 0},
	} {
		mw := parseMessageSummary(body)
		got := [3]int{0, mw.New, mw.Old}
		if mw.Waiting {
			got[0] = 1
		}
		if got != want {
			t.Errorf("%q: got %v, want %v", body, got, want)
		}
	}
}

func FuzzParseMessageSummary(f *testing.F) {
	f.Add("Messages-Waiting: yes\r\nVoice-Message: 2/8 (0/2)\r\n")
	f.Add(":\n:\n")
	f.Fuzz(func(t *testing.T, body string) {
		mw := parseMessageSummary(body)
		if mw.New < 0 || mw.Old < 0 {
			t.Fatalf("negative counts from %q: %+v", body, mw)
		}
	})
}
