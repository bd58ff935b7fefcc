package peers

import (
	"os"
	"os/exec"
	"strings"
	"testing"
)

// TestRequireHelper is run by TestRequireSkipsLocallyAndFailsOnCI in a
// child test binary; on its own it does nothing.
func TestRequireHelper(t *testing.T) {
	bin := os.Getenv("PEERS_REQUIRE_BIN")
	if bin == "" {
		t.Skip("helper for TestRequireSkipsLocallyAndFailsOnCI")
	}
	Require(t, bin)
	t.Log("REACHED: Require returned")
}

// runRequireHelper runs TestRequireHelper in a child process with an empty
// PATH, so every binary is missing.
func runRequireHelper(t *testing.T, bin, ci string) (string, error) {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^TestRequireHelper$", "-test.v")
	var env []string
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "PATH=") && !strings.HasPrefix(kv, "CI=") {
			env = append(env, kv)
		}
	}
	cmd.Env = append(env, "PATH="+t.TempDir(), "PEERS_REQUIRE_BIN="+bin, "CI="+ci)
	out, err := cmd.CombinedOutput()
	return string(out), err
}

func TestRequireSkipsLocallyAndFailsOnCI(t *testing.T) {
	t.Parallel()
	out, err := runRequireHelper(t, "sipp", "")
	if err != nil || !strings.Contains(out, "--- SKIP") ||
		!strings.Contains(out, "sipp not installed (Debian package sip-tester): run make deps") {
		t.Fatalf("without CI: want a skip that names the package and make deps, got err=%v\n%s", err, out)
	}
	if strings.Contains(out, "REACHED") {
		t.Fatalf("without CI the test went on after Require:\n%s", out)
	}

	out, err = runRequireHelper(t, "baresip", "true")
	if err == nil || !strings.Contains(out, "--- FAIL") || !strings.Contains(out, "baresip not installed") {
		t.Fatalf("with CI=true: want a failure, got err=%v\n%s", err, out)
	}
	if strings.Contains(out, "REACHED") {
		t.Fatalf("with CI=true the test went on after Require:\n%s", out)
	}
}

func TestRequireLooksInSbinOutsidePath(t *testing.T) {
	if _, err := os.Stat("/usr/sbin/kamailio"); err != nil {
		t.Skip("needs /usr/sbin/kamailio (Debian package kamailio): run make deps")
	}
	t.Setenv("PATH", t.TempDir())
	if path := Require(t, "kamailio"); path != "/usr/sbin/kamailio" {
		t.Fatalf("Require(kamailio) with an empty PATH = %q, want /usr/sbin/kamailio", path)
	}
}

func TestRequireReturnsPathOfInstalledBinary(t *testing.T) {
	path := Require(t, "sh")
	if fi, err := os.Stat(path); err != nil || fi.IsDir() {
		t.Fatalf("Require(sh) = %q: %v", path, err)
	}
}
