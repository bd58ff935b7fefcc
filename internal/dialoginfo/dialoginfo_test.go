package dialoginfo

import (
	"bytes"
	"reflect"
	"strings"
	"testing"

	"go.uber.org/goleak"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// rfcTrying is the first example of RFC 4235 §5 (an outgoing call trying).
const rfcTrying = `<?xml version="1.0"?>
<dialog-info xmlns="urn:ietf:params:xml:ns:dialog-info"
          version="0" state="full" entity="sip:alice@example.com">
  <dialog id="as7d900as8" call-id="a84b4c76e66710"
          local-tag="1928301774" direction="initiator">
    <state>trying</state>
  </dialog>
</dialog-info>`

// asteriskEarly is shaped like Asterisk's (res_pjsip_dialog_info_body_generator)
// NOTIFY for a ringing extension: remote before local, state last.
const asteriskEarly = `<?xml version="1.0" encoding="UTF-8"?>
<dialog-info xmlns="urn:ietf:params:xml:ns:dialog-info" version="3" state="full" entity="sip:1002@192.0.2.10">
 <dialog id="1002" call-id="pickup-3f2a" local-tag="a1" remote-tag="b2" direction="recipient">
  <remote>
   <identity display="Alice">sip:1001@192.0.2.10</identity>
   <target uri="sip:**1002@192.0.2.10"/>
  </remote>
  <local>
   <identity display="Bob">sip:1002@192.0.2.10</identity>
   <target uri="sip:1002@192.0.2.10"/>
  </local>
  <state>early</state>
 </dialog>
</dialog-info>`

// prefixed uses a namespace prefix and carries elements of RFC 4235 and of
// another namespace that this package ignores.
const prefixed = `<d:dialog-info xmlns:d="urn:ietf:params:xml:ns:dialog-info" xmlns:x="urn:example:ext"
   version=" 12 " state="partial" entity="sip:1002@phonesim">
  <d:dialog id="x1" direction="initiator">
    <d:duration>274</d:duration>
    <d:state event="remote-bye" code="200"> terminated </d:state>
    <x:extra><d:state>confirmed</d:state></x:extra>
    <d:local><d:identity> sip:1002@phonesim </d:identity><d:target uri="sip:1002@127.0.0.1:5070"><d:param pname="+sip.rendering" pval="yes"/></d:target></d:local>
  </d:dialog>
  <x:note>ignored</x:note>
  <!-- a comment -->
</d:dialog-info>
<!-- trailing comment -->
`

func TestParseValid(t *testing.T) {
	tests := []struct {
		name string
		doc  string
		want Info
	}{
		{"RFC 4235 example", rfcTrying, Info{Version: 0, State: StateFull, Entity: "sip:alice@example.com", Dialogs: []Dialog{{
			ID: "as7d900as8", CallID: "a84b4c76e66710", LocalTag: "1928301774", Direction: DirectionInitiator, State: DialogTrying,
		}}}},
		{"Asterisk ringing", asteriskEarly, Info{Version: 3, State: StateFull, Entity: "sip:1002@192.0.2.10", Dialogs: []Dialog{{
			ID: "1002", CallID: "pickup-3f2a", LocalTag: "a1", RemoteTag: "b2", Direction: DirectionRecipient, State: DialogEarly,
			LocalIdentity: "sip:1002@192.0.2.10", LocalDisplay: "Bob", LocalTarget: "sip:1002@192.0.2.10",
			RemoteIdentity: "sip:1001@192.0.2.10", RemoteDisplay: "Alice", RemoteTarget: "sip:**1002@192.0.2.10",
		}}}},
		{"prefixed namespace with extensions", prefixed, Info{Version: 12, State: StatePartial, Entity: "sip:1002@phonesim", Dialogs: []Dialog{{
			ID: "x1", Direction: DirectionInitiator, State: DialogTerminated, Event: "remote-bye", Code: 200,
			LocalIdentity: "sip:1002@phonesim", LocalTarget: "sip:1002@127.0.0.1:5070",
		}}}},
		{"idle, no dialogs", `<dialog-info xmlns="urn:ietf:params:xml:ns:dialog-info" version="7" state="full" entity="sip:1002@phonesim"/>`,
			Info{Version: 7, State: StateFull, Entity: "sip:1002@phonesim"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := Parse([]byte(tt.doc))
			if err != nil {
				t.Fatalf("Parse: %v", err)
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Fatalf("Parse =\n%+v\nwant\n%+v", got, tt.want)
			}
		})
	}
}

func TestParseInvalid(t *testing.T) {
	const head = `<dialog-info xmlns="urn:ietf:params:xml:ns:dialog-info" version="1" state="full" entity="sip:a@b">`
	tests := []struct {
		name, doc, wantErr string
	}{
		{"empty", "", "empty document"},
		{"white space only", "  \n ", "empty document"},
		{"not XML", "SIP/2.0 200 OK", "text before the root element"},
		{"no namespace", `<dialog-info version="1" state="full" entity="sip:a@b"/>`, "<dialog-info> (no namespace)"},
		{"wrong namespace", `<dialog-info xmlns="urn:ietf:params:xml:ns:pidf" version="1" state="full" entity="sip:a@b"/>`, `namespace "urn:ietf:params:xml:ns:pidf"`},
		{"undeclared prefix", `<d:dialog-info version="1" state="full" entity="sip:a@b"/>`, "want <dialog-info>"},
		{"wrong root", `<presence xmlns="urn:ietf:params:xml:ns:dialog-info"/>`, "root element is <presence>"},
		{"missing version", `<dialog-info xmlns="urn:ietf:params:xml:ns:dialog-info" state="full" entity="sip:a@b"/>`, `no "version" attribute`},
		{"negative version", `<dialog-info xmlns="urn:ietf:params:xml:ns:dialog-info" version="-1" state="full" entity="sip:a@b"/>`, "not a non-negative integer"},
		{"huge version", `<dialog-info xmlns="urn:ietf:params:xml:ns:dialog-info" version="99999999999999999999" state="full" entity="sip:a@b"/>`, "not a non-negative integer"},
		{"bad document state", `<dialog-info xmlns="urn:ietf:params:xml:ns:dialog-info" version="1" state="some" entity="sip:a@b"/>`, `document state "some"`},
		{"missing entity", `<dialog-info xmlns="urn:ietf:params:xml:ns:dialog-info" version="1" state="full"/>`, "entity is empty"},
		{"dialog without id", head + `<dialog><state>early</state></dialog></dialog-info>`, `dialog 1: the "id" attribute is empty`},
		{"dialog without state", head + `<dialog id="a"/></dialog-info>`, "has no <state>"},
		{"state of another namespace only", head + `<dialog id="a"><x:state xmlns:x="urn:x">early</x:state></dialog></dialog-info>`, "has no <state>"},
		{"bad dialog state", head + `<dialog id="a"><state>ringing</state></dialog></dialog-info>`, `state "ringing"`},
		{"bad direction", head + `<dialog id="a" direction="outgoing"><state>early</state></dialog></dialog-info>`, `direction "outgoing"`},
		{"bad state event", head + `<dialog id="a"><state event="hangup">terminated</state></dialog></dialog-info>`, `state event "hangup"`},
		{"bad state code", head + `<dialog id="a"><state code="99">terminated</state></dialog></dialog-info>`, "state code 99"},
		{"non-numeric state code", head + `<dialog id="a"><state code="busy">terminated</state></dialog></dialog-info>`, `state code "busy"`},
		{"unclosed", head + `<dialog id="a"><state>early</state>`, "malformed XML"},
		{"mismatched tags", head + `<dialog id="a"><state>early</dialog></state></dialog-info>`, "malformed XML"},
		{"second root", head + `</dialog-info>` + head + `</dialog-info>`, "second root element"},
		{"trailing text", head + `</dialog-info>trailing`, "text after the root element"},
		{"unknown entity", head + `<dialog id="&xxe;"><state>early</state></dialog></dialog-info>`, "malformed XML"},
		{"foreign charset", `<?xml version="1.0" encoding="ISO-8859-1"?>` + head + `</dialog-info>`, "malformed XML"},
		{"too large", head + strings.Repeat(" ", MaxDocumentSize) + `</dialog-info>`, "exceeds the limit"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := Parse([]byte(tt.doc))
			if err == nil {
				t.Fatalf("Parse accepted it: %+v", got)
			}
			if !strings.Contains(err.Error(), tt.wantErr) {
				t.Fatalf("Parse error %q, want it to mention %q", err, tt.wantErr)
			}
			if !strings.HasPrefix(err.Error(), "dialoginfo: ") {
				t.Errorf("error %q does not say where it comes from", err)
			}
		})
	}
}

