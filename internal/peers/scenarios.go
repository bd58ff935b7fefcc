package peers

import (
	_ "embed"
	"fmt"
	"regexp"
	"slices"
	"strings"
)

// SIPp scenarios shipped with the harness, for SIPpOptions.Scenario. They
// hold {{NAME}} and {{NAME=default}} placeholders that SIPpOptions.Params
// fills (see ExpandScenario). Every caller scenario answers a 401 or 407
// digest challenge with the -au/-ap credentials (SIPpOptions.AuthUser and
// AuthPass) and keeps the Record-Route set, so it works directly against a
// phone and through Kamailio alike.
//
// Placeholders common to the caller scenarios:
//   - FROM_USER (default "sipp"): user part of From and Contact.
//   - FROM_DOMAIN (default "[local_ip]:[local_port]"): host of From; set it
//     to the Kamailio address when the caller must authenticate as a user of
//     that Kamailio (Kamailio challenges requests whose From is its own
//     domain).
//   - ANSWER_TIMEOUT_MS (default 10000): how long to wait for the final
//     response before the call fails.
var (
	// ScenarioCall: INVITE -> 180 (required) -> 200 -> ACK, holds the call
	// HOLD_MS (default 1000) ms, then BYE -> 200.
	//
	//go:embed scenarios/call.xml
	ScenarioCall string

	// ScenarioCancel: INVITE -> 180 (required), waits CANCEL_AFTER_MS
	// (default 500) ms, CANCEL -> 200, 487 -> ACK. A 200 for the INVITE
	// fails the call.
	//
	//go:embed scenarios/cancel.xml
	ScenarioCancel string

	// ScenarioBusy: INVITE -> optional 100/180/183 -> 486 Busy Here -> ACK
	// (a phone in DND). Any other final response fails the call. Param
	// BUSY_CODE expects another status instead (480, 603).
	//
	//go:embed scenarios/busy.xml
	ScenarioBusy string

	// ScenarioAwaitAnswer: INVITE -> optional 100/180/183 -> 200 within
	// ANSWER_TIMEOUT_MS (someone else answers the callee, for example a
	// test through Active URI) -> ACK, then streams RTP_FILE as PCMU RTP
	// (payload type 0) to the address in the answer. It then waits up to
	// HOLD_MS (default 2000) ms for the callee's BYE (answered with 200),
	// and sends BYE itself when none comes. When RTP_FILE is not given, the
	// harness writes a 1 kHz PCMU tone (ToneFile) into the SIPp directory.
	//
	//go:embed scenarios/await_answer.xml
	ScenarioAwaitAnswer string

	// ScenarioAnswer: a callee for one call. INVITE -> 180, rings RING_MS
	// (default 100) ms, 200 with PCMU SDP -> ACK, then waits for the
	// caller's BYE -> 200. Unlike SIPp's built-in uas it copies
	// Record-Route into its responses, so calls through Kamailio work.
	//
	//go:embed scenarios/answer.xml
	ScenarioAnswer string

	// ScenarioRegister: REGISTER sip:DOMAIN for the -s user (SIPpOptions.
	// Service) -> 401/407 answered with -au/-ap -> 200. Placeholders:
	// DOMAIN (default "[remote_ip]", the target's address), EXPIRES
	// (default 3600; 0 removes the binding).
	//
	//go:embed scenarios/register.xml
	ScenarioRegister string
)

// placeholder matches {{NAME}} and {{NAME=default}}; NAME is upper case.
var placeholder = regexp.MustCompile(`\{\{([A-Z][A-Z0-9_]*)(?:=([^{}]*))?\}\}`)

// ScenarioParams lists the placeholder names of a scenario, sorted.
func ScenarioParams(xml string) []string {
	var names []string
	for _, m := range placeholder.FindAllStringSubmatch(xml, -1) {
		if !slices.Contains(names, m[1]) {
			names = append(names, m[1])
		}
	}
	slices.Sort(names)
	return names
}

// ExpandScenario replaces the {{NAME}} and {{NAME=default}} placeholders of
// a scenario with params[NAME], or with the default. It fails on a
// placeholder with neither (a required parameter) and on a parameter the
// scenario does not have (a typo), naming them.
func ExpandScenario(xml string, params map[string]string) (string, error) {
	var missing []string
	out := placeholder.ReplaceAllStringFunc(xml, func(m string) string {
		sub := placeholder.FindStringSubmatch(m)
		name := sub[1]
		if v, ok := params[name]; ok {
			return v
		}
		if strings.Contains(m, "=") {
			return sub[2]
		}
		if !slices.Contains(missing, name) {
			missing = append(missing, name)
		}
		return m
	})
	known := ScenarioParams(xml)
	has := strings.Join(known, ", ")
	if has == "" {
		has = "none"
	}
	var unknown []string
	for name := range params {
		if !slices.Contains(known, name) {
			unknown = append(unknown, name)
		}
	}
	slices.Sort(unknown)
	switch {
	case len(missing) > 0:
		return "", fmt.Errorf("scenario needs parameter(s) %s (it has %s)", strings.Join(missing, ", "), has)
	case len(unknown) > 0:
		return "", fmt.Errorf("scenario has no parameter(s) %s (it has %s)", strings.Join(unknown, ", "), has)
	}
	return out, nil
}
