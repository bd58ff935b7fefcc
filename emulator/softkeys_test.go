package emulator_test

import (
	"go/ast"
	"go/parser"
	"go/token"
	"slices"
	"testing"

	"github.com/phonesim/phonesim/emulator"
	"github.com/phonesim/phonesim/keypad"
)

// Every action in the soft-key table has a label and its own case in the
// handler switch (softAction), and that switch is on the action, never on
// label text: a case with a string literal fails this test.
func TestEverySoftActionHasAHandler(t *testing.T) {
	f, err := parser.ParseFile(token.NewFileSet(), "softkeys.go", nil, 0)
	if err != nil {
		t.Fatal(err)
	}
	var handled []string
	ast.Inspect(f, func(n ast.Node) bool {
		fn, ok := n.(*ast.FuncDecl)
		if !ok || fn.Name.Name != "softAction" {
			return true
		}
		ast.Inspect(fn.Body, func(n ast.Node) bool {
			cc, ok := n.(*ast.CaseClause)
			if !ok {
				return true
			}
			for _, e := range cc.List {
				switch e := e.(type) {
				case *ast.Ident:
					handled = append(handled, e.Name)
				default:
					t.Errorf("softAction has a case on %T, want SoftAction constants only", e)
				}
			}
			return true
		})
		return false
	})
	names := map[string]emulator.SoftAction{}
	ast.Inspect(f, func(n ast.Node) bool {
		if vs, ok := n.(*ast.ValueSpec); ok {
			for _, id := range vs.Names {
				if len(id.Name) > 4 && id.Name[:4] == "Soft" {
					names[id.Name] = 0
				}
			}
		}
		return true
	})
	for _, a := range emulator.SoftActions() {
		if a.Label() == "" {
			t.Errorf("action %s has no label", a)
		}
	}
	if len(names) != len(emulator.SoftActions())+1 {
		t.Errorf("%d SoftAction constants, %d actions in the table (+ SoftNone)", len(names), len(emulator.SoftActions()))
	}
	for name := range names {
		if !slices.Contains(handled, name) {
			t.Errorf("softAction has no case for %s", name)
		}
	}
}

// Renaming labels (a vendor's wording, a translation) changes what the LCD
// shows and nothing of what the keys do.
func TestRenamedSoftKeyStillActs(t *testing.T) {
	defer emulator.RelabelSoftKey(emulator.SoftReject, "Decline")()
	defer emulator.RelabelSoftKey(emulator.SoftDelete, "Del")()
	defer emulator.RelabelSoftKey(emulator.SoftSend, "Dial")()

	p, _, sig := phoneWithRecordingSignaling(t)
	keys(t, p, "1;0;0;9;F3")
	s := p.Snapshot()
	if s.Dialing != "100" || s.LCD.SoftKeys != [4]string{"Dial", "", "Del", "Cancel"} {
		t.Fatalf("after 1009 and F3: dialling %q, soft keys %q", s.Dialing, s.LCD.SoftKeys)
	}
	if k, ok := s.LCD.SoftKey(emulator.SoftDelete); !ok || k != keypad.F3 {
		t.Errorf("SoftKey(SoftDelete) = %v %v, want F3", k, ok)
	}
	keys(t, p, "X")

	feed(t, p, emulator.SIPIncoming{Ref: "i1", Line: 1, CallID: "c1", RemoteURI: "sip:1002@127.0.0.1"})
	s = p.Snapshot()
	if s.LCD.SoftKeys[3] != "Decline" || s.LCD.SoftActions[3] != emulator.SoftReject {
		t.Fatalf("ringing soft keys %q %v", s.LCD.SoftKeys, s.LCD.SoftActions)
	}
	keys(t, p, "F4")
	sig.waitDid(t, "Reject i1 603")
}