func TestMarshal(t *testing.T) {
	in := Info{Version: 4, State: StateFull, Entity: "sip:1002@phonesim", Dialogs: []Dialog{{
		ID: "d1", CallID: "c@h", LocalTag: "lt", RemoteTag: "rt", Direction: DirectionRecipient, State: DialogEarly,
		LocalIdentity: "sip:1002@phonesim", RemoteIdentity: "sip:1001@phonesim", RemoteDisplay: `Tom & "Jerry" <x>`,
		RemoteTarget: "sip:1001@127.0.0.1:5071;transport=udp",
	}, {
		ID: "d2", State: DialogTerminated, Event: "rejected", Code: 486,
	}}}
	doc, err := Marshal(in)
	if err != nil {
		t.Fatalf("Marshal: %v", err)
	}
	for _, want := range []string{
		`<?xml version="1.0" encoding="UTF-8"?>`,
		`<dialog-info xmlns="urn:ietf:params:xml:ns:dialog-info" version="4" state="full" entity="sip:1002@phonesim">`,
		`<dialog id="d1" call-id="c@h" local-tag="lt" remote-tag="rt" direction="recipient">`,
		`<state>early</state>`,
		`<identity display="Tom &amp; &#34;Jerry&#34; &lt;x&gt;">sip:1001@phonesim</identity>`,
		`<target uri="sip:1001@127.0.0.1:5071;transport=udp"></target>`,
		`<dialog id="d2">`,
		`<state event="rejected" code="486">terminated</state>`,
	} {
		if !bytes.Contains(doc, []byte(want)) {
			t.Errorf("document lacks %s:\n%s", want, doc)
		}
	}
	// Only the root declares the namespace; the children inherit it.
	if n := bytes.Count(doc, []byte("xmlns=")); n != 1 {
		t.Errorf("%d namespace declarations, want 1:\n%s", n, doc)
	}
	// d2 has no identities: no empty <local>/<remote>.
	if bytes.Count(doc, []byte("<local>")) != 1 || bytes.Count(doc, []byte("<remote>")) != 1 {
		t.Errorf("empty participants marshalled:\n%s", doc)
	}
	back, err := Parse(doc)
	if err != nil {
		t.Fatalf("Parse(Marshal): %v\n%s", err, doc)
	}
	if !reflect.DeepEqual(back, in) {
		t.Fatalf("round trip:\n got %+v\nwant %+v", back, in)
	}
}

