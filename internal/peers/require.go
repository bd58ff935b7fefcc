package peers

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// debianPackage names the Debian package that installs each binary.
var debianPackage = map[string]string{
	"sipp":     "sip-tester",
	"kamailio": "kamailio",
	"baresip":  "baresip",
}

// onCI reports whether the tests run on CI, where every peer must be
// installed (`make deps` does it) and a missing one is a failure.
func onCI() bool {
	v := strings.ToLower(os.Getenv("CI"))
	return v == "true" || v == "1" || v == "yes"
}

// lookBin finds bin on PATH, then in the sbin directories a non-root PATH
// often lacks (Debian installs kamailio as /usr/sbin/kamailio).
func lookBin(bin string) (string, bool) {
	if path, err := exec.LookPath(bin); err == nil {
		return path, true
	}
	for _, dir := range []string{"/usr/sbin", "/usr/local/sbin", "/sbin"} {
		path := filepath.Join(dir, bin)
		if fi, err := os.Stat(path); err == nil && fi.Mode().IsRegular() && fi.Mode()&0o111 != 0 {
			return path, true
		}
	}
	return "", false
}

// Require skips the test when bin is not on PATH, with a message that says
// how to install it ("sipp not installed (Debian package sip-tester): run
// make deps"). On CI (environment CI=true) it fails the test instead: CI
// installs the peers, so a missing one is a broken setup, not a reason to
// skip.
func Require(t testing.TB, bin string) string {
	t.Helper()
	if path, ok := lookBin(bin); ok {
		return path
	}
	msg := bin + " not installed"
	if pkg, ok := debianPackage[bin]; ok {
		msg += " (Debian package " + pkg + ")"
	}
	msg += ": run make deps"
	if onCI() {
		t.Fatalf("%s; CI=true, so a missing peer is a failure", msg)
	}
	t.Skip(msg)
	return ""
}
