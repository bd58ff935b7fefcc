package webui

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"testing"
	"time"

	"github.com/phonesim/phonesim/emulator"
)

// These tests drive a real emulator.Phone (no SIP side: Signaling is nil,
// so keys and DND work and dialling is refused) through real HTTP.

func startPhone(t *testing.T) *emulator.Phone {
	t.Helper()
	p := emulator.New(emulator.Config{
		Identity: emulator.Identity{Name: "desk1", MAC: "00a859000042", IP: "127.0.0.1", Model: "X4U", Firmware: "2.12.0"},
		Lines: []emulator.LineConfig{
			{User: "1001", Server: "127.0.0.1:5060", DisplayName: "Alice"},
			{User: "1003", Server: "127.0.0.1:5060"},
		},
		Logger: slog.New(slog.NewTextHandler(io.Discard, nil)),
	}, nil)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := p.Start(ctx); err != nil {
		t.Fatalf("start phone: %v", err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		if err := p.Close(ctx); err != nil {
			t.Errorf("close phone: %v", err)
		}
	})
	return p
}

func TestPhoneDNDByKey(t *testing.T) {
	p := startPhone(t)
	s := startServer(t, p, WebOptions{})

	resp, body := s.get(t, PathCommand+"?key=DNDOn", admin)
	wantStatus(t, resp, body, http.StatusOK)
	if !p.Snapshot().DND {
		t.Fatal("key=DNDOn answered 200 but the phone's DND is off")
	}
	_, body = s.get(t, PathStatus, admin)
	var st Status
	if err := json.Unmarshal([]byte(body), &st); err != nil {
		t.Fatal(err)
	}
	if !st.DND {
		t.Errorf("status dnd = false after DNDOn:\n%s", body)
	}

	resp, body = s.get(t, PathCommand+"?key=dndoff", admin)
	wantStatus(t, resp, body, http.StatusOK)
	if p.Snapshot().DND {
		t.Fatal("key=dndoff answered 200 but DND is still on")
	}
}

func TestPhoneDigitsFillDialing(t *testing.T) {
	p := startPhone(t)
	s := startServer(t, p, WebOptions{})
	resp, body := s.get(t, PathCommand+"?key=1;0;0;2", admin)
	wantStatus(t, resp, body, http.StatusOK)
	if got := p.Snapshot().Dialing; got != "1002" {
		t.Fatalf("Dialing = %q, want 1002", got)
	}
	resp, body = s.get(t, PathCommand+"?key=%2A", admin)
	wantStatus(t, resp, body, http.StatusOK)
	_, body = s.get(t, PathStatus, admin)
	var st Status
	if err := json.Unmarshal([]byte(body), &st); err != nil {
		t.Fatal(err)
	}
	if st.Dialing != "1002*" {
		t.Errorf("status dialing = %q, want 1002*", st.Dialing)
	}
	// X clears what was typed.
	s.get(t, PathCommand+"?key=X", admin)
	if got := p.Snapshot().Dialing; got != "" {
		t.Errorf("Dialing after X = %q", got)
	}
}

// With no SIP side the phone refuses to dial: 409 with its reason.
func TestPhoneRefusesDialWithoutSIP(t *testing.T) {
	p := startPhone(t)
	s := startServer(t, p, WebOptions{})
	resp, body := s.get(t, PathCommand+"?number=1002&outgoing_uri=1001@127.0.0.1", admin)
	wantStatus(t, resp, body, http.StatusConflict)
	wantContains(t, "body", body, "dialing 1002 from 1001@127.0.0.1", emulator.ErrNoSIP.Error())

	// An account no line has is the request's fault: 400 naming it.
	resp, body = s.get(t, PathCommand+"?number=1002&outgoing_uri=9999@127.0.0.1", admin)
	wantStatus(t, resp, body, http.StatusBadRequest)
	wantContains(t, "body", body, "9999@127.0.0.1")
}

func TestPhoneStatus(t *testing.T) {
	p := startPhone(t)
	s := startServer(t, p, WebOptions{})
	_, body := s.get(t, PathStatus, admin)
	var st Status
	if err := json.Unmarshal([]byte(body), &st); err != nil {
		t.Fatal(err)
	}
	want := StatusIdentity{Name: "desk1", MAC: "00a859000042", IP: "127.0.0.1", Model: "X4U", Firmware: "2.12.0"}
	if st.Identity != want {
		t.Errorf("identity = %+v, want %+v", st.Identity, want)
	}
	if len(st.Lines) != 2 || st.Lines[0].User != "1001" || st.Lines[0].Registration != "unregistered" ||
		st.Lines[0].URI != "sip:1001@127.0.0.1" {
		t.Errorf("lines = %+v", st.Lines)
	}
	if st.Hook != "on_hook" || st.SelectedLine != 1 || len(st.Calls) != 0 {
		t.Errorf("status = %+v", st)
	}
}

func TestPhoneEventsStream(t *testing.T) {
	p := startPhone(t)
	s := startServer(t, p, WebOptions{})
	r, _, cancel := openEvents(t, s)

	resp, body := s.get(t, PathCommand+"?key=DNDOn", admin)
	wantStatus(t, resp, body, http.StatusOK)
	for {
		ev := decodeEvent(t, r.next())
		if ev.Type == "state_changed" {
			continue
		}
		if ev.Type != "dnd_on" || ev.Name != "Activate DND" || ev.Phone != "desk1" ||
			ev.Vars["mac"] != "00a859000042" || ev.Seq == 0 {
			t.Fatalf("event = %+v, want dnd_on of desk1", ev)
		}
		break
	}
	cancel()
}