func TestMarshalRejectsInvalid(t *testing.T) {
	ok := Info{State: StateFull, Entity: "sip:a@b"}
	tests := []struct {
		name    string
		mod     func(*Info)
		wantErr string
	}{
		{"negative version", func(i *Info) { i.Version = -1 }, "negative"},
		{"no state", func(i *Info) { i.State = "" }, "document state"},
		{"no entity", func(i *Info) { i.Entity = " " }, "entity is empty"},
		{"dialog without id", func(i *Info) { i.Dialogs = []Dialog{{State: DialogEarly}} }, "id"},
		{"dialog with bad state", func(i *Info) { i.Dialogs = []Dialog{{ID: "a", State: "busy"}} }, `state "busy"`},
		{"dialog with bad direction", func(i *Info) { i.Dialogs = []Dialog{{ID: "a", State: DialogEarly, Direction: "in"}} }, "direction"},
		{"bad code", func(i *Info) { i.Dialogs = []Dialog{{ID: "a", State: DialogTerminated, Code: 700}} }, "code 700"},
	}
	if _, err := Marshal(ok); err != nil {
		t.Fatalf("Marshal of a minimal document: %v", err)
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			i := ok
			tt.mod(&i)
			doc, err := Marshal(i)
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Fatalf("Marshal = %q, %v; want an error mentioning %q", doc, err, tt.wantErr)
			}
		})
	}
}

