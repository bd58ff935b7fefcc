package webui_test

import (
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/phonesim/phonesim/config"
	"github.com/phonesim/phonesim/webui"
)

func TestStoreKeepsSettingsAcrossOpen(t *testing.T) {
	path := webui.StateFileName(t.TempDir(), "alice")
	st, got, err := webui.OpenStore(path)
	if err != nil {
		t.Fatal(err)
	}
	if got.ActionURL != nil || got.DND != nil {
		t.Fatalf("a missing file gave %+v, want empty settings", got)
	}
	on := true
	if err := st.Update(func(s *webui.Settings) {
		s.ActionURL = map[string]string{"incoming_call": "http://127.0.0.1:9/in?id=$call_id"}
		s.DND = &on
	}); err != nil {
		t.Fatal(err)
	}
	if fi, err := os.Stat(path); err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("state file: %v, mode %v; want 0600 (it may hold credentials)", err, fi.Mode())
	}
	_, again, err := webui.OpenStore(path)
	if err != nil {
		t.Fatal(err)
	}
	p := config.Phone{DND: false, ActionURL: config.ActionURLs{}}
	fields, err := again.Apply(&p)
	if err != nil {
		t.Fatal(err)
	}
	if !p.DND || len(p.ActionURL) != 1 || strings.Join(fields, ",") != "action_url,dnd" {
		t.Errorf("applied: DND %v, URLs %v, fields %v; want the saved values over the file's", p.DND, p.ActionURL, fields)
	}
}

func TestBrokenStateFileIsAClearError(t *testing.T) {
	path := filepath.Join(t.TempDir(), "p.state.json")
	if err := os.WriteFile(path, []byte(`{"action_url": {"incoming_call": `), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, _, err := webui.OpenStore(path); err == nil || !strings.Contains(err.Error(), path) {
		t.Fatalf("err = %v, want one naming %s", err, path)
	}
	if err := os.WriteFile(path, []byte(`{"action_url": {"no_such_event": "http://x/"}}`), 0o600); err != nil {
		t.Fatal(err)
	}
	_, s, err := webui.OpenStore(path)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.Apply(&config.Phone{}); err == nil || !strings.Contains(err.Error(), "no_such_event") {
		t.Fatalf("Apply err = %v, want the unknown event named", err)
	}
}

// writerEnv makes the test binary a child that saves the state file in a
// loop until it is killed (TestKill9DuringSaves).
const writerEnv = "PHONESIM_WEBUI_STATE_WRITER"

func writerChild() bool {
	path := os.Getenv(writerEnv)
	if path == "" {
		return false
	}
	st, _, err := webui.OpenStore(path)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(3)
	}
	// A large value makes each write take long enough to be cut.
	pad := strings.Repeat("x", 1<<20)
	for i := 1; ; i++ {
		if err := st.Update(func(s *webui.Settings) {
			s.ActionURL = map[string]string{"incoming_call": "http://127.0.0.1:9/" + strconv.Itoa(i) + "?" + pad}
		}); err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(3)
		}
		if i == 1 {
			fmt.Println("saving") // the parent kills from now on
		}
	}
}

// A kill -9 in the middle of saves leaves the old file or the new one,
// never a broken one: the Done-when of issue 11.
func TestKill9DuringSaves(t *testing.T) {
	dir := t.TempDir()
	path := webui.StateFileName(dir, "alice")
	for round := range 12 {
		cmd := exec.Command(os.Args[0], "-test.run=^$")
		cmd.Env = append(os.Environ(), writerEnv+"="+path)
		out, err := cmd.StdoutPipe()
		if err != nil {
			t.Fatal(err)
		}
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		buf := make([]byte, 7)
		if _, err := out.Read(buf); err != nil || string(buf) != "saving\n" {
			t.Fatalf("child did not start saving: %q %v", buf, err)
		}
		time.Sleep(time.Duration(5+round*7%40) * time.Millisecond)
		if err := cmd.Process.Signal(syscall.SIGKILL); err != nil {
			t.Fatal(err)
		}
		_ = cmd.Wait()
		data, err := os.ReadFile(path)
		if err != nil {
			t.Fatalf("round %d: %v", round, err)
		}
		var s webui.Settings
		if err := json.Unmarshal(data, &s); err != nil {
			t.Fatalf("round %d: state file broken after kill -9 (%d bytes): %v", round, len(data), err)
		}
		if !strings.HasPrefix(s.ActionURL["incoming_call"], "http://127.0.0.1:9/") {
			t.Fatalf("round %d: state file holds %.60q, want a saved URL", round, s.ActionURL["incoming_call"])
		}
		if _, _, err := webui.OpenStore(path); err != nil {
			t.Fatalf("round %d: the next start would fail: %v", round, err)
		}
	}
}

// A state file edited by hand is outside input: any content gives a
// clear error or settings that apply, never a panic.
func FuzzStateFile(f *testing.F) {
	f.Add([]byte(`{"action_url":{"incoming_call":"http://127.0.0.1/x?id=$call_id"},"dnd":true}`))
	f.Add([]byte(`{"active_uri":{"Enabled":false,"Allow":["10.0.0.0/8"]},"forward":{"Always":"1003"}}`))
	f.Add([]byte(`{"action_url":{"nope":"x"}}`))
	f.Add([]byte(`[]`))
	f.Add([]byte(`{"lines":{"1":{"User":"1011","Password":"p","Server":"127.0.0.1:5060","Expires":600}},"dss":{"3":{"Type":"blf","Value":"1002"}}}`))
	f.Add([]byte(`{"lines":{"9":{}},"dss":{"0":{}}}`))
	f.Add([]byte(`{"dss":{"10":{"Type":""}}}`))
	dir := f.TempDir()
	f.Fuzz(func(t *testing.T, data []byte) {
		path := filepath.Join(dir, "p.state.json")
		if err := os.WriteFile(path, data, 0o600); err != nil {
			t.Fatal(err)
		}
		_, s, err := webui.OpenStore(path)
		if err != nil {
			return
		}
		p := config.Phone{Lines: []config.Line{{User: "1001"}, {User: "1002"}}}
		if _, err := s.Apply(&p); err == nil && (len(p.Lines) != 2 || len(p.DSS) > 10) {
			t.Fatalf("applied state gave %d lines and %d DSS keys", len(p.Lines), len(p.DSS))
		}
	})
}
