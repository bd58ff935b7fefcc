package peers

import (
	"regexp"
	"testing"
	"time"
)

// linphone registers with Kamailio (digest), and a SIPp caller reaches it
// through Kamailio: linphone answers by itself (-a) and the call ends.
func TestLinphoneAnswersThroughKamailio(t *testing.T) {
	k := Kamailio(t, KamailioOptions{Users: map[string]string{"bob": "bob-pw"}})
	bob := Linphone(t, LinphoneOptions{User: "bob", Password: "bob-pw", Registrar: k.Addr(), AutoAnswer: true})
	uac := SIPp(t, SIPpOptions{Scenario: ScenarioCall, Target: k.Addr(), Service: "bob", Params: map[string]string{"HOLD_MS": "1500"}})
	if err := uac.Wait(15 * time.Second); err != nil {
		t.Fatalf("%v\n%s", err, bob.Output())
	}
	if testing.Verbose() {
		t.Log(bob.Output())
	}
	if err := bob.WaitOutput(regexp.MustCompile(`Call \d+ with .* connected`), 5*time.Second); err != nil {
		t.Error(err)
	}
}