func TestLampState(t *testing.T) {
	d := func(state, dir string) Dialog { return Dialog{ID: state + dir, State: state, Direction: dir} }
	tests := []struct {
		name    string
		dialogs []Dialog
		want    string
	}{
		{"no dialog", nil, LampIdle},
		{"only terminated", []Dialog{d(DialogTerminated, DirectionRecipient), d(DialogTerminated, DirectionInitiator)}, LampIdle},
		{"incoming trying", []Dialog{d(DialogTrying, DirectionRecipient)}, LampRinging},
		{"incoming proceeding", []Dialog{d(DialogProceeding, DirectionRecipient)}, LampRinging},
		{"incoming early", []Dialog{d(DialogEarly, DirectionRecipient)}, LampRinging},
		{"early without direction", []Dialog{d(DialogEarly, "")}, LampRinging},
		{"outgoing trying", []Dialog{d(DialogTrying, DirectionInitiator)}, LampBusy},
		{"outgoing early (ringback)", []Dialog{d(DialogEarly, DirectionInitiator)}, LampBusy},
		{"confirmed incoming", []Dialog{d(DialogConfirmed, DirectionRecipient)}, LampBusy},
		{"confirmed outgoing", []Dialog{d(DialogConfirmed, DirectionInitiator)}, LampBusy},
		{"confirmed without direction", []Dialog{d(DialogConfirmed, "")}, LampBusy},
		{"busy with a call waiting", []Dialog{d(DialogConfirmed, DirectionInitiator), d(DialogEarly, DirectionRecipient)}, LampRinging},
		{"ended call and new outgoing", []Dialog{d(DialogTerminated, DirectionRecipient), d(DialogTrying, DirectionInitiator)}, LampBusy},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			info := Info{State: StateFull, Entity: "sip:a@b", Dialogs: tt.dialogs}
			if got := info.LampState(); got != tt.want {
				t.Fatalf("LampState = %q, want %q", got, tt.want)
			}
		})
	}
}

func FuzzParse(f *testing.F) {
	for _, s := range []string{rfcTrying, asteriskEarly, prefixed,
		`<dialog-info xmlns="urn:ietf:params:xml:ns:dialog-info" version="0" state="full" entity="e"/>`,
		`<dialog-info xmlns="urn:ietf:params:xml:ns:dialog-info" version="1" state="full" entity="e"><dialog id="a"><state code="486" event="rejected">terminated</state><remote><identity display="&#x9;x&#xD;">u&amp;v</identity></remote></dialog></dialog-info>`,
		`<dialog-info version="1"/>`, "", "<", "<?xml version='1.0'?><a/>",
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		info, err := Parse(data)
		if err != nil {
			return
		}
		if err := info.Validate(); err != nil {
			t.Fatalf("Parse returned an invalid Info: %v", err)
		}
		doc, err := Marshal(info)
		if err != nil {
			t.Fatalf("Marshal(Parse(x)): %v", err)
		}
		again, err := Parse(doc)
		if err != nil {
			t.Fatalf("Parse(Marshal(Parse(x))): %v\n%s", err, doc)
		}
		if !reflect.DeepEqual(again, info) {
			t.Fatalf("round trip changed the document:\n first %+v\nsecond %+v\n%s", info, again, doc)
		}
		switch info.LampState() {
		case LampIdle, LampRinging, LampBusy:
		default:
			t.Fatalf("LampState %q", info.LampState())
		}
	})
}
